//! Property tests: for arbitrary URL and pattern strings, `apim policy` either refuses the
//! input or renders a policy whose `xml` form parses with a plain XML reader and gives back
//! exactly the inputs, and whose `rawxml` form reads the same in the APIM dialect.

use proptest::prelude::*;
use quick_xml::events::Event;

use akto_connect::apim::capture::{self, CaptureOptions, Digits, PolicyFormat};
use akto_connect::apim::patterns::{PatternSource, RegexList};
use akto_connect::apim::tree;
use akto_connect::http_url::BaseUrl;

/// Builds options the way the command line does; `None` when any input is refused.
fn build(url: &str, patterns: &[String], format: PolicyFormat) -> Option<CaptureOptions> {
    let sources: Vec<PatternSource> = patterns
        .iter()
        .map(|p| PatternSource {
            origin: "--regex".into(),
            text: p.clone(),
        })
        .collect();
    Some(CaptureOptions {
        ingest_url: BaseUrl::parse("--ingest-url", url).ok()?,
        patterns: RegexList::new(&sources).ok()?,
        account_id: Digits::parse("--account-id", "1000000").ok()?,
        vxlan_id: Digits::parse("--vxlan-id", "0").ok()?,
        match_timeout_ms: 50,
        max_body_bytes: 1024,
        token_named_value: None,
        format,
        scope: akto_connect::apim::capture::Scope::Api,
        fragments: None,
        record: Default::default(),
    })
}

/// regexList value and set-url text, read with quick-xml alone.
fn read_back(xml: &str) -> (Option<String>, String) {
    let mut reader = quick_xml::Reader::from_str(xml);
    // The send is in <outbound> and again in <on-error>: every copy must read back the same.
    let (mut list, mut urls, mut in_url) = (None, Vec::<String>::new(), false);
    loop {
        match reader.read_event().expect("the xml form is well-formed") {
            Event::Empty(e) if e.name().as_ref() == b"set-variable" => {
                let get = |k: &str| {
                    e.try_get_attribute(k)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                if get("name").as_deref() == Some("aktoRegexList") {
                    list = get("value");
                }
            }
            Event::Start(e) if e.name().as_ref() == b"set-url" => {
                in_url = true;
                urls.push(String::new());
            }
            Event::End(e) if e.name().as_ref() == b"set-url" => in_url = false,
            Event::Text(t) if in_url => urls.last_mut().unwrap().push_str(&t.unescape().unwrap()),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(urls.len(), 2, "one send in <outbound>, one in <on-error>");
    assert_eq!(urls[0], urls[1], "both sends go to the same URL");
    (list, urls.swap_remove(0))
}

fn url_strategy() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        4 => "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,3}",
        1 => "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        1 => "\\[[0-9a-f:]{2,20}\\]",
        1 => "\\PC{0,12}",
    ];
    let port = prop_oneof![Just(String::new()), ":[1-9][0-9]{0,4}", ":[0-9]{0,6}"];
    let path = prop_oneof![
        2 => Just(String::new()),
        3 => "(/[a-zA-Z0-9._~!$&()*+,;=:@-]{1,8}){0,3}/?",
        1 => "(/[\\PC]{0,10}){0,3}/?",
    ];
    let scheme = prop_oneof![
        8 => Just("https://".to_string()),
        4 => Just("http://".to_string()),
        1 => "[a-zA-Z+]{0,6}://",
        1 => Just(String::new()),
    ];
    prop_oneof![
        8 => (scheme, host, port, path).prop_map(|(s, h, p, pa)| format!("{s}{h}{p}{pa}")),
        1 => "\\PC{0,40}",
        1 => any::<String>(),
    ]
}

fn pattern_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        // plausible patterns full of XML and regex metacharacters, mostly acceptable
        6 => "[\\^$/a-z0-9.*+?()\\[\\]{}|\\\\<>&\"'@-]([\\^$/a-z0-9.*+?()\\[\\]{}|\\\\<>&\"'@ \t\n\r-]{0,14}[a-z$)])?",
        1 => "[\\^$/a-z0-9.*+?()\\[\\]{}|\\\\<>&\"';@ \t\n-]{0,16}",
        1 => "\\PC{1,16}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn refuses_or_reads_back_exactly(url in url_strategy(), patterns in prop::collection::vec(pattern_strategy(), 0..4)) {
        let Some(xml_opts) = build(&url, &patterns, PolicyFormat::Xml) else {
            return Ok(());
        };
        let xml = capture::render(&xml_opts).expect("accepted input renders").artifact.text;
        let (list, set_url) = read_back(&xml);
        let joined = patterns.join(";");
        prop_assert_eq!(list.as_deref(), Some(joined.as_str()));
        let base = url.trim_end_matches('/');
        let expected = if base.ends_with("/api/ingestData") { base.to_string() } else { format!("{base}/api/ingestData") };
        prop_assert_eq!(&set_url, &expected);

        let raw_opts = build(&url, &patterns, PolicyFormat::RawXml).expect("same input");
        let raw = capture::render(&raw_opts).expect("accepted input renders").artifact.text;
        let doc = tree::read(&raw).expect("rawxml reads in the dialect");
        let var = doc.root.descendants().into_iter()
            .find(|e| e.name == "set-variable" && e.attr("name").is_some_and(|a| doc.attr_value(&raw, a) == "aktoRegexList"))
            .expect("regexList variable");
        let raw_value = var.attr("value").map(|a| doc.attr_value(&raw, a)).unwrap_or_default();
        prop_assert_eq!(raw_value, patterns.join(";"));
    }
}
