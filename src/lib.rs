//! convert-guide: turn an llm-d guide into an llm-d-benchmark scenario and experiment.
//!
//! The pipeline, one folder per stage, run in this order by [`convert`]:
//!
//! | stage | module | what |
//! |---|---|---|
//! | load | [`load`] | find the guide, read its files (local or remote) |
//! | read | [`read`] | YAML with spans, Go templates, Helm values, kustomize, README recipes |
//! | model | [`model`] | what the guide deploys ([`model::Deployment`]); the scenario model |
//! | map | [`map`] | per target rules: guide values to benchmark variables |
//! | emit | [`emit`] | bash scenario, v2 YAML scenario |
//! | write | [`write`] | dry run, diffs, atomic files |
//!
//! [`bench`] reads the llm-d-benchmark checkout (defaults, catalog); [`experiment`] builds and
//! checks experiments; [`shell`] is the one shell lexer and quoter; [`diag`] and [`error`] are
//! what every stage reports in.

pub mod bench;
pub mod convert;
pub mod diag;
pub mod emit;
pub mod error;
pub mod experiment;
#[doc(hidden)]
pub mod fuzz;
pub mod load;
pub mod map;
pub mod model;
pub mod read;
pub mod shell;
pub mod write;

pub use error::{Error, Result};
