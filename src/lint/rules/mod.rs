//! The rules, one file each. The registry is built from this folder's files (see `build.rs`):
//! a new rule is its file and nothing else here. Each file declares, with `declare_rule!`, the
//! rule's id, severity, documentation, rank in the documentation, and its level
//! ([`super::Level`]: the reader, one file, or the effective policy of an APIOps tree).

include!(concat!(env!("OUT_DIR"), "/rules.rs"));
