//! Map: per target, the rules (as data) that turn what a guide deploys into what a benchmark
//! reads. [`bash`] maps to `LLMDBENCH_*` exports (the [`crate::model::scenario`] model); the v2
//! target's key tables live with its writer in [`crate::emit::v2`].

pub mod bash;
