//! Integration tests, one binary: what a user of the command line sees, and the generated
//! artifacts checked by the tools that consume them.

mod apim_access;
mod apim_cli;
mod apim_conformance;
mod apim_estate;
mod apim_inject_props;
mod apim_props;
mod apim_runtime;
mod apim_snapshots;
mod apim_specs;
mod arm_standin;
mod aws;
mod cli_contract;
mod common;
mod coverage;
mod effective;
mod ingest;
mod kong;
mod kong_admin;
mod kong_verify;
mod lint_bounds;
mod lint_ci;
mod lint_cli;
mod lint_corpus;
mod lint_fuzz;
mod lint_props;
mod lint_rules;
mod lint_tree_order;
mod readme_examples;
mod regex_cli;
mod regex_oracle;
mod regex_props;
mod regex_redos;
mod security_rules;
mod verify;
mod write_path;
