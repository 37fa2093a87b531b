//! `akto-connect apim policy` as a user runs it: the output, every refusal, exit codes, files.

use clap::CommandFactory;
use quick_xml::events::Event;

use akto_connect::apim::tree;

use crate::common::bin;

const URL: &str = "https://ingest.example.com:9091";

/// Reads a well-formed policy with a plain XML reader (independent of the project's reader):
/// the `<base />` count per section, the regexList value and the set-url text.
fn read_xml(policy: &str) -> (Vec<(String, usize)>, String, String) {
    let mut reader = quick_xml::Reader::from_str(policy);
    let mut path: Vec<String> = Vec::new();
    let mut bases: Vec<(String, usize)> = Vec::new();
    // The capture sends from <outbound> and again from <on-error>: each copy reads the same.
    let (mut regex_lists, mut set_urls) = (Vec::new(), Vec::<String>::new());
    loop {
        let event = reader.read_event().expect("well-formed XML");
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if path.len() == 1 {
                    bases.push((name.clone(), 0));
                }
                if name == "base" && path.len() == 2 {
                    bases.last_mut().unwrap().1 += 1;
                }
                if name == "set-variable" {
                    let attr = |k: &str| {
                        e.try_get_attribute(k)
                            .unwrap()
                            .map(|a| a.unescape_value().unwrap().into_owned())
                    };
                    if attr("name").as_deref() == Some("aktoRegexList") {
                        regex_lists.push(attr("value").expect("a value"));
                    }
                }
                if name == "set-url" {
                    set_urls.push(String::new());
                }
                if matches!(event, Event::Start(_)) {
                    path.push(name);
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if path.last().map(String::as_str) == Some("set-url") => {
                set_urls
                    .last_mut()
                    .unwrap()
                    .push_str(&t.unescape().unwrap());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        regex_lists.len(),
        2,
        "aktoRegexList in <inbound> and <on-error>"
    );
    assert_eq!(regex_lists[0], regex_lists[1]);
    assert_eq!(set_urls.len(), 2, "a send in <outbound> and in <on-error>");
    assert_eq!(set_urls[0], set_urls[1]);
    (bases, regex_lists.swap_remove(0), set_urls.swap_remove(0))
}

#[test]
fn done_when_example_reads_back_in_both_forms() {
    let args = [
        "apim",
        "policy",
        "--ingest-url",
        URL,
        "--regex",
        "^/api/v1/.*",
        "--regex",
        r#"a&b<c>"d"#,
    ];
    let raw = bin()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let raw = String::from_utf8(raw).unwrap();
    let xml = bin()
        .args(args)
        .args(["--format", "xml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let xml = String::from_utf8(xml).unwrap();

    let (bases, regex_list, set_url) = read_xml(&xml);
    let expected_sections =
        ["inbound", "backend", "outbound", "on-error"].map(|s| (s.to_string(), 1));
    assert_eq!(bases, expected_sections);
    assert_eq!(regex_list, r#"^/api/v1/.*;a&b<c>"d"#);
    assert_eq!(set_url, "https://ingest.example.com:9091/api/ingestData");

    // The rawxml form is not XML (expressions are unescaped), but reads the same in the dialect.
    let doc = tree::read(&raw).expect("rawxml reads in the APIM dialect");
    let sections: Vec<_> = doc
        .root
        .elements()
        .map(|e| {
            (
                e.name.clone(),
                e.elements().filter(|c| c.name == "base").count(),
            )
        })
        .collect();
    assert_eq!(sections, expected_sections);
    assert!(raw.contains(r#"value="^/api/v1/.*;a&amp;b&lt;c&gt;&quot;d""#));
    assert!(
        raw.contains(r#"GetValueOrDefault<string>("aktoRegexList", "")"#),
        "rawxml keeps C# unescaped"
    );
}

#[test]
fn output_is_deterministic() {
    let run = || {
        bin()
            .args(["apim", "policy", "--ingest-url", URL, "--regex", "^/a"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    };
    assert_eq!(run(), run());
}

#[test]
fn ingest_url_from_environment() {
    let out = bin()
        .env("AKTO_INGEST_URL", "https://env.example.com/")
        .args(["apim", "policy", "--format", "xml"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let (_, _, url) = read_xml(&String::from_utf8(out).unwrap());
    assert_eq!(url, "https://env.example.com/api/ingestData");
}

#[test]
fn lookbehind_and_dotnet_only_syntax_is_accepted() {
    for re in [
        r"(?<=/v)\d+",
        r"^/(?<ver>v\d)/(?(ver)x|y)",
        r"[a-z-[aeiou]]+",
        r"\p{IsGreek}",
    ] {
        bin()
            .args(["apim", "policy", "--ingest-url", URL, "--regex", re])
            .assert()
            .success();
    }
}

#[test]
fn http_is_allowed_with_a_warning() {
    let a = bin()
        .args(["apim", "policy", "--ingest-url", "http://10.0.0.4:9091"])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("warning:") && err.contains("in clear"),
        "{err}"
    );
}

#[test]
fn every_refusal_exits_2_with_a_message_and_no_output() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--ingest-url", "ftp://ingest.example.com"],
            "unsupported scheme `ftp`",
        ),
        (&["--ingest-url", "ingest.example.com:9091"], "no scheme"),
        (
            &["--ingest-url", "https://ingest.example.com/?x=1"],
            "query",
        ),
        (
            &["--ingest-url", "https://ingest.example.com/#top"],
            "fragment",
        ),
        (
            &["--ingest-url", "https://ingest.example.com/a b"],
            "whitespace",
        ),
        (
            &["--ingest-url", " https://ingest.example.com"],
            "whitespace",
        ),
        (
            &["--ingest-url", "https://ingest.example.com/\"x"],
            "contains '\"'",
        ),
        (
            &["--ingest-url", "https://ingest.example.com/'x"],
            "contains '\\''",
        ),
        (
            &["--ingest-url", "https://ingest.example.com/<x>"],
            "contains '<'",
        ),
        (&["--ingest-url", "https://{{ingest-host}}"], "named value"),
        (
            &["--ingest-url", "https://<YOUR_AKTO_INGESTION_SERVICE_URL>"],
            "placeholder",
        ),
        (
            &[
                "--ingest-url",
                "https://<YOUR_AKTO_INGESTION_SERVICE_URL>/api/ingestData",
            ],
            "placeholder",
        ),
        (
            &["--ingest-url", "YOUR_AKTO_INGESTION_SERVICE_URL"],
            "placeholder",
        ),
        (
            &["--ingest-url", "https://user:pw@ingest.example.com"],
            "credentials",
        ),
        (
            &["--ingest-url", "https://ingest.example.com:99999"],
            "port",
        ),
        (&["--ingest-url", ""], "empty"),
        (&["--ingest-url", URL, "--regex", "a;b"], "`;`"),
        (
            &["--ingest-url", URL, "--regex", "{{paths}}"],
            "named value",
        ),
        (
            &["--ingest-url", URL, "--regex", "@(x)"],
            "policy expression",
        ),
        (
            &["--ingest-url", URL, "--regex", "@{x}"],
            "policy expression",
        ),
        (&["--ingest-url", URL, "--regex", ""], "empty"),
        (&["--ingest-url", URL, "--regex", "   "], "empty"),
        (&["--ingest-url", URL, "--regex", " ^/a"], "whitespace"),
        (&["--ingest-url", URL, "--regex", "^/a "], "whitespace"),
        (
            &["--ingest-url", URL, "--regex", "^/a", "--regex", "b;c"],
            "--regex #2",
        ),
        (&["--ingest-url", URL, "--account-id", "12ab"], "digits"),
        (&["--ingest-url", URL, "--vxlan-id", "-1"], "digits"),
        (
            &["--ingest-url", URL, "--ingest-token-named-value", "{{tok}}"],
            "without the braces",
        ),
        (
            &["--ingest-url", URL, "--ingest-token-named-value", "a b"],
            "named value name",
        ),
        (
            &["--ingest-url", URL, "--match-timeout-ms", "0"],
            "--match-timeout-ms",
        ),
        (
            &["--ingest-url", URL, "--max-body-bytes", "-5"],
            "--max-body-bytes",
        ),
        (&["--ingest-url", URL, "--format", "json"], "--format"),
        (
            &[
                "--ingest-url",
                URL,
                "--regex-file",
                "/nonexistent/paths.txt",
            ],
            "/nonexistent/paths.txt",
        ),
        (&[], "--ingest-url"),
    ];
    for (args, needle) in cases {
        let a = bin()
            .env_remove("AKTO_INGEST_URL")
            .args(["apim", "policy"])
            .args(*args)
            .assert()
            .code(2);
        let out = a.get_output();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: printed output on refusal");
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{err}"
        );
    }
}

#[test]
fn regex_file_lines_and_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("paths.txt");
    std::fs::write(
        &good,
        "# captured paths\r\n^/api/v1/\r\n\r\n^/orders/\\d+$\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "apim",
            "policy",
            "--ingest-url",
            URL,
            "--format",
            "xml",
            "--regex",
            "^/first",
        ])
        .arg("--regex-file")
        .arg(&good)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let (_, list, _) = read_xml(&String::from_utf8(out).unwrap());
    assert_eq!(list, r"^/first;^/api/v1/;^/orders/\d+$");

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "^/ok\n^/trailing \n").unwrap();
    let a = bin()
        .args(["apim", "policy", "--ingest-url", URL, "--regex-file"])
        .arg(&bad)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("bad.txt:2"), "{err}");

    let a = bin()
        .args([
            "apim",
            "policy",
            "--ingest-url",
            URL,
            "--format",
            "xml",
            "--regex-file",
            "-",
        ])
        .write_stdin("^/from-stdin\n")
        .assert()
        .success();
    let (_, list, _) = read_xml(&String::from_utf8_lossy(&a.get_output().stdout));
    assert_eq!(list, "^/from-stdin");
}

#[test]
fn a_regex_file_with_no_pattern_is_refused_not_a_capture_of_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("policy.xml");
    for (file, content, said) in [
        ("empty.txt", "", "is empty"),
        ("blank.txt", "\n  \r\n\t\n", "is empty"),
        (
            "comments.txt",
            "# the paths we capture\n\n   # none yet\n",
            "only blank lines and # comments",
        ),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, content).unwrap();
        for extra in [&[][..], &["--regex", "^/api/"][..]] {
            let a = bin()
                .args(["apim", "policy", "--ingest-url", URL, "--regex-file"])
                .arg(&path)
                .args(extra)
                .arg("-o")
                .arg(&out)
                .assert()
                .code(2);
            let o = a.get_output();
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(o.stdout.is_empty(), "{file}");
            assert!(
                err.contains(&format!("--regex-file {}", path.display())) && err.contains(said),
                "{file}: {err}"
            );
            assert!(err.contains("leave out --regex-file"), "{file}: {err}");
            assert!(!out.exists(), "{file}: nothing is written");
        }
    }
    // From standard input too, and for `apim fragments`, which reads the same flags.
    let a = bin()
        .args(["apim", "policy", "--ingest-url", URL, "--regex-file", "-"])
        .write_stdin("# nothing\n")
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("--regex-file <stdin>"), "{err}");
    let empty = dir.path().join("empty.txt");
    let a = bin()
        .args(["apim", "fragments", "--ingest-url", URL, "--regex-file"])
        .arg(&empty)
        .arg("-o")
        .arg(dir.path().join("frags"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("is empty"), "{err}");
    assert!(!dir.path().join("frags").exists());
    // Giving neither flag is the way to capture every path.
    let a = bin()
        .args(["apim", "policy", "--ingest-url", URL, "--format", "xml"])
        .assert()
        .success();
    let (_, list, _) = read_xml(&String::from_utf8_lossy(&a.get_output().stdout));
    assert_eq!(list, "");
}

#[test]
fn output_file_is_written_and_replaced_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("policy.xml");
    std::fs::write(&target, "precious").unwrap();

    // A refused run leaves the existing file byte for byte as it was, and no stray files.
    bin()
        .args(["apim", "policy", "--ingest-url", "ftp://x", "-o"])
        .arg(&target)
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");

    // A run that cannot write (the target is a directory) is exit 2 with a message.
    let a = bin()
        .args(["apim", "policy", "--ingest-url", URL, "-o"])
        .arg(dir.path())
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("is a directory"));

    let a = bin()
        .args(["apim", "policy", "--ingest-url", URL, "-o"])
        .arg(&target)
        .assert()
        .success();
    assert!(a.get_output().stdout.is_empty());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("<policies>") && written.ends_with("</policies>\n"));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        [std::ffi::OsString::from("policy.xml")],
        "temporary files left behind"
    );
}

