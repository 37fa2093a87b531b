//! The one shape every generator returns: an [`Artifact`] (a relative path, the text, whether it
//! holds a secret, and the syntax it is read back as), and [`Rendered`] when the generator also
//! has warnings for the user.
//!
//! [`read_back`] is the one read-back seam: `output::deliver` calls it on every artifact of a
//! set before the first byte goes anywhere. It checks what any file of that syntax must be
//! (well-formed XML, the APIM policy dialect, JSON, every YAML document, `KEY=VALUE` env lines);
//! what a generator promises beyond that (the ingest URL reads back, no secret inline) it checks
//! itself, on its own model, before it returns.
//!
//! Not for: writing or printing (that is `output`), or choosing file names (the generators do).

use std::path::PathBuf;

/// How an artifact is read back before it is written or printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// An APIM policy or fragment as APIM reads it (raw C# expressions allowed).
    Policy,
    /// Well-formed XML (the escaped `xml` policy form).
    Xml,
    Json,
    /// One or more YAML documents.
    Yaml,
    /// An env file: `KEY=VALUE` lines and `#` comments (see [`read_env`]).
    Env,
    /// Text no parser here reads (shell, Bicep, Terraform): the tests run the real consumer
    /// (shellcheck, python-hcl2, the Bicep snapshots) instead.
    Text,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Where it goes, relative to the output folder; with `-o FILE` or on standard output only
    /// the text counts.
    pub path: PathBuf,
    pub text: String,
    /// Holds a secret (or the place for one): written mode 0600; printed only with a banner
    /// that says so. A generator puts a real secret in it only when the caller asked for a
    /// folder (the commands refuse standard output first).
    pub private: bool,
    pub syntax: Syntax,
}

impl Artifact {
    /// A public artifact read back as plain text; see [`Artifact::read_as`].
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
            private: false,
            syntax: Syntax::Text,
        }
    }

    /// An artifact that holds a secret: mode 0600.
    pub fn private(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            private: true,
            ..Self::new(path, text)
        }
    }

    /// The same artifact, read back as `syntax`.
    pub fn read_as(mut self, syntax: Syntax) -> Self {
        self.syntax = syntax;
        self
    }

    /// The file name as shown to the user (in `# ==> name <==` banners and messages).
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// A rendered artifact and what the user should hear about it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub artifact: Artifact,
    pub warnings: Vec<String>,
}

/// Reads `artifact` back as its [`Syntax`]; `Err` says what does not parse.
pub fn read_back(artifact: &Artifact) -> Result<(), String> {
    let text = &artifact.text;
    match artifact.syntax {
        Syntax::Policy => crate::apim::tree::read(text)
            .map(drop)
            .map_err(|e| format!("unreadable policy at byte {}: {e}", e.offset)),
        Syntax::Xml => check_well_formed(text),
        Syntax::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(drop)
            .map_err(|e| format!("not JSON: {e}")),
        Syntax::Yaml => {
            use serde::Deserialize;
            for doc in serde_yaml::Deserializer::from_str(text) {
                serde_yaml::Value::deserialize(doc).map_err(|e| format!("not YAML: {e}"))?;
            }
            Ok(())
        }
        Syntax::Env => read_env(text).map(drop),
        Syntax::Text => Ok(()),
    }
}

/// Reads an env file: `KEY=VALUE` lines and comments, nothing else; no value holds a quote,
/// `$` or a control character (Compose and shells would read those differently).
pub fn read_env(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("line {} is not KEY=VALUE", i + 1));
        };
        let key_ok = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok
            || v.chars()
                .any(|c| c.is_control() || c == '"' || c == '\'' || c == '$')
        {
            return Err(format!("line {} has an unsafe key or value", i + 1));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Whether `text` is well-formed XML as it stands (the `xml` form; a policy with raw
/// expressions is not).
pub fn is_well_formed_xml(text: &str) -> bool {
    check_well_formed(text).is_ok()
}

/// Reads `text` with a plain XML reader: the `xml` form must be well-formed as it stands.
pub fn check_well_formed(text: &str) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_comments = true;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::Start(s) | Event::Empty(s)) => {
                for a in s.attributes().with_checks(true) {
                    let a = a.map_err(|e| format!("not well-formed XML: {e}"))?;
                    // XML forbids a raw `<` in an attribute value (the reader lets it through);
                    // it is how a rawxml expression such as `@(a < b)` shows.
                    if a.value.contains(&b'<') {
                        return Err(format!(
                            "not well-formed XML: a raw '<' in the value of {}",
                            String::from_utf8_lossy(a.key.as_ref())
                        ));
                    }
                    a.unescape_value()
                        .map_err(|e| format!("not well-formed XML: {e}"))?;
                }
            }
            Ok(Event::Text(t)) => {
                t.unescape()
                    .map_err(|e| format!("not well-formed XML: {e}"))?;
            }
            Ok(_) => {}
            Err(e) => return Err(format!("not well-formed XML: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(syntax: Syntax, text: &str) -> Result<(), String> {
        read_back(&Artifact::new("f", text).read_as(syntax))
    }

    #[test]
    fn each_syntax_refuses_what_its_consumer_would() {
        assert!(check(Syntax::Xml, "<a b=\"1\"/>").is_ok());
        assert!(check(Syntax::Xml, "<a b=\"@(x < y)\"/>").is_err());
        assert!(check(Syntax::Policy, "<a b=\"@(x < y)\"/>").is_ok());
        assert!(check(Syntax::Policy, "<a><b></a>").is_err());
        assert!(check(Syntax::Json, "{\"a\": 1}").is_ok());
        assert!(check(Syntax::Json, "{\"a\": 1,}").is_err());
        assert!(check(Syntax::Yaml, "a: 1\n---\nb: [2]\n").is_ok());
        assert!(check(Syntax::Yaml, "a: 1\n---\nb: [2\n").is_err());
        assert!(check(Syntax::Env, "# c\nA_1=x\n\n").is_ok());
        assert!(check(Syntax::Env, "A=$HOME\n").is_err());
        assert!(check(Syntax::Env, "lower=x\n").is_err());
    }

    #[test]
    fn constructors() {
        let a = Artifact::private("x.env", "A=1\n").read_as(Syntax::Env);
        assert!(a.private);
        assert_eq!(a.name(), "x.env");
        assert!(!Artifact::new("y", "").private);
    }
}
