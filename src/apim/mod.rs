//! Azure API Management: the policy dialect reader and the capture-policy builder.

pub mod apiops;
pub mod capture;
pub mod coverage;
pub mod dialect;
pub mod effective;
pub mod patterns;
pub mod tree;

/// The sections of a `<policies>` document, in order.
pub const SECTIONS: [&str; 4] = ["inbound", "backend", "outbound", "on-error"];
