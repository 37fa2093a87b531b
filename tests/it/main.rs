//! Integration tests, one binary: what a user of the command line sees, and the generated
//! artifacts checked by the tools that consume them.

mod apim_cli;
mod apim_conformance;
mod apim_props;
mod apim_snapshots;
mod aws;
mod common;
mod kong;
mod lint_bounds;
mod lint_ci;
mod lint_cli;
mod lint_corpus;
mod lint_fuzz;
mod lint_props;
mod lint_rules;
mod regex_cli;
mod regex_oracle;
mod regex_props;
mod regex_redos;
