//! akto-connect: generates and validates the artifacts that connect API gateways to Akto's
//! traffic ingestion. The binary is a thin shell over [`app::run`].

pub mod apim;
pub mod app;
pub mod aws;
pub mod azure_identity;
pub mod check;
pub mod cli;
pub mod depth;
pub mod dotnet_regex;
pub mod error;
pub mod http_url;
pub mod ingest;
pub mod input;
pub mod k8s;
pub mod kong;
pub mod lint;
pub mod mask;
pub mod net;
pub mod output;
pub mod par;
pub mod redact_url;
pub mod render;
pub mod report;
pub mod text;
pub mod walk;
