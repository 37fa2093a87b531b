//! The rules, one file each.

use super::Rule;

pub mod backend_override;
pub mod base_in_fragment;
pub mod cors_wildcard;
pub mod duplicate_base;
pub mod error_details_leak;
pub mod expression_disallowed_type;
pub mod expression_invalid;
pub mod hardcoded_secret;
pub mod infrastructure_headers;
pub mod insecure_backend;
pub mod insecure_ingest_url;
pub mod jwt_weak;
pub mod key_in_query;
pub mod missing_base;
pub mod no_authentication;
pub mod no_input_validation;
pub mod no_rate_limit;
pub mod parse_error;
pub mod placeholder_url;
pub mod regex_dialect;
pub mod regex_invalid;
pub mod regex_named_value;
pub mod regex_redos;
pub mod regex_slow;
pub mod regex_too_complex;
pub mod regex_unmatchable_path;
pub mod sensitive_trace;
pub mod unbounded_body;
pub mod unknown_fragment;

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
    regex_unmatchable_path::REGEX_UNMATCHABLE_PATH,
    // Security (seed 003); see lint::tree_rules for the ones judged on the effective policy.
    no_authentication::NO_AUTHENTICATION,
    no_rate_limit::NO_RATE_LIMIT,
    hardcoded_secret::HARDCODED_SECRET,
    insecure_backend::INSECURE_BACKEND,
    jwt_weak::JWT_WEAK,
    key_in_query::KEY_IN_QUERY,
    cors_wildcard::CORS_WILDCARD,
    error_details_leak::ERROR_DETAILS_LEAK,
    sensitive_trace::SENSITIVE_TRACE,
    unbounded_body::UNBOUNDED_BODY,
    infrastructure_headers::INFRASTRUCTURE_HEADERS,
    no_input_validation::NO_INPUT_VALIDATION,
    unknown_fragment::UNKNOWN_FRAGMENT,
];
