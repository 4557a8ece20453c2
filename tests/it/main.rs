//! Integration tests, one binary grouped by theme.

mod bash;
mod citations;
mod cli;
mod common;
mod corpus;
mod experiments;
mod fuzz;
mod guide_workload;
mod kustomize;
mod limits;
mod quoting;
mod reading;
mod remote;
mod variants;
mod writing;
