//! A YAML tree with spans, built from saphyr-parser events: every node knows its lines.
//!
//! The builder is iterative (no recursion on input depth), expands aliases within a node
//! budget, applies merge keys (`<<`), and refuses duplicate keys, so a hostile file fails
//! fast with a position instead of exhausting the stack or memory. Helm values files are
//! read as Helm reads them ([`parse_values`]): a duplicate key is kept last and the earlier
//! one recorded, YAML 1.1 booleans are booleans ([`Node::as_bool`]), and `!!binary` scalars
//! are decoded (or refused when they do not hold text).

mod emit;
mod node;
mod parse;

pub use emit::{Reading, double_quoted, double_quoted_escaping, may_be_plain, plain_ok, scalar};
pub use node::*;
pub use parse::{parse, parse_one, parse_values};

/// Deepest nesting accepted; deeper input is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 512;
/// Most nodes one file may produce, aliases expanded. A corpus values file has about a
/// thousand; the budget keeps a hostile file's tree to a few megabytes.
pub const MAX_NODES: usize = 100_000;
/// Most text (scalars and keys) aliases may copy, in bytes: a node count alone lets a few
/// aliases of one long string fill memory.
pub const MAX_ALIAS_BYTES: usize = 16 * 1024 * 1024;
/// Most keys one mapping may hold (guides have tens): later stages look keys up by name.
pub const MAX_KEYS: usize = 10_000;
/// Most documents one stream may hold.
pub const MAX_DOCUMENTS: usize = 10_000;

#[cfg(test)]
mod tests;
