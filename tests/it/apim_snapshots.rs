//! The capture policy as users receive it, for several option sets in both forms. Review a
//! changed snapshot as you would review code: it is what gets pasted into production.

use akto_connect::apim::capture::{self, Digits, FragmentIds, PolicyFormat, Scope};

use crate::common::{option_sets, options, render};

macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

#[test]
fn policy_option_sets() {
    for (name, opts) in option_sets() {
        snapshot!(format!("apim-policy-{name}"), render(&opts));
    }
}

#[test]
fn policy_tuned_options() {
    let mut opts = options(
        "http://10.0.0.4:9091/akto",
        &[r"^/orders/\d+$"],
        None,
        PolicyFormat::Xml,
    );
    opts.match_timeout_ms = 200;
    opts.max_body_bytes = 0;
    opts.account_id = Digits::parse("--account-id", "1718042191").unwrap();
    opts.vxlan_id = Digits::parse("--vxlan-id", "7").unwrap();
    snapshot!("apim-policy-tuned-xml", render(&opts));
}

#[test]
fn policy_global_scope() {
    for (f, format) in [("rawxml", PolicyFormat::RawXml), ("xml", PolicyFormat::Xml)] {
        let mut opts = options("https://ingest.example.com:9091", &[], None, format);
        opts.scope = Scope::Global;
        snapshot!(format!("apim-policy-global-{f}"), render(&opts));
    }
}

#[test]
fn policy_with_fragments_and_the_fragments() {
    let mut opts = options(
        "https://ingest.example.com:9091",
        &[r"^/api/v1/"],
        None,
        PolicyFormat::RawXml,
    );
    opts.fragments = Some(FragmentIds::with_prefix("--fragment-prefix", "akto").unwrap());
    snapshot!("apim-policy-with-fragments-rawxml", render(&opts));
    let (fragments, _) = capture::render_fragments(&opts).unwrap();
    for f in fragments {
        snapshot!(format!("apim-fragment-{}", f.id), f.text);
    }
}

#[test]
fn infrastructure_as_code() {
    use akto_connect::apim::iac::{self, Kind, Names};
    let names = Names::for_policy(
        Scope::Operation,
        Some("contoso"),
        Some("orders"),
        Some("get-order"),
        None,
    )
    .unwrap();
    for kind in [Kind::Bicep, Kind::Terraform] {
        let files = iac::policy_files(kind, &names, "<policies />", None).unwrap();
        snapshot!(
            format!("apim-iac-operation-{}", kind.name()),
            files[0].text.clone()
        );
    }
    let mut opts = options(
        "https://ingest.example.com",
        &[],
        None,
        PolicyFormat::RawXml,
    );
    opts.fragments = Some(FragmentIds::with_prefix("--fragment-prefix", "akto").unwrap());
    let (fragments, _) = capture::render_fragments(&opts).unwrap();
    let names = Names::for_fragments(Some("contoso")).unwrap();
    for kind in [Kind::Bicep, Kind::Terraform] {
        let files = iac::fragment_files(kind, &names, &fragments).unwrap();
        snapshot!(
            format!("apim-iac-fragments-{}", kind.name()),
            files[0].text.clone()
        );
    }
}
