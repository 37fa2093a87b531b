//! The capture policy checked by its real consumers: xmllint for the `xml` form, Mono's C#
//! compiler for every policy expression (against the APIM context stand-in and the real
//! Newtonsoft.Json), and Microsoft's regex engine (under Mono) for the path filter's behaviour.
//! Executing whole policies is in `apim_runtime`.

use std::process::Command;

use akto_connect::apim::capture::PolicyFormat;
use akto_connect::apim::dialect::{Kind, Place};
use akto_connect::apim::tree;

use crate::common::{option_sets, options, pipe, render, require_tool, test_file};

#[test]
#[ignore = "needs xmllint"]
fn xml_form_passes_xmllint() {
    require_tool("xmllint");
    let dir = tempfile::tempdir().unwrap();
    for (name, opts) in option_sets() {
        if opts.format != PolicyFormat::Xml {
            continue;
        }
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, render(&opts)).unwrap();
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: xmllint rejects the xml form:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn rawxml_form_is_not_xml_but_carries_the_same_expressions() {
    for (name, opts) in option_sets() {
        if opts.format != PolicyFormat::RawXml {
            continue;
        }
        let mut xml_opts = opts.clone();
        xml_opts.format = PolicyFormat::Xml;
        let raw = render(&opts);
        let xml = render(&xml_opts);
        let raw_codes = expressions(&raw);
        let xml_codes = expressions(&xml);
        assert!(!raw_codes.is_empty());
        assert_eq!(
            raw_codes, xml_codes,
            "{name}: the two forms decode to different C#"
        );
    }
}

/// (C# code, is it an attribute value) of every expression in a policy.
fn expressions(policy: &str) -> Vec<(String, bool)> {
    let doc = tree::read(policy).expect("the policy reads");
    doc.expressions
        .iter()
        .map(|e| (e.code(policy), e.place == Place::Attribute))
        .collect()
}

/// One C# method per expression: `@(x)` returns `x`; `@{ … }` is the method body.
fn csharp_method(name: &str, code: &str, kind: Kind) -> String {
    let inner = &code[2..code.len() - 1];
    let body = match kind {
        Kind::Single => format!("return ({inner});"),
        Kind::Block => inner.to_string(),
    };
    format!("    public static object {name}(IContext context)\n    {{\n{body}\n    }}\n")
}

/// Compiles C# sources with mcs; panics with the compiler's output on failure.
fn mcs(
    dir: &std::path::Path,
    out: &str,
    target: &str,
    sources: &[std::path::PathBuf],
) -> std::path::PathBuf {
    let out_path = dir.join(out);
    let result = Command::new("mcs")
        .arg(format!("-target:{target}"))
        .arg(format!("-out:{}", out_path.display()))
        .arg("-warnaserror+")
        .arg(format!("-r:{}", crate::apim_runtime::NEWTONSOFT))
        .arg("-nowarn:168,219")
        .args(sources)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "mcs rejected generated C#:\n{}\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    out_path
}

#[test]
#[ignore = "needs mcs (Mono)"]
fn every_generated_expression_compiles_with_mcs() {
    require_tool("mcs");
    let dir = tempfile::tempdir().unwrap();
    let mut class = String::from(
        "using System;\nusing System.Collections.Generic;\nusing System.Linq;\n\nnamespace Generated\n{\npublic static class Expressions\n{\n",
    );
    let mut count = 0;
    for (name, opts) in option_sets() {
        let policy = render(&opts);
        let doc = tree::read(&policy).unwrap();
        for (i, e) in doc.expressions.iter().enumerate() {
            let mut code = e.code(&policy);
            // An XML reader turns line breaks in an attribute value into spaces: the C# must
            // survive that (no `//` comments), so compile it that way.
            if opts.format == PolicyFormat::Xml && e.place == Place::Attribute {
                code = code.replace(['\n', '\r', '\t'], " ");
            }
            let method = format!("E_{}_{i}", name.replace('-', "_"));
            class.push_str(&csharp_method(&method, &code, e.kind));
            count += 1;
        }
    }
    class.push_str("}\n}\n");
    assert!(
        count >= 24,
        "expected every expression of every option set, got {count}"
    );
    let generated = dir.path().join("generated.cs");
    std::fs::write(&generated, &class).unwrap();
    mcs(
        dir.path(),
        "expressions.dll",
        "library",
        &[test_file("conformance/apim_context.cs"), generated],
    );
}

#[test]
#[ignore = "needs mcs and mono"]
fn capture_predicate_behaves_on_dotnet_regex_engine() {
    require_tool("mcs");
    require_tool("mono");
    let policy = render(&options(
        "https://ingest.example.com",
        &[],
        None,
        PolicyFormat::RawXml,
    ));
    let doc = tree::read(&policy).unwrap();
    let capture = doc
        .root
        .descendants()
        .into_iter()
        .find(|e| {
            e.name == "set-variable"
                && e.attr("name")
                    .is_some_and(|a| doc.attr_value(&policy, a) == "aktoCapture")
        })
        .expect("the policy sets aktoCapture");
    let code = doc.attr_value(&policy, capture.attr("value").unwrap());
    let class = format!(
        "using System;\nusing System.Collections.Generic;\nusing System.Linq;\nnamespace Generated {{\npublic static class Expressions {{\n{}}}\n}}\n",
        csharp_method("Capture", &code, Kind::Block)
    );
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("capture.cs");
    std::fs::write(&generated, class).unwrap();
    let exe = mcs(
        dir.path(),
        "capture.exe",
        "exe",
        &[
            test_file("conformance/apim_context.cs"),
            test_file("conformance/apim_capture_runner.cs"),
            generated,
        ],
    );
    // (regexList, path, captured?)
    let evil = format!("{}!", "a".repeat(40));
    let cases: Vec<(&str, &str, bool)> = vec![
        ("", "/anything", true),
        (" ; ", "/anything", true),
        ("^/api/v1/", "/api/v1/users", true),
        ("^/api/v1/", "/api/v2/users", false),
        ("^/api/v2/;^/api/v1/", "/api/v1/users", true),
        (" ^/api/v1/ ", "/api/v1/users", true),
        (r"(?<=/v)\d+", "/v2", true),
        (r"^/orders/(?<id>\d+)$", "/orders/42", true),
        // an invalid pattern is skipped, the others still match
        ("(unclosed;^/ok$", "/ok", true),
        ("(unclosed", "/ok", false),
        // a catastrophic pattern times out (counts as no match) instead of stalling
        ("^(a+)+$", &evil, false),
        ("^(a+)+$;a", &evil, true),
    ];
    let input: String = cases
        .iter()
        .map(|(l, p, _)| format!("{l}\t{p}\n"))
        .collect();
    std::fs::copy(
        crate::apim_runtime::NEWTONSOFT,
        dir.path().join("Newtonsoft.Json.dll"),
    )
    .unwrap();
    let out = pipe(Command::new("mono").arg(&exe), &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), cases.len(), "{lines:?}");
    for ((list, path, want), line) in cases.iter().zip(&lines) {
        let (got, ms) = line.split_once('\t').unwrap();
        assert_eq!(
            got,
            if *want { "True" } else { "False" },
            "regexList {list:?} on {path:?}"
        );
        let ms: u64 = ms.parse().unwrap();
        assert!(
            ms < 5_000,
            "regexList {list:?} took {ms} ms: the match timeout did not bound it"
        );
    }
}
