//! Azure API Management: the policy dialect reader and the capture-policy builder.

pub mod access;
pub mod apiops;
pub mod azure;
pub mod capture;
pub mod capture_detect;
pub mod coverage;
pub mod dialect;
pub mod effective;
pub mod iac;
pub mod inject;
pub mod live;
pub mod patterns;
pub mod remove;
pub mod secrets;
pub mod specs;
pub mod tree;

/// APIM's limit on one policy document or fragment: 256 KiB. Here, not in `capture` or `inject`,
/// so both read it without importing each other.
pub const MAX_POLICY_BYTES: usize = 256 * 1024;

/// The sections of a `<policies>` document, in order.
pub const SECTIONS: [&str; 4] = ["inbound", "backend", "outbound", "on-error"];
