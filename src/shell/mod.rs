//! The crate's one reader and writer of shell text.
//!
//! - [`lex`]: a script read into commands and words (each with its lines and byte range),
//!   or one command line read word by word ([`words`]);
//! - [`mod@expand`]: a word's value from what the environment says, `$(( ))` arithmetic;
//! - [`assign`]: `export` assignments as llm-d-benchmark's `setup/env.sh` writes them, each
//!   value one bash word with nested defaults (the defaults reader);
//! - [`quote`]: values written as words that read back exactly.
//!
//! Callers: the kustomize script reader (container commands), the README recipe reader, the
//! vLLM command-line editor of the mapping, the llm-d-benchmark defaults reader, and the bash
//! scenario writer.

pub mod assign;
pub mod expand;
pub mod lex;
pub mod quote;

pub use expand::{arithmetic, expand, variables};
pub use lex::{Command, Part, Word, parse, words};

#[cfg(test)]
mod tests;
