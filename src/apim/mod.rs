//! Azure API Management: the policy dialect reader and the capture-policy builder.

pub mod capture;
pub mod dialect;
pub mod patterns;
pub mod tree;
