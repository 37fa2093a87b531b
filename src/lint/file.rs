//! What lint keeps of a policy file for its report: the file as found ([`Target`]), and its
//! text reduced to the lines the findings are on, literal secrets masked.
//!
//! Not for: reading the file (`app::lint`) or printing (`report`).

use std::path::PathBuf;

use super::{Finding, Scope};

/// Files larger than this are not read (`--max-file-size` changes it): APIM takes 256 KiB
/// per policy, so anything near this is not a policy.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 20;

/// A policy file found under the command line's paths: where to read it, how to show it, how
/// the config sees it, and its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `None` for standard input.
    pub path: Option<PathBuf>,
    /// As reports show it: as given, without a leading `./`, `/`-separated.
    pub shown: String,
    /// Relative to the config's folder, `/`-separated (for ignore, scopes, suppressions).
    pub key: String,
    /// From `scope` when given, else the config's `[scopes]`, else the APIOps layout.
    pub scope: Scope,
}

/// `src` with every line that no finding's span touches emptied (its line break kept), and
/// the findings' spans moved to match. Fix edits are left alone: the tree pass never fixes.
pub fn kept_text(src: &str, findings: &mut [Finding]) -> String {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
    let line_of = |o: usize| starts.partition_point(|&s| s <= o).max(1) - 1;
    let mut keep = vec![false; starts.len()];
    for f in findings.iter() {
        let (a, b) = (line_of(f.span.start), line_of(f.span.end.max(f.span.start)));
        for k in keep.iter_mut().take(b + 1).skip(a) {
            *k = true;
        }
    }
    let mut out = String::new();
    let mut new_starts = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        new_starts.push(out.len());
        let end = starts.get(i + 1).map_or(src.len(), |&e| e - 1);
        if keep[i] {
            out.push_str(&src[start..end]);
        }
        if i + 1 < starts.len() {
            out.push('\n');
        }
    }
    let map = |o: usize| {
        let l = line_of(o);
        new_starts[l] + (o - starts[l])
    };
    for f in findings.iter_mut() {
        f.span = map(f.span.start)..map(f.span.end.max(f.span.start));
    }
    out
}

/// `src` with the literal secrets that findings point at (flagged [`Finding::secret`]) masked,
/// so a report never prints them (offsets and columns stay).
pub fn mask_flagged(src: String, findings: &[Finding]) -> String {
    let spans = findings.iter().filter(|x| x.secret).map(|x| x.span.clone());
    match crate::apim::secrets::mask(&src, spans) {
        std::borrow::Cow::Owned(masked) => masked,
        std::borrow::Cow::Borrowed(_) => src,
    }
}
