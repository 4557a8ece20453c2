//! The crate's one reader and writer of shell text.
//!
//! - [`lex`]: a script read into commands and words (each with its lines and byte range),
//!   or one command line read word by word ([`words`]);
//! - [`expand`]: a word's value from what the environment says, `$(( ))` arithmetic;
//! - [`quote`]: values written as words that read back exactly.
//!
//! Callers: the kustomize script reader (container commands), the README recipe reader, the
//! vLLM command-line editor of the mapping, and the bash scenario writer.

pub mod expand;
pub mod lex;
pub mod quote;

pub use expand::{arithmetic, expand, variables};
pub use lex::{Command, Part, Word, parse, words};

#[cfg(test)]
mod tests;
