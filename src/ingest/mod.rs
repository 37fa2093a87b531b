//! Akto's ingest side: the contract every gateway artifact sends to (one field list, one
//! synthetic record for `verify`), the targets named in existing artifacts, the judgement of
//! `verify`'s probe, and the
//! deployments of the data-ingestion service (Docker Compose, Helm).
//!
//! Domain only: no network, terminal or file system; `app::ingest` and `app::verify` do the
//! I/O.

pub mod compose;
pub mod contract;
pub mod helm;
pub mod target;
pub mod verify;
