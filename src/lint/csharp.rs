//! A lexical look at the C# of policy expressions: what the compiler refuses before it gets
//! to types (bad escapes, line breaks in literals, malformed character literals), and the
//! dotted names the code uses, for the allow-list check. Iterative, linear in the code.
//!
//! Not for: finding where an expression ends (that is `apim::dialect`), or typing the code.

use std::ops::Range;

/// A lexical error, as the C# compiler reports it; `span` is in the code's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub span: Range<usize>,
    /// The compiler's error number (`CS1009`).
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

/// A dotted name in code position (`System.IO.File.ReadAllText`, `Environment.Exit`), with
/// the byte range of each part; `after_new` when it follows the `new` keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub parts: Vec<(String, Range<usize>)>,
    pub after_new: bool,
}

/// What a scan of one expression finds.
#[derive(Debug, Default)]
pub struct Scan {
    pub errors: Vec<LexError>,
    pub names: Vec<Name>,
}

enum Frame {
    /// Code; inside an interpolation hole, the braces opened since the hole began.
    Code { hole: bool, braces: usize },
    /// An interpolated string's text.
    Interpolated { verbatim: bool, start: usize },
}

/// Scans the C# of one expression (`@(…)` or `@{…}` included: they are skipped).
pub fn scan(code: &str) -> Scan {
    let b = code.as_bytes();
    let mut out = Scan::default();
    let mut stack = vec![Frame::Code {
        hole: false,
        braces: 0,
    }];
    // Skip the `@(` / `@{`.
    let mut i = if b.starts_with(b"@(") || b.starts_with(b"@{") {
        2
    } else {
        0
    };
    let mut last_word: Option<Range<usize>> = None;
    while i < b.len() {
        let Some(top) = stack.last_mut() else { break };
        if let Frame::Interpolated { verbatim, start } = *top {
            match b[i] {
                b'"' if verbatim && b.get(i + 1) == Some(&b'"') => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'{' if b.get(i + 1) == Some(&b'{') => i += 2,
                b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
                b'{' => {
                    stack.push(Frame::Code {
                        hole: true,
                        braces: 0,
                    });
                    i += 1;
                }
                b'\\' if !verbatim => i = escape(code, i, &mut out.errors),
                b'\n' if !verbatim => {
                    out.errors.push(newline_in(start..i, "string"));
                    stack.pop();
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        let Frame::Code { hole, braces } = top else {
            break;
        };
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = code[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = code[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'$' | b'@' if is_interpolated(b, i) => {
                let verbatim = b[i + 1] == b'@' || c == b'@';
                let quote = if b[i + 1] == b'"' { i + 1 } else { i + 2 };
                stack.push(Frame::Interpolated { verbatim, start: i });
                i = quote + 1;
            }
            b'@' if b.get(i + 1) == Some(&b'"') => {
                // A verbatim string: `""` is a quote; nothing else is special.
                let mut j = i + 2;
                while j < b.len() {
                    if b[j] == b'"' {
                        if b.get(j + 1) == Some(&b'"') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                i = j + 1;
            }
            b'"' => i = regular_string(code, i, &mut out.errors),
            b'\'' => i = char_literal(code, i, &mut out.errors),
            b'{' => {
                *braces += 1;
                i += 1;
            }
            b'}' if *hole && *braces == 0 => {
                stack.pop();
                i += 1;
            }
            b'}' => {
                *braces = braces.saturating_sub(1);
                i += 1;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                // Only names that can leave the allow-list are kept (a root namespace, or a
                // well-known type outside it); the rest is skipped as a plain word.
                let word_end = i + b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                let word = &code[i..word_end];
                if !matches!(word, "System" | "Newtonsoft" | "Microsoft")
                    && !DISALLOWED_SHORT.contains(&word)
                {
                    last_word = Some(i..word_end);
                    i = word_end;
                    continue;
                }
                let preceded_by_dot = code[..i].trim_end().ends_with('.');
                let after_new = last_word
                    .as_ref()
                    .is_some_and(|w| &code[w.clone()] == "new" && code[w.end..i].trim().is_empty());
                let (name, end) = dotted_name(code, i);
                last_word = Some(name.parts[name.parts.len() - 1].1.clone());
                if !preceded_by_dot {
                    out.names.push(Name { after_new, ..name });
                }
                i = end;
            }
            _ if c.is_ascii_digit() => {
                // A number, with its suffixes and exponent.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// `$"`, `$@"`, `@$"` at `i`.
fn is_interpolated(b: &[u8], i: usize) -> bool {
    matches!(
        (b.get(i), b.get(i + 1), b.get(i + 2)),
        (Some(b'$'), Some(b'"'), _)
            | (Some(b'$'), Some(b'@'), Some(b'"'))
            | (Some(b'@'), Some(b'$'), Some(b'"'))
    )
}

/// Reads `a.b.c` (spaces allowed around the dots) from `at`; returns it and the offset after.
fn dotted_name(code: &str, at: usize) -> (Name, usize) {
    let b = code.as_bytes();
    let ident_end = |from: usize| {
        let mut j = from;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        j
    };
    let mut parts = Vec::new();
    let mut i = at;
    loop {
        let end = ident_end(i);
        parts.push((code[i..end].to_string(), i..end));
        let mut j = end;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if b.get(j) != Some(&b'.') {
            return (
                Name {
                    parts,
                    after_new: false,
                },
                end,
            );
        }
        j += 1;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if !b
            .get(j)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        {
            return (
                Name {
                    parts,
                    after_new: false,
                },
                end,
            );
        }
        i = j;
    }
}

fn newline_in(span: Range<usize>, what: &str) -> LexError {
    LexError {
        span,
        code: "CS1010",
        message: format!("a line break inside a {what} literal (C# error CS1010, newline in constant)"),
        help: format!("close the {what} on its line, write the break as `\\n`, or use a verbatim string `@\"…\"`"),
    }
}

/// Skips a regular string literal starting at `start` (its `"`), checking its escapes.
fn regular_string(code: &str, start: usize, errors: &mut Vec<LexError>) -> usize {
    let b = code.as_bytes();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'"' => return i + 1,
            b'\\' => i = escape(code, i, errors),
            b'\n' => {
                errors.push(newline_in(start..i, "string"));
                return i + 1;
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// Checks the escape sequence at `i` (a `\`) in a regular string or character literal;
/// returns the offset after it.
fn escape(code: &str, i: usize, errors: &mut Vec<LexError>) -> usize {
    let b = code.as_bytes();
    let Some(&e) = b.get(i + 1) else {
        return b.len();
    };
    let hex_run = |from: usize, max: usize| {
        b[from.min(b.len())..]
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_hexdigit())
            .count()
    };
    let (ok, len) = match e {
        b'\'' | b'"' | b'\\' | b'0' | b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' => (true, 2),
        b'x' => {
            let n = hex_run(i + 2, 4);
            (n > 0, 2 + n)
        }
        b'u' => {
            let n = hex_run(i + 2, 4);
            (n == 4, 2 + n)
        }
        b'U' => {
            let n = hex_run(i + 2, 8);
            let valid = n == 8
                && u32::from_str_radix(&code[i + 2..i + 10], 16).is_ok_and(|v| v <= 0x10FFFF);
            (valid, 2 + n)
        }
        _ => (false, 2),
    };
    let len = len.min(b.len() - i);
    if !ok {
        let end = code[i + 1..]
            .chars()
            .next()
            .map_or(i + 1, |c| (i + 1 + c.len_utf8()).max(i + len));
        let seq = &code[i..end];
        errors.push(LexError {
            span: i..end,
            code: "CS1009",
            message: format!(
                "`{seq}` is not an escape sequence C# knows (error CS1009, unrecognized escape sequence): APIM refuses to save the policy"
            ),
            help: format!(
                "write the backslash twice (`\\{seq}`), or use a verbatim string `@\"…\"`, where a backslash is itself (the usual choice for regular expressions)"
            ),
        });
    }
    i + len
}

/// Checks a character literal starting at `start` (its `'`); returns the offset after it.
fn char_literal(code: &str, start: usize, errors: &mut Vec<LexError>) -> usize {
    let b = code.as_bytes();
    let mut i = start + 1;
    let mut units = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => break,
            b'\n' => {
                errors.push(newline_in(start..i, "character"));
                return i + 1;
            }
            b'\\' => {
                i = escape(code, i, errors);
                units += 1;
            }
            _ => {
                let c = code[i..].chars().next().unwrap_or('\u{fffd}');
                units += c.len_utf16();
                i += c.len_utf8();
            }
        }
    }
    let end = (i + 1).min(b.len());
    match units {
        0 if b.get(i) == Some(&b'\'') => errors.push(LexError {
            span: start..end,
            code: "CS1011",
            message: "an empty character literal `''` (C# error CS1011)".to_string(),
            help: "put one character between the quotes, or use the string \"\" if an empty text was meant".to_string(),
        }),
        n if n > 1 && b.get(i) == Some(&b'\'') => errors.push(LexError {
            span: start..end,
            code: "CS1012",
            message: format!(
                "`{}` holds more than one character (C# error CS1012, too many characters in character literal)",
                &code[start..end]
            ),
            help: "use double quotes for text: a character literal holds exactly one character".to_string(),
        }),
        _ => {}
    }
    end
}

/// Types and namespaces policy expressions may use, from Microsoft's list ("API Management
/// policy expressions", .NET Framework types allowed in policy expressions).
pub const ALLOWED_TYPES: &[&str] = &[
    "Newtonsoft.Json.Formatting",
    "Newtonsoft.Json.JsonConvert",
    "Newtonsoft.Json.Linq.Extensions",
    "Newtonsoft.Json.Linq.JArray",
    "Newtonsoft.Json.Linq.JConstructor",
    "Newtonsoft.Json.Linq.JContainer",
    "Newtonsoft.Json.Linq.JObject",
    "Newtonsoft.Json.Linq.JProperty",
    "Newtonsoft.Json.Linq.JRaw",
    "Newtonsoft.Json.Linq.JToken",
    "Newtonsoft.Json.Linq.JTokenType",
    "Newtonsoft.Json.Linq.JValue",
    "System.Array",
    "System.BitConverter",
    "System.Boolean",
    "System.Byte",
    "System.Char",
    "System.Collections.Generic.Dictionary",
    "System.Collections.Generic.HashSet",
    "System.Collections.Generic.ICollection",
    "System.Collections.Generic.IDictionary",
    "System.Collections.Generic.IEnumerable",
    "System.Collections.Generic.IEnumerator",
    "System.Collections.Generic.IList",
    "System.Collections.Generic.IReadOnlyCollection",
    "System.Collections.Generic.IReadOnlyDictionary",
    "System.Collections.Generic.ISet",
    "System.Collections.Generic.KeyValuePair",
    "System.Collections.Generic.List",
    "System.Collections.Generic.Queue",
    "System.Collections.Generic.Stack",
    "System.Convert",
    "System.DateTime",
    "System.DateTimeKind",
    "System.DateTimeOffset",
    "System.Decimal",
    "System.Double",
    "System.Exception",
    "System.Guid",
    "System.Int16",
    "System.Int32",
    "System.Int64",
    "System.IO.StringReader",
    "System.IO.StringWriter",
    "System.Linq.Enumerable",
    "System.Math",
    "System.MidpointRounding",
    "System.Net.IPAddress",
    "System.Net.WebUtility",
    "System.Nullable",
    "System.Random",
    "System.SByte",
    "System.Security.Cryptography.AsymmetricAlgorithm",
    "System.Security.Cryptography.CipherMode",
    "System.Security.Cryptography.HashAlgorithm",
    "System.Security.Cryptography.HashAlgorithmName",
    "System.Security.Cryptography.HMAC",
    "System.Security.Cryptography.HMACMD5",
    "System.Security.Cryptography.HMACSHA1",
    "System.Security.Cryptography.HMACSHA256",
    "System.Security.Cryptography.HMACSHA384",
    "System.Security.Cryptography.HMACSHA512",
    "System.Security.Cryptography.KeyedHashAlgorithm",
    "System.Security.Cryptography.MD5",
    "System.Security.Cryptography.Oid",
    "System.Security.Cryptography.PaddingMode",
    "System.Security.Cryptography.RNGCryptoServiceProvider",
    "System.Security.Cryptography.RSA",
    "System.Security.Cryptography.RSAEncryptionPadding",
    "System.Security.Cryptography.RSASignaturePadding",
    "System.Security.Cryptography.SHA1",
    "System.Security.Cryptography.SHA1Managed",
    "System.Security.Cryptography.SHA256",
    "System.Security.Cryptography.SHA256Managed",
    "System.Security.Cryptography.SHA384",
    "System.Security.Cryptography.SHA384Managed",
    "System.Security.Cryptography.SHA512",
    "System.Security.Cryptography.SHA512Managed",
    "System.Security.Cryptography.SymmetricAlgorithm",
    "System.Security.Cryptography.X509Certificates.PublicKey",
    "System.Security.Cryptography.X509Certificates.RSACertificateExtensions",
    "System.Security.Cryptography.X509Certificates.X500DistinguishedName",
    "System.Security.Cryptography.X509Certificates.X509Certificate",
    "System.Security.Cryptography.X509Certificates.X509Certificate2",
    "System.Security.Cryptography.X509Certificates.X509ContentType",
    "System.Security.Cryptography.X509Certificates.X509NameType",
    "System.Single",
    "System.String",
    "System.StringComparer",
    "System.StringComparison",
    "System.StringSplitOptions",
    "System.Text.Encoding",
    "System.Text.RegularExpressions.Capture",
    "System.Text.RegularExpressions.CaptureCollection",
    "System.Text.RegularExpressions.Group",
    "System.Text.RegularExpressions.GroupCollection",
    "System.Text.RegularExpressions.Match",
    "System.Text.RegularExpressions.Regex",
    "System.Text.RegularExpressions.RegexOptions",
    "System.Text.StringBuilder",
    "System.TimeSpan",
    "System.TimeZone",
    "System.TimeZoneInfo",
    "System.Tuple",
    "System.UInt16",
    "System.UInt32",
    "System.UInt64",
    "System.Uri",
    "System.UriPartial",
    "System.Xml.Linq.Extensions",
    "System.Xml.Linq.XAttribute",
    "System.Xml.Linq.XCData",
    "System.Xml.Linq.XComment",
    "System.Xml.Linq.XContainer",
    "System.Xml.Linq.XDeclaration",
    "System.Xml.Linq.XDocument",
    "System.Xml.Linq.XDocumentType",
    "System.Xml.Linq.XElement",
    "System.Xml.Linq.XName",
    "System.Xml.Linq.XNamespace",
    "System.Xml.Linq.XNode",
    "System.Xml.Linq.XNodeDocumentOrderComparer",
    "System.Xml.Linq.XNodeEqualityComparer",
    "System.Xml.Linq.XObject",
    "System.Xml.Linq.XProcessingInstruction",
    "System.Xml.Linq.XText",
    "System.Xml.XmlNodeType",
];

/// Well-known .NET types outside the allow-list, as code names them without a namespace.
/// A name is only taken for one of these when used like a type (`Environment.Exit`,
/// `new WebClient()`).
pub const DISALLOWED_SHORT: &[&str] = &[
    "Activator",
    "AppContext",
    "AppDomain",
    "Assembly",
    "Console",
    "Directory",
    "DirectoryInfo",
    "Dns",
    "Environment",
    "File",
    "FileInfo",
    "FileStream",
    "GC",
    "HttpClient",
    "HttpWebRequest",
    "Marshal",
    "Parallel",
    "Process",
    "Registry",
    "Socket",
    "StreamReader",
    "StreamWriter",
    "TcpClient",
    "Thread",
    "ThreadPool",
    "WebClient",
    "WebRequest",
];

/// Whether `parts` (a dotted name from its first part) stays within the allow-list; when
/// not, how many leading parts name the first thing outside it.
pub fn outside_allow_list(parts: &[&str]) -> Option<usize> {
    let root = *parts.first()?;
    if matches!(root, "System" | "Newtonsoft" | "Microsoft") {
        // `long` is `short` or one of its members (names hold no dots, so compare the text).
        let within = |long: &str, short: &str| {
            long.strip_prefix(short)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        let mut prefix = String::new();
        for (k, part) in parts.iter().enumerate() {
            if k > 0 {
                prefix.push('.');
            }
            prefix.push_str(part);
            // A type and its members, or a namespace on the way to a type.
            let known = ALLOWED_TYPES
                .iter()
                .any(|t| within(&prefix, t) || within(t, &prefix));
            if !known {
                return Some(k + 1);
            }
            if ALLOWED_TYPES.contains(&prefix.as_str()) {
                return None;
            }
        }
        // A namespace alone (`System.Text`): not a use of a type.
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(code: &str) -> Vec<&'static str> {
        scan(code).errors.iter().map(|e| e.code).collect()
    }

    #[test]
    fn lexical_errors_the_compiler_reports() {
        assert_eq!(codes(r#"@(Regex.IsMatch(p, "^/api/\d+$"))"#), ["CS1009"]);
        assert_eq!(
            codes(r#"@(Regex.IsMatch(p, @"^/api/\d+$"))"#),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(r#"@("a\\d\t\u0041\x41\U0001F600")"#),
            Vec::<&str>::new()
        );
        assert_eq!(codes(r#"@("\u00")"#), ["CS1009"]);
        assert_eq!(codes("@(''.ToString())"), ["CS1011"]);
        assert_eq!(codes("@('ab')"), ["CS1012"]);
        assert_eq!(codes(r"@('\n')"), Vec::<&str>::new());
        assert_eq!(
            codes("@{ var s = $\"x{a[\"k\"]}\\q\"; return s; }"),
            ["CS1009"]
        );
        assert_eq!(
            codes("@{ var s = $@\"x\\q{a}\"; return s; }"),
            Vec::<&str>::new()
        );
        assert_eq!(codes("@{ // \"\\q\n return 1; }"), Vec::<&str>::new());
    }

    #[test]
    fn names_outside_the_allow_list() {
        let parts = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        for (name, bad) in [
            ("System.IO.File.ReadAllText", Some(3)),
            ("System.Net.WebClient", Some(3)),
            ("System.Environment.Exit", Some(2)),
            ("System.Text.RegularExpressions.Regex.IsMatch", None),
            ("System.Linq.Enumerable.Range", None),
            ("Newtonsoft.Json.Linq.JObject.Parse", None),
            ("System.Net.IPAddress.Parse", None),
            ("context.Request.Body", None),
        ] {
            let p = parts(name);
            let p: Vec<&str> = p.iter().map(String::as_str).collect();
            assert_eq!(outside_allow_list(&p), bad, "{name}");
        }
        let s = scan("@{ var c = new WebClient(); return Environment.MachineName + x.File; }");
        let firsts: Vec<(String, bool)> = s
            .names
            .iter()
            .map(|n| (n.parts[0].0.clone(), n.after_new))
            .collect();
        assert!(
            firsts.contains(&("WebClient".to_string(), true)),
            "{firsts:?}"
        );
        assert!(firsts.contains(&("Environment".to_string(), false)));
        assert!(
            !firsts.iter().any(|(n, _)| n == "File"),
            "member access is not a type"
        );
    }
}
