//! Integration tests, one binary grouped by theme.

mod bash;
mod batch;
mod behaviour;
mod citations;
mod cli;
mod cli_help;
mod common;
mod corpus;
mod current_guides;
mod exit_codes;
mod experiments;
mod fuzz;
mod guide_workload;
mod kustomize;
mod limits;
mod quoting;
mod reading;
mod remote;
mod scheduler;
mod template_work;
mod v2;
mod v2_experiments;
mod v2_facets;
mod variants;
mod writing;
