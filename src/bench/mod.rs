//! What convert-guide reads from an llm-d-benchmark checkout (or its built-in copy): the
//! defaults of every `LLMDBENCH_*` variable ([`defaults`]) and the harness/profile catalog
//! ([`catalog`]).

pub mod catalog;
pub mod defaults;