#[test]
fn output_into_missing_directory_is_exit_2() {
    let a = bin()
        .args([
            "apim",
            "policy",
            "--ingest-url",
            URL,
            "-o",
            "/nonexistent-dir/policy.xml",
        ])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("/nonexistent-dir/policy.xml"));
}

#[test]
fn help_has_examples_and_exit_codes() {
    let a = bin().args(["apim", "policy", "--help"]).assert().success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        out.contains("Examples:") && out.contains("akto-connect apim policy --ingest-url"),
        "{out}"
    );
    assert!(out.contains("Exit codes:"), "{out}");
    let a = bin().arg("--help").assert().success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    assert!(
        out.contains("Exit codes:") && out.contains("Examples:"),
        "{out}"
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let a = bin().args(["completions", shell]).assert().success();
        let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
        assert!(
            out.contains("akto-connect") && out.contains("ingest-url"),
            "{shell}"
        );
    }
    bin().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn cli_definition_is_consistent() {
    akto_connect::cli::Cli::command().debug_assert();
}

#[test]
fn a_folder_set_that_cannot_be_written_leaves_no_file_and_no_folder_behind() {
    // The second fragment's folder is taken by a file: the set fails before any rename, and the
    // folders made for the first fragment are taken away again.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("apim-artifacts");
    std::fs::create_dir_all(root.join("policy fragments")).unwrap();
    let blocker = root.join("policy fragments/akto-capture-outbound");
    std::fs::write(&blocker, "mine\n").unwrap();
    let (code, out, err) = crate::common::run(bin().args([
        "apim",
        "fragments",
        "--ingest-url",
        "https://ingest.example.com",
        "--apiops",
        root.to_str().unwrap(),
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("akto-capture-outbound"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    let left: Vec<_> = std::fs::read_dir(root.join("policy fragments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["akto-capture-outbound"], "only the blocking file");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "mine\n");
}

#[test]
fn every_iac_form_goes_through_one_folder_writer_with_the_same_files() {
    // Bicep and Terraform for each scope: the file that loads the policy and the policy beside
    // it (and Terraform's akto-apim.tf), nothing else; the loaded name is the file written.
    let dir = tempfile::tempdir().unwrap();
    for (format, main) in [
        ("bicep", "akto-capture.bicep"),
        ("terraform", "akto-capture.tf"),
    ] {
        for scope in [
            &["--scope", "global"][..],
            &["--scope", "product", "--product-id", "starter"],
            &["--scope", "api", "--api-id", "orders"],
            &[
                "--scope",
                "operation",
                "--api-id",
                "orders",
                "--operation-id",
                "get",
            ],
        ] {
            let out = dir.path().join(format!("{format}-{}", scope[1]));
            let (code, stdout, err) = crate::common::run(
                bin()
                    .args([
                        "apim",
                        "policy",
                        "--ingest-url",
                        "https://ingest.example.com",
                        "--apim-service",
                        "contoso",
                        "--format",
                        format,
                        "-o",
                    ])
                    .arg(&out)
                    .args(scope),
            );
            assert_eq!(code, 0, "{err}");
            assert!(stdout.is_empty());
            let mut names: Vec<_> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let mut want = vec![main.to_string(), "akto-capture-policy.xml".to_string()];
            if format == "terraform" {
                // The instance's variable and data source, shared with `apim fragments`.
                want.push("akto-apim.tf".to_string());
            }
            want.sort();
            assert_eq!(names, want, "{format} {scope:?}");
            let text = std::fs::read_to_string(out.join(main)).unwrap();
            assert!(
                text.contains("/akto-capture-policy.xml\")")
                    || text.contains("loadTextContent('akto-capture-policy.xml')"),
                "{text}"
            );
            assert!(text.contains(&format!("{} scope.", scope[1])), "{text}");
        }
    }
}

/// A flag that was not given is said to be missing, never quoted as an empty value the user
/// did not type (`-o '': …`); a value that was given is still quoted.
#[test]
fn a_missing_flag_is_named_missing_not_empty() {
    for (args, says) in [
        (
            &["apim", "fragments", "--ingest-url", URL][..],
            "error: -o is missing: two fragments are written as two files",
        ),
        (
            &["apim", "policy", "--ingest-url", URL, "--format", "arm"][..],
            "error: --apim-service is missing: --format arm|bicep|terraform needs",
        ),
        (
            &[
                "apim",
                "policy",
                "--ingest-url",
                URL,
                "--format",
                "bicep",
                "--apim-service",
                "contoso",
                "--api-id",
                "orders",
            ][..],
            "error: -o is missing: --format bicep writes two files",
        ),
        (
            &[
                "apim",
                "policy",
                "--ingest-url",
                URL,
                "--format",
                "arm",
                "--apim-service",
                "contoso",
                "--scope",
                "operation",
                "--api-id",
                "orders",
            ][..],
            "error: --operation-id is missing: --scope operation needs --operation-id",
        ),
    ] {
        let a = bin()
            .env_remove("AKTO_INGEST_URL")
            .args(args)
            .assert()
            .code(2);
        let o = a.get_output();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}:\n{err}");
        assert!(!err.contains("''"), "{args:?}:\n{err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    let a = bin()
        .args(["apim", "fragments", "--ingest-url", URL, "-o", "-"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("error: -o '-': two fragments"), "{err}");
}

#[test]
fn an_alternative_that_can_match_keeps_the_pattern_and_none_refuses_it() {
    // `^a|b$`: the first alternative cannot match a path, the second matches every path ending
    // in `b`.
    let (code, out, err) = crate::common::run(bin().args([
        "apim",
        "policy",
        "--ingest-url",
        "https://ingest.example.com",
        "--regex",
        "^a|b$",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(r#"<set-variable name="aktoRegexList" value="^a|b$" />"#),
        "{out}"
    );
    let (code, out, err) = crate::common::run(bin().args([
        "apim",
        "policy",
        "--ingest-url",
        "https://ingest.example.com",
        "--regex",
        "^a|^b",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("--regex") && err.contains("not `/`"), "{err}");
}

#[test]
fn record_options_out_of_range_or_malformed_exit_2_naming_the_flag() {
    for (flag, value) in [
        ("--sample-percent", "0"),
        ("--sample-percent", "101"),
        ("--send-timeout", "0"),
        ("--send-timeout", "241"),
        ("--redact-header", "bad name"),
        ("--redact-header", ""),
    ] {
        let (code, out, err) = crate::common::run(bin().args([
            "apim",
            "policy",
            "--ingest-url",
            "https://ingest.example.com",
            flag,
            value,
        ]));
        assert_eq!(code, 2, "{flag} {value:?}: {err}");
        assert!(out.is_empty(), "{flag} {value:?}: {out}");
        assert!(err.contains(flag), "{flag} {value:?}: {err}");
    }
    let (code, out, err) = crate::common::run(bin().args([
        "apim",
        "policy",
        "--ingest-url",
        "https://ingest.example.com",
        "--redact-header",
        "apim-credentials",
        "--redact-header",
        "AUTHORIZATION",
        "--send-timeout",
        "5",
        "--sample-percent",
        "25",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(r#""ocp-apim-subscription-key", "ocp-apim-trace-key", "authorization""#),
        "{out}"
    );
    assert!(out.contains(r#"timeout="5""#), "{out}");
    assert!(out.contains("% 100) < 25"), "{out}");
}

#[test]
fn fragments_over_apims_32_kb_limit_are_refused_and_nothing_is_written() {
    // 40 long patterns: about 38 KB of inbound fragment, well under 256 KiB inline.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("paths.txt");
    let lines: Vec<String> = (0..40)
        .map(|i| format!("^/seg{i:02}/{}", "a".repeat(900)))
        .collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let out_dir = dir.path().join("fragments");
    let common = [
        "--ingest-url",
        "https://ingest.example.com",
        "--regex-file",
        list.to_str().unwrap(),
    ];
    let (code, out, err) = crate::common::run(
        bin()
            .args(["apim", "fragments"])
            .args(common)
            .args(["-o", out_dir.to_str().unwrap()]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("--regex-file") && err.contains("32000 bytes"),
        "{err}"
    );
    assert!(err.contains("inline"), "the fix is named: {err}");
    assert!(!out_dir.exists(), "nothing is written");
    let (code, inline, err) = crate::common::run(bin().args(["apim", "policy"]).args(common));
    assert_eq!(code, 0, "{err}");
    assert!(
        inline.len() > 32_000,
        "the same patterns inline are accepted"
    );
}
