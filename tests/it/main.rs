//! Integration tests, one binary grouped by theme.

mod bash;
mod batch;
mod behaviour;
mod cli;
mod common;
mod corpus;
mod exit_codes;
mod experiments;
mod fuzz;
mod kustomize;
mod limits;
mod quoting;
mod remote;
mod template_work;
mod v2_experiments;
mod variants;
mod writing;
