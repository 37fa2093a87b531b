//! Takes Akto's capture out of a policy document, keeping every other byte: the steps that
//! [`super::capture_detect`] recognises (the generator's inline steps, the include of the capture
//! fragments, and Akto's documented hand-pasted policy) are cut out with their whole lines when
//! nothing else stands on them, so a policy that `--into`/`apim apply` changed comes back byte
//! for byte as it was before. A policy without a capture comes back unchanged.
//!
//! Not for: deciding what to do with the result on a live instance (see [`super::live`]).

use super::capture_detect;
use super::tree;

/// Why a capture cannot be taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveError {
    /// The reader's message at a byte offset.
    Unreadable { offset: usize, message: String },
    /// A capture step inside another element (`within`): taking it out would leave that
    /// element's own logic changed in ways only its author can judge.
    Nested {
        offset: usize,
        within: String,
        within_offset: usize,
    },
}

/// The policy without its capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub text: String,
    /// How many steps were taken out (0: the text is the input).
    pub steps: usize,
    /// What is left does nothing APIM does not do without a policy: every section holds only
    /// `<base />` (at global, the backend only `<forward-request />`), or is missing or empty.
    pub only_defaults: bool,
}

/// Removes the capture from `src` (a `<policies>` document or a `<fragment>`).
pub fn remove(src: &str) -> Result<Removed, RemoveError> {
    let doc = tree::read(src).map_err(|e| RemoveError::Unreadable {
        offset: e.offset,
        message: e.message,
    })?;
    if let Some(n) = capture_detect::nested(&doc, src).first() {
        return Err(RemoveError::Nested {
            offset: n.step.span.start,
            within: n.within.clone(),
            within_offset: n.within_offset,
        });
    }
    let found = capture_detect::detect(&doc, src);
    let mut cuts: Vec<std::ops::Range<usize>> = found
        .steps
        .iter()
        .map(|s| whole_lines(src, s.span.clone()))
        .collect();
    cuts.sort_by_key(|r| r.start);
    let mut text = String::with_capacity(src.len());
    let mut at = 0;
    for r in &cuts {
        if r.start < at {
            continue;
        }
        text.push_str(&src[at..r.start]);
        at = r.end;
    }
    text.push_str(&src[at..]);
    // A section the capture had opened up (`<inbound />` became `<inbound>…</inbound>`) and that
    // is empty again closes again, as it was.
    if !cuts.is_empty() {
        if let Ok(d) = tree::read(&text) {
            let mut closes: Vec<(std::ops::Range<usize>, String)> = Vec::new();
            for section in d.root.elements() {
                let Some(end) = &section.end_span else {
                    continue;
                };
                let inner = &text[section.span.end..end.start];
                let emptied = found
                    .steps
                    .iter()
                    .any(|s| s.section.as_deref() == Some(section.name.as_str()));
                if emptied && section.attributes.is_empty() && inner.trim().is_empty() {
                    closes.push((section.span.start..end.end, format!("<{} />", section.name)));
                }
            }
            for (r, with) in closes.into_iter().rev() {
                text.replace_range(r, &with);
            }
        }
    }
    let only_defaults = match tree::read(&text) {
        Ok(d) if d.root.name == "policies" => d.root.elements().all(|section| {
            section.elements().all(|e| {
                (e.name == "base" || (section.name == "backend" && e.name == "forward-request"))
                    && e.attributes.is_empty()
            })
        }),
        _ => false,
    };
    Ok(Removed {
        text,
        steps: found.steps.len(),
        only_defaults,
    })
}

/// What `apim apply` leaves at a scope that had no policy once the capture is taken out again:
/// the generator's whole policy for that scope without its capture steps. A remainder equal to
/// this was created by apply, so a live remove deletes it (the scope had no policy before).
pub fn created_skeleton(scope: super::capture::Scope) -> Option<String> {
    use super::capture::{CaptureOptions, Digits, PolicyFormat};
    let opts = CaptureOptions {
        ingest_url: crate::http_url::BaseUrl::parse("-", "https://ingest.invalid").ok()?,
        patterns: super::patterns::RegexList::new(&[]).ok()?,
        account_id: Digits::parse("-", "0").ok()?,
        vxlan_id: Digits::parse("-", "0").ok()?,
        match_timeout_ms: 50,
        max_body_bytes: 0,
        token_named_value: None,
        format: PolicyFormat::RawXml,
        scope,
        fragments: None,
        record: Default::default(),
    };
    let whole = super::capture::render(&opts).ok()?.artifact.text;
    remove(&whole).ok().map(|r| r.text)
}

/// `span` widened to its whole lines (line break included) when only whitespace shares them.
fn whole_lines(src: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let line_start = src[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[span.end..]
        .find('\n')
        .map_or(src.len(), |i| span.end + i + 1);
    let blank = |s: &str| s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if blank(&src[line_start..span.start]) && blank(&src[span.end..line_end]) {
        line_start..line_end
    } else {
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apim::capture::{CaptureOptions, Digits, PolicyFormat, Scope};
    use crate::apim::patterns::RegexList;
    use crate::http_url::BaseUrl;

    fn steps() -> crate::apim::capture::Steps {
        let opts = CaptureOptions {
            ingest_url: BaseUrl::parse("--ingest-url", "https://ingest.example.com").unwrap(),
            patterns: RegexList::new(&[]).unwrap(),
            account_id: Digits::parse("x", "1000000").unwrap(),
            vxlan_id: Digits::parse("x", "0").unwrap(),
            match_timeout_ms: 50,
            max_body_bytes: 1000,
            token_named_value: None,
            format: PolicyFormat::RawXml,
            scope: Scope::Api,
            fragments: None,
            record: Default::default(),
        };
        crate::apim::capture::steps(&opts).unwrap().0
    }

    #[test]
    fn inject_then_remove_gives_the_original_back() {
        for original in [
            "<policies>\n    <inbound>\n        <base />\n        <rate-limit calls=\"5\" renewal-period=\"60\" />\n    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>",
            "<policies>\r\n\t<inbound>\r\n\t\t<base />\r\n\t</inbound>\r\n\t<outbound>\r\n\t\t<set-header name=\"x\" exists-action=\"override\"><value>1</value></set-header>\r\n\t\t<base />\r\n\t</outbound>\r\n</policies>\r\n",
        ] {
            let with = crate::apim::inject::inject(original, &steps(), true).unwrap().text;
            assert_ne!(with, original);
            let back = remove(&with).unwrap();
            assert_eq!(back.text, original);
            assert!(back.steps >= 2);
            let again = remove(original).unwrap();
            assert_eq!((again.text.as_str(), again.steps), (original, 0));
        }
    }

    #[test]
    fn only_defaults_is_told() {
        let p = "<policies>\n  <inbound>\n    <base />\n  </inbound>\n  <backend>\n    <forward-request />\n  </backend>\n</policies>";
        assert!(remove(p).unwrap().only_defaults);
        let p = "<policies>\n  <inbound>\n    <base />\n    <cors />\n  </inbound>\n</policies>";
        assert!(!remove(p).unwrap().only_defaults);
        assert!(matches!(
            remove("<policies><inbound>"),
            Err(RemoveError::Unreadable { .. })
        ));
    }
}
