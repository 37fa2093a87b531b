//! The .NET dialect as users meet it: `apim policy --regex` and `lint`.

use serde_json::Value;

use crate::common::{bin, run};

const URL: &str = "https://ingest.example.com";

fn policy(regex: &str, extra: &[&str]) -> (i32, String, String) {
    run(bin()
        .args(["apim", "policy", "--ingest-url", URL, "--regex", regex])
        .args(extra))
}

#[test]
fn dotnet_constructs_are_accepted() {
    for re in [
        r"(?<=/v)\d+",
        r"^(?<open>\()[^()]*(?<close-open>\))$",
        r"\p{IsGreek}+",
        "x{1",
        r"^/[a-z-[aeiou]]+$",
    ] {
        let (code, out, err) = policy(re, &[]);
        assert_eq!(code, 0, "{re}: {err}");
        assert!(out.contains("<policies>"));
    }
}

#[test]
fn patterns_dotnet_refuses_exit_2_with_reason_and_caret() {
    // (pattern, .NET's reason, column of the caret under the pattern)
    for (re, reason, col) in [
        ("(?P<n>a)", "Unrecognized grouping construct.", 3),
        (r"\pL", "Incomplete \\p{X} character escape.", 2),
        ("a++", "Nested quantifier +.", 3),
        ("[z-a]", "[x-y] range in reverse order.", 4),
        ("^/api/(v1", "Not enough )'s.", 9),
    ] {
        let (code, out, err) = policy(re, &[]);
        assert_eq!(code, 2, "{re}");
        assert!(out.is_empty());
        assert!(err.contains(reason), "{re}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start() == re)
            .unwrap_or_else(|| panic!("{err}"));
        let caret = lines[at + 1];
        assert_eq!(
            caret.len() - 4,
            col,
            "{re}: caret at the wrong column:\n{err}"
        );
    }
}

#[test]
fn catastrophic_patterns_need_allow_risky_regex() {
    for re in [r"^/api/([\w/]+)*$", "^(a|aa)+$"] {
        let (code, _, err) = policy(re, &[]);
        assert_eq!(code, 2, "{re}");
        assert!(
            err.contains("catastrophic backtracking") && err.contains("--allow-risky-regex"),
            "{err}"
        );
        let (code, out, err) = policy(re, &["--allow-risky-regex"]);
        assert_eq!(code, 0);
        assert!(out.contains("<policies>"));
        assert!(
            err.contains("warning:") && err.contains("match timeout"),
            "{err}"
        );
    }
    for re in [r"^(\w+\.)*\w+$", "(a|a)*x"] {
        assert_eq!(policy(re, &[]).0, 0, "{re} is safe");
    }
}

fn lint_rules(policy_body: &str) -> Vec<(String, u64)> {
    let text = format!(
        "<policies><inbound><base />{policy_body}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
    );
    let (_, out, _) = run(bin()
        .args(["lint", "--no-config", "--format", "json", "-"])
        .write_stdin(text));
    let v: Value = serde_json::from_str(&out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn lint_reports_regex_list_entries_and_expression_literals() {
    let list = r#"<set-variable name="regexList" value="^/ok;^/api/([\w/]+)*$;(?P&lt;n&gt;a);(a|a)*x;^(\w+\.)*\w+$;^(a|aa)+$" />"#;
    let got = lint_rules(list);
    let rules: Vec<&str> = got.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        rules,
        ["regex-redos", "regex-invalid", "regex-redos"],
        "{got:?}"
    );

    let expr = r#"<set-variable name="m" value="@(Regex.IsMatch(context.Request.OriginalUrl.Path, @"^(a|aa)+$") || new Regex("(?P<x>y)").IsMatch(""))" />"#;
    let rules: Vec<String> = lint_rules(expr).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules, ["regex-redos", "regex-invalid"]);
}

#[test]
fn regex_slow_is_off_by_default_and_can_be_turned_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.xml");
    std::fs::write(&p, r#"<policies><inbound><base /><set-variable name="regexList" value="\d+x" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"#).unwrap();
    let (_, out, _) = run(bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "p.xml"]));
    assert!(!out.contains("regex-slow"), "{out}");
    std::fs::write(
        dir.path().join("akto-connect.toml"),
        "[rules]\nregex-slow = \"info\"\n",
    )
    .unwrap();
    let (code, out, _) = run(bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "p.xml"]));
    assert_eq!(code, 0, "info does not fail the run");
    assert!(out.contains("\"rule\": \"regex-slow\""), "{out}");
}

#[test]
fn regular_string_literals_are_unescaped_as_csharp_does() {
    let policy = |cond: &str| {
        format!(
            "<policies>\n<inbound>\n<base />\n<choose>\n<when condition=\"@({cond})\"><base /></when>\n</choose>\n</inbound>\n<backend><base /></backend>\n<outbound><base /></outbound>\n<on-error><base /></on-error>\n</policies>\n"
        )
    };
    let lint = |text: String| {
        let (code, out, err) = run(bin()
            .args(["lint", "--no-config", "--format", "json", "-"])
            .write_stdin(text));
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        let rules: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] != "duplicate-base")
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        (code, rules, v)
    };
    // `\\w` in a regular string is the regex `\w`: analysed like the verbatim `@"(\w+\s?)*$"`.
    let (_, rules, v) = lint(policy(
        r#"Regex.IsMatch(context.Request.Url.Path, "^(\\w+\\s?)*$")"#,
    ));
    assert_eq!(rules, ["regex-redos"], "{v}");
    let (_, verbatim, _) = lint(policy(
        r#"Regex.IsMatch(context.Request.Url.Path, @"^(\w+\s?)*$")"#,
    ));
    assert_eq!(rules, verbatim);
    // A single `\d` is C# error CS1009: one expression-invalid finding, no regex verdict.
    let (code, rules, v) = lint(policy(
        r#"Regex.IsMatch(context.Request.Url.Path, "^/api/\d+$")"#,
    ));
    assert_eq!(code, 1);
    assert_eq!(rules, ["expression-invalid"], "{v}");
    assert!(v["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("CS1009"));
}
