//! The rules, one file each.

use super::Rule;

pub mod backend_override;
pub mod base_in_fragment;
pub mod duplicate_base;
pub mod expression_disallowed_type;
pub mod expression_invalid;
pub mod insecure_ingest_url;
pub mod missing_base;
pub mod parse_error;
pub mod placeholder_url;
pub mod regex_dialect;
pub mod regex_invalid;
pub mod regex_named_value;
pub mod regex_redos;
pub mod regex_slow;
pub mod regex_too_complex;

/// Every rule, in documentation order.
pub const ALL: &[Rule] = &[
    parse_error::PARSE_ERROR,
    missing_base::MISSING_BASE,
    backend_override::BACKEND_OVERRIDE,
    base_in_fragment::BASE_IN_FRAGMENT,
    duplicate_base::DUPLICATE_BASE,
    placeholder_url::PLACEHOLDER_URL,
    insecure_ingest_url::INSECURE_INGEST_URL,
    expression_invalid::EXPRESSION_INVALID,
    expression_disallowed_type::EXPRESSION_DISALLOWED_TYPE,
    regex_invalid::REGEX_INVALID,
    regex_redos::REGEX_REDOS,
    regex_dialect::REGEX_DIALECT,
    regex_slow::REGEX_SLOW,
    regex_too_complex::REGEX_TOO_COMPLEX,
    regex_named_value::REGEX_NAMED_VALUE,
];
