//! The one masking step for credentials a command knows (a key it sent, a token it holds):
//! run on the final rendered text of an output, after escaping for its format and before any
//! cut, and by [`crate::net::Response::text`] on every answer before a caller can shorten it.
//!
//! A secret is found in every form a renderer may have given it: as is, JSON-escaped (`\"`,
//! `\\`, `\uXXXX`, also with every non-ASCII character as `\uXXXX`), XML-escaped (entities,
//! numeric references) and shell-quoted (`'…'\''…'`). Each occurrence becomes `***`.
//!
//! Not for: literal secrets inside policies (that is [`crate::apim::secrets`], which masks
//! spans it found while keeping offsets).

/// Shorter secrets are not masked: three characters would mask every `the`.
const MIN_SECRET: usize = 4;

/// What replaces a secret.
pub const MASK: &str = "***";

/// The set of secrets to mask, with the escaped forms of each computed once.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    forms: Vec<String>,
}

impl Secrets {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut s = Self::default();
        for v in secrets {
            s.add(v);
        }
        s
    }

    /// Adds a secret (ignored when shorter than four characters or blank).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.chars().count() < MIN_SECRET {
            return;
        }
        for form in forms(secret) {
            if !form.is_empty() && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        // Longest first, so a form that contains another is replaced whole.
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every form of every secret replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for f in &self.forms {
            if out.contains(f.as_str()) {
                out = out.replace(f.as_str(), MASK);
            }
        }
        out
    }
}

/// Masks `secrets` in `text` (see [`Secrets`]).
pub fn mask(text: &str, secrets: &[&str]) -> String {
    Secrets::new(secrets.iter().copied()).mask(text)
}

fn forms(s: &str) -> Vec<String> {
    let mut v = vec![s.to_string()];
    // JSON as serde_json writes it (non-ASCII as is), and with every non-ASCII as \uXXXX.
    let json = serde_json::to_string(s).unwrap_or_default();
    v.push(json[1..json.len().saturating_sub(1).max(1)].to_string());
    v.push(json_ascii(s));
    v.push(json_ascii(s).to_ascii_uppercase().replace("\\U", "\\u"));
    // XML: entities as our renderers and xmllint write them, and all-numeric.
    v.push(xml(s, false));
    v.push(xml(s, true));
    // Shell single quotes: ' becomes '\''  (and "'"'"' as some tools write it).
    v.push(s.replace('\'', "'\\''"));
    v.push(s.replace('\'', "'\"'\"'"));
    v
}

fn json_ascii(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn xml(s: &str, numeric: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match (c, numeric) {
            ('&', false) => out.push_str("&amp;"),
            ('<', false) => out.push_str("&lt;"),
            ('>', false) => out.push_str("&gt;"),
            ('"', false) => out.push_str("&quot;"),
            ('\'', false) => out.push_str("&apos;"),
            ('&' | '<' | '>' | '"' | '\'', true) => out.push_str(&format!("&#{};", c as u32)),
            (c, _) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_escaped_form() {
        let key = r#"k"e\y<&'κλειδί"#;
        let raw = format!("a {key} b");
        let json = serde_json::json!({ "answer": raw }).to_string();
        let xml_text = format!("<a v=\"{}\"/>", xml(key, false));
        let shell = format!("X='{}'", key.replace('\'', "'\\''"));
        let ascii = json_ascii(key);
        for text in [raw, json, xml_text, shell, ascii] {
            let m = mask(&text, &[key]);
            assert!(m.contains(MASK), "{text} -> {m}");
            assert!(!m.contains("κλ") && !m.contains("03ba"), "{text} -> {m}");
        }
    }

    #[test]
    fn short_secrets_are_left_alone() {
        assert_eq!(mask("the abc", &["abc"]), "the abc");
    }
}
