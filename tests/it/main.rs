//! Integration tests, one binary grouped by theme.

mod bash;
mod behaviour;
mod cli;
mod common;
mod corpus;
mod experiments;
mod fuzz;
mod kustomize;
mod limits;
mod quoting;
mod remote;
mod scheduler;
mod variants;
mod writing;
