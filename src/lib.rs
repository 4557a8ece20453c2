//! convert-guide: turn an llm-d guide into an llm-d-benchmark scenario and experiment.
//!
//! The pipeline, one module per stage:
//! source (find and read the guide) -> yaml (tree with spans) -> mapping (rules as data)
//! -> scenario / experiment (models) -> render (bash, YAML) -> writer (atomic files).
//! [`convert`] runs the stages in that order.

pub mod benchmark;
pub mod catalog;
pub mod convert;
pub mod defaults;
pub mod diag;
pub mod emit;
pub mod error;
pub mod experiment;
#[doc(hidden)]
pub mod fuzz;
pub mod grammar;
pub mod guide;
pub mod helmfile;
pub mod kustomize;
pub mod mapping;
pub mod model;
pub mod recipe;
pub mod remote;
pub mod render;
pub mod scenario;
pub mod shell;
pub mod source;
pub mod template;
pub mod values;
pub mod writer;
pub mod yaml;

pub use error::{Error, Result};
