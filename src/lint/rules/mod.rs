//! The rules, one file each.

use super::Rule;

pub mod base_in_fragment;
pub mod duplicate_base;
pub mod insecure_ingest_url;
pub mod missing_base;
pub mod parse_error;
pub mod placeholder_url;

/// Every rule, in documentation order.
pub const ALL: &[Rule] = &[
    parse_error::PARSE_ERROR,
    missing_base::MISSING_BASE,
    base_in_fragment::BASE_IN_FRAGMENT,
    duplicate_base::DUPLICATE_BASE,
    placeholder_url::PLACEHOLDER_URL,
    insecure_ingest_url::INSECURE_INGEST_URL,
];
