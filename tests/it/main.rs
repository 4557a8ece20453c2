//! Integration tests, one binary grouped by theme.

mod bash;
mod cli;
mod common;
mod corpus;
mod experiments;
mod kustomize;
mod quoting;
mod remote;
mod variants;
