//! Integration tests, one binary grouped by theme.

mod bash;
mod cli;
mod cli_help;
mod common;
mod corpus;
mod experiments;
mod fuzz;
mod kustomize;
mod limits;
mod quoting;
mod remote;
mod template_work;
mod variants;
mod writing;
