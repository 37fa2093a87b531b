//! An APIOps repository as APIM sees it: which policy applies at which scope, which products
//! carry which APIs, which APIs need a subscription, which fragments exist.
//!
//! Layout (as Microsoft's APIOps extractor writes it): `policy.xml` at the root (global),
//! `products/<p>/policy.xml` with `products/<p>/apis.json` (a JSON array of API names) and
//! `products/<p>/productInformation.json` (newer extractors name a product's APIs by folders,
//! `products/<p>/apis/<api>/productApiInformation.json`), `apis/<api>/policy.xml`,
//! `apis/<api>/apiInformation.json` (`properties.subscriptionRequired`; missing means APIM's
//! default, required), `apis/<api>/operations/<op>/policy.xml`, and
//! `policy fragments/<id>/policy.xml`.
//!
//! Microsoft's newer `Azure/apiops-cli` (its `docs/reference/artifact-format.md` and
//! `src/models/resource-types.ts`) writes the same `apis/` and `products/` folders but camelCase
//! top-level folders (`policyFragments/`, `namedValues/`, `backends/`, `versionSets/`,
//! `policyRestrictions/`), and keeps a fragment's XML in
//! `policyFragments/<id>/policyFragmentInformation.json` (`properties.value`, the ARM
//! resource's properties) with no `policy.xml`. Both layouts are read; [`Layout::flavor`] says
//! which one a tree uses, and a fragment's `policy.xml` wins over its information file.
//!
//! The tree is loaded in two parts so that memory stays flat on large repositories: [`Shared`]
//! (global, products, fragments) once, then one [`ApiUnit`] (an API and its operations) at a
//! time. Every file is read once, through the caller's reader; this module never touches the
//! file system. `lint`, `apim effective` and `apim coverage` all walk the tree through here.
//!
//! Not for: computing what runs (see [`super::effective`]) or judging it (lint).

use std::collections::{BTreeMap, BTreeSet};

use super::tree::{self, Document, ReadError};

/// The scope a policy file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Global,
    Product,
    Api,
    Operation,
    Fragment,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Global => "global",
            Level::Product => "product",
            Level::Api => "api",
            Level::Operation => "operation",
            Level::Fragment => "fragment",
        }
    }
}

/// One policy file of the tree, read and parsed once.
#[derive(Debug)]
pub struct PolicyFile {
    /// Path relative to the tree's root, `/`-separated.
    pub path: String,
    pub level: Level,
    /// The id at its level (product, API, operation or fragment id; empty for global).
    pub id: String,
    /// The text (invalid UTF-8 replaced).
    pub src: String,
    /// The tree, or why it could not be read (lint reports that as `parse-error`).
    pub doc: Result<Document, ReadError>,
    /// The bytes, kept only when they are not UTF-8 (lint reports where).
    pub raw: Option<Vec<u8>>,
}

impl PolicyFile {
    /// Parses `bytes` as the policy at `path`.
    pub fn new(path: &str, level: Level, id: &str, bytes: Vec<u8>) -> PolicyFile {
        let (src, raw) = match String::from_utf8(bytes) {
            Ok(s) => (s, None),
            Err(e) => (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some(e.into_bytes()),
            ),
        };
        let doc = if raw.is_some() {
            Err(ReadError {
                offset: 0,
                message: "not UTF-8 text".to_string(),
            })
        } else {
            tree::read(&src)
        };
        PolicyFile {
            path: path.to_string(),
            level,
            id: id.to_string(),
            src,
            doc,
            raw,
        }
    }

    /// How the scope is named in messages: "global", "product starter", "API echo",
    /// "operation get-order", "fragment cors".
    pub fn scope_name(&self) -> String {
        match self.level {
            Level::Global => "global".to_string(),
            Level::Product => format!("product {}", self.id),
            Level::Api => format!("API {}", self.id),
            Level::Operation => format!("operation {}", self.id),
            Level::Fragment => format!("fragment {}", self.id),
        }
    }
}

/// Where the files of a tree are, from a list of relative paths (no file is read).
#[derive(Debug, Default, Clone)]
pub struct Layout {
    pub global: Option<String>,
    pub products: BTreeMap<String, ProductLayout>,
    pub apis: BTreeMap<String, ApiLayout>,
    pub fragments: BTreeMap<String, String>,
    /// Which tool's folder names the tree uses (`policyFragments/`, `namedValues/`, …).
    pub flavor: Flavor,
}

/// Which tool wrote the tree: the APIOps extractor (`policy fragments/`, `named values/`) or
/// apiops-cli (`policyFragments/`, `namedValues/`). Told from the folder names alone.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    #[default]
    Extractor,
    ApiopsCli,
}

/// The top-level folders that only apiops-cli writes (camelCase).
pub const APIOPS_CLI_DIRS: [&str; 4] = [
    "policyFragments",
    "namedValues",
    "versionSets",
    "policyRestrictions",
];

/// A fragment's information file; apiops-cli keeps the fragment's XML in it
/// (`properties.value`).
pub const FRAGMENT_INFO: &str = "policyFragmentInformation.json";

#[derive(Debug, Default, Clone)]
pub struct ProductLayout {
    pub policy: Option<String>,
    pub apis_json: Option<String>,
    pub info_json: Option<String>,
    /// The APIs named by `products/<p>/apis/<api>/` folders (newer APIOps extractors write
    /// `productApiInformation.json` there instead of `apis.json`).
    pub api_dirs: BTreeSet<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ApiLayout {
    pub policy: Option<String>,
    pub info_json: Option<String>,
    pub operations: BTreeMap<String, String>,
}

/// The folder fragments live in; APIOps writes `policy fragments`, apiops-cli
/// `policyFragments`, some repositories `policy_fragments` (Azure-Samples/apiops-apim) or
/// `fragments`.
pub const FRAGMENT_DIRS: [&str; 4] = [
    "policy fragments",
    "policyFragments",
    "policy_fragments",
    "fragments",
];

impl Layout {
    /// Classifies relative, `/`-separated file paths. Paths outside the layout are ignored.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Layout {
        let mut l = Layout::default();
        for p in paths {
            let parts: Vec<&str> = p.split('/').collect();
            if parts.len() > 1 && APIOPS_CLI_DIRS.contains(&parts[0]) {
                l.flavor = Flavor::ApiopsCli;
            }
            let file = parts[parts.len() - 1];
            let policy = file.eq_ignore_ascii_case("policy.xml");
            match parts.as_slice() {
                [_] if policy => l.global = Some(p.to_string()),
                ["products", id, _] if policy || file.ends_with(".json") => {
                    let e = l.products.entry((*id).to_string()).or_default();
                    if policy {
                        e.policy = Some(p.to_string());
                    } else if file == "apis.json" {
                        e.apis_json = Some(p.to_string());
                    } else if file == "productInformation.json" {
                        e.info_json = Some(p.to_string());
                    }
                }
                ["products", id, "apis", api, _] => {
                    let e = l.products.entry((*id).to_string()).or_default();
                    e.api_dirs.insert((*api).to_string());
                }
                ["apis", id, _] if policy || file == "apiInformation.json" => {
                    let e = l.apis.entry((*id).to_string()).or_default();
                    if policy {
                        e.policy = Some(p.to_string());
                    } else if file == "apiInformation.json" {
                        e.info_json = Some(p.to_string());
                    }
                }
                ["apis", id, "operations", op, _] if policy => {
                    l.apis
                        .entry((*id).to_string())
                        .or_default()
                        .operations
                        .insert((*op).to_string(), p.to_string());
                }
                [dir, id, _] if policy && FRAGMENT_DIRS.contains(dir) => {
                    l.fragments.insert((*id).to_string(), p.to_string());
                }
                [dir, id, FRAGMENT_INFO] if FRAGMENT_DIRS.contains(dir) => {
                    // apiops-cli: the XML is in the information file; a policy.xml wins.
                    l.fragments
                        .entry((*id).to_string())
                        .or_insert_with(|| p.to_string());
                }
                _ => {}
            }
        }
        l
    }

    /// Adds the information files APIOps writes beside each product and API, for a layout built
    /// from the policy files alone (a file that does not exist reads as absent).
    pub fn assume_information_files(&mut self) {
        for (id, p) in &mut self.products {
            p.apis_json
                .get_or_insert_with(|| format!("products/{id}/apis.json"));
            p.info_json
                .get_or_insert_with(|| format!("products/{id}/productInformation.json"));
        }
        for (id, a) in &mut self.apis {
            a.info_json
                .get_or_insert_with(|| format!("apis/{id}/apiInformation.json"));
        }
    }

    /// Adds the fragments whose XML is kept in their information file (apiops-cli), for a
    /// layout built from the policy files alone: `info` lists such files' relative paths.
    pub fn add_fragment_infos<'a>(&mut self, info: impl IntoIterator<Item = &'a str>) {
        let more = Layout::from_paths(info);
        for (id, p) in more.fragments {
            self.fragments.entry(id).or_insert(p);
        }
        if more.flavor == Flavor::ApiopsCli {
            self.flavor = Flavor::ApiopsCli;
        }
    }

    /// Whether `path` is one of the tree's policy files.
    pub fn is_policy(&self, path: &str) -> bool {
        self.global.as_deref() == Some(path)
            || self
                .products
                .values()
                .any(|p| p.policy.as_deref() == Some(path))
            || self.fragments.values().any(|f| f == path)
            || self.apis.values().any(|a| {
                a.policy.as_deref() == Some(path) || a.operations.values().any(|o| o == path)
            })
    }

    /// Whether the paths look like an APIOps tree at all.
    pub fn is_tree(&self) -> bool {
        !self.apis.is_empty() || !self.products.is_empty() || !self.fragments.is_empty()
    }
}

/// A problem with the tree itself (not with one policy's text): exit 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TreeError {
    pub path: String,
    pub message: String,
}

/// Reads one file of the tree by its relative path: `Ok(None)` when there is no such file.
pub type Reader<'r> = dyn Fn(&str) -> Result<Option<Vec<u8>>, String> + Sync + 'r;

/// A product: its policy, the APIs it carries, whether it needs a subscription.
#[derive(Debug)]
pub struct Product {
    pub id: String,
    pub policy: Option<PolicyFile>,
    pub apis: Vec<String>,
    pub subscription_required: bool,
}

/// What every API shares: global policy, products, fragments.
#[derive(Debug, Default)]
pub struct Shared {
    pub global: Option<PolicyFile>,
    pub products: Vec<Product>,
    pub fragments: BTreeMap<String, PolicyFile>,
    /// Problems with information files that did not stop the reading (see `subscription_in`).
    pub notes: Vec<TreeError>,
}

/// One API with its operations' policies.
#[derive(Debug)]
pub struct ApiUnit {
    pub id: String,
    pub policy: Option<PolicyFile>,
    /// From apiInformation.json; missing file or field means required (APIM's default).
    pub subscription_required: bool,
    pub operations: Vec<PolicyFile>,
    /// Problems with its information file that did not stop the reading.
    pub notes: Vec<TreeError>,
}

fn read_policy(
    read: &Reader<'_>,
    path: &str,
    level: Level,
    id: &str,
) -> Result<PolicyFile, TreeError> {
    let bytes = read(path)
        .map_err(|message| TreeError {
            path: path.to_string(),
            message,
        })?
        .ok_or_else(|| TreeError {
            path: path.to_string(),
            message: "the file disappeared while it was being read".to_string(),
        })?;
    let bytes = if path.ends_with(FRAGMENT_INFO) {
        fragment_xml(&bytes).map_err(|message| TreeError {
            path: path.to_string(),
            message,
        })?
    } else {
        bytes
    };
    Ok(PolicyFile::new(path, level, id, bytes))
}

/// The fragment's XML from an apiops-cli information file: `properties.value` (ARM's
/// `Microsoft.ApiManagement/service/policyFragments` properties; `format` `xml` or `rawxml`,
/// both the policy text).
fn fragment_xml(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        format!("not valid JSON ({e}); fix the file or add the fragment's policy.xml")
    })?;
    match v.get("properties").and_then(|p| p.get("value")) {
        Some(serde_json::Value::String(s)) => Ok(s.clone().into_bytes()),
        _ => Err("the fragment has no policy.xml and no properties.value (its XML) in this information file; add one of them".to_string()),
    }
}

/// A JSON file of the tree; `None` when it does not exist.
fn read_json(read: &Reader<'_>, path: &str) -> Result<Option<serde_json::Value>, TreeError> {
    let Some(bytes) = read(path).map_err(|message| TreeError {
        path: path.to_string(),
        message,
    })?
    else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| TreeError {
            path: path.to_string(),
            message: format!("not valid JSON ({e}); fix or remove the file"),
        })
}

/// `subscriptionRequired` of an optional information file (absent: required). An
/// information file that is not valid JSON, or whose `subscriptionRequired` is no boolean, is
/// read as APIM's default (required) and told in `notes`: real estates carry such files
/// (placeholders like `"serviceUrl": [url goes here]`), and the policies are still worth
/// judging.
fn subscription_in(
    read: &Reader<'_>,
    path: Option<&String>,
    notes: &mut Vec<TreeError>,
) -> Result<bool, TreeError> {
    let Some(p) = path else {
        return Ok(true);
    };
    let Some(bytes) = read(p).map_err(|message| TreeError {
        path: p.clone(),
        message,
    })?
    else {
        return Ok(true);
    };
    let read_as_required = |e: String| TreeError {
        path: p.clone(),
        message: format!("{e}; read as subscriptionRequired: true (APIM's default)"),
    };
    match serde_json::from_slice(&bytes) {
        Ok(v) => Ok(subscription_required(&v, p).unwrap_or_else(|e| {
            notes.push(read_as_required(e.message));
            true
        })),
        Err(e) => {
            notes.push(read_as_required(format!("not valid JSON ({e})")));
            Ok(true)
        }
    }
}

/// `subscriptionRequired` from an APIOps information file: under `properties` (as APIOps
/// writes it) or at the top; absent means true.
fn subscription_required(info: &serde_json::Value, path: &str) -> Result<bool, TreeError> {
    let v = info
        .get("properties")
        .and_then(|p| p.get("subscriptionRequired"))
        .or_else(|| info.get("subscriptionRequired"));
    match v {
        None | Some(serde_json::Value::Null) => Ok(true),
        Some(serde_json::Value::Bool(b)) => Ok(*b),
        Some(other) => Err(TreeError {
            path: path.to_string(),
            message: format!("subscriptionRequired is {other}, expected true or false"),
        }),
    }
}

impl Shared {
    /// Reads the global policy, the products (policy, apis.json, productInformation.json) and
    /// the fragments.
    pub fn load(layout: &Layout, read: &Reader<'_>) -> Result<Shared, TreeError> {
        let global = match &layout.global {
            Some(p) => Some(read_policy(read, p, Level::Global, "")?),
            None => None,
        };
        let mut products = Vec::new();
        let mut notes = Vec::new();
        for (id, pl) in &layout.products {
            let policy = match &pl.policy {
                Some(p) => Some(read_policy(read, p, Level::Product, id)?),
                None => None,
            };
            let mut apis = match &pl.apis_json {
                None => Vec::new(),
                Some(p) => match read_json(read, p)? {
                    None => Vec::new(),
                    Some(v) => api_names(&v, p)?,
                },
            };
            for a in &pl.api_dirs {
                if !apis.contains(a) {
                    apis.push(a.clone());
                }
            }
            let subscription_required = subscription_in(read, pl.info_json.as_ref(), &mut notes)?;
            products.push(Product {
                id: id.clone(),
                policy,
                apis,
                subscription_required,
            });
        }
        let mut fragments = BTreeMap::new();
        for (id, p) in &layout.fragments {
            match read_policy(read, p, Level::Fragment, id) {
                Ok(f) => {
                    fragments.insert(id.clone(), f);
                }
                // An information file without the XML (the extractor writes one beside each
                // policy.xml): the fragment is not in the tree; say so and go on.
                Err(e) if p.ends_with(FRAGMENT_INFO) => notes.push(e),
                Err(e) => return Err(e),
            }
        }
        Ok(Shared {
            global,
            products,
            fragments,
            notes,
        })
    }

    /// The products that carry `api`. A revision (`echo;rev=2`) is carried by the products of
    /// its API: APIM links products to the API, whatever its revision.
    pub fn products_of<'s>(&'s self, api: &'s str) -> impl Iterator<Item = &'s Product> + 's {
        let base = api.split_once(";rev=").map_or(api, |(b, _)| b);
        self.products
            .iter()
            .filter(move |p| p.apis.iter().any(|a| a == api || a == base))
    }

    /// Every policy file held here.
    pub fn files(&self) -> impl Iterator<Item = &PolicyFile> {
        self.global
            .iter()
            .chain(self.products.iter().filter_map(|p| p.policy.as_ref()))
            .chain(self.fragments.values())
    }
}

/// apis.json: an array of API names (strings), or of objects with a `name`.
fn api_names(v: &serde_json::Value, path: &str) -> Result<Vec<String>, TreeError> {
    let bad = || TreeError {
        path: path.to_string(),
        message: "expected a JSON array of API names, like [\"echo-api\"]".to_string(),
    };
    let arr = v.as_array().ok_or_else(bad)?;
    arr.iter()
        .map(|x| match x {
            serde_json::Value::String(s) => Ok(s.clone()),
            serde_json::Value::Object(o) => o
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string)
                .ok_or_else(bad),
            _ => Err(bad()),
        })
        .collect()
}

impl ApiUnit {
    /// Reads one API's policy, information file and operation policies.
    pub fn load(id: &str, layout: &ApiLayout, read: &Reader<'_>) -> Result<ApiUnit, TreeError> {
        let policy = match &layout.policy {
            Some(p) => Some(read_policy(read, p, Level::Api, id)?),
            None => None,
        };
        let mut notes = Vec::new();
        let subscription_required = subscription_in(read, layout.info_json.as_ref(), &mut notes)?;
        let mut operations = Vec::new();
        for (op, p) in &layout.operations {
            operations.push(read_policy(read, p, Level::Operation, op)?);
        }
        Ok(ApiUnit {
            id: id.to_string(),
            policy,
            subscription_required,
            operations,
            notes,
        })
    }

    pub fn files(&self) -> impl Iterator<Item = &PolicyFile> {
        self.policy.iter().chain(self.operations.iter())
    }

    pub fn operation(&self, id: &str) -> Option<&PolicyFile> {
        self.operations.iter().find(|o| o.id == id)
    }
}

/// The ways a request reaches an API: through each product that carries it, and without a
/// product when the API needs no subscription (or no product carries it).
pub fn paths<'s>(shared: &'s Shared, api: &'s ApiUnit) -> Vec<Option<&'s Product>> {
    let mut out: Vec<Option<&Product>> = shared.products_of(&api.id).map(Some).collect();
    if !api.subscription_required || out.is_empty() {
        out.insert(0, None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_apiops_layout() {
        let l = Layout::from_paths([
            "policy.xml",
            "products/starter/policy.xml",
            "products/starter/apis.json",
            "apis/echo/policy.xml",
            "apis/echo/apiInformation.json",
            "apis/echo/operations/get/policy.xml",
            "policy fragments/cors/policy.xml",
            "apis/echo/specification.yaml",
            "other/x.xml",
        ]);
        assert_eq!(l.global.as_deref(), Some("policy.xml"));
        assert_eq!(
            l.products["starter"].apis_json.as_deref(),
            Some("products/starter/apis.json")
        );
        assert_eq!(l.apis["echo"].operations.len(), 1);
        assert_eq!(l.fragments.len(), 1);
        assert!(l.is_policy("apis/echo/operations/get/policy.xml"));
        assert!(!l.is_policy("other/x.xml"));
        assert_eq!(l.flavor, Flavor::Extractor);
    }

    #[test]
    fn reads_the_apiops_cli_layout() {
        let l = Layout::from_paths([
            "apis/echo/policy.xml",
            "policyFragments/cors/policyFragmentInformation.json",
            "policyFragments/auth/policyFragmentInformation.json",
            "policyFragments/auth/policy.xml",
            "namedValues/key/namedValueInformation.json",
        ]);
        assert_eq!(l.flavor, Flavor::ApiopsCli);
        assert_eq!(
            l.fragments["cors"],
            "policyFragments/cors/policyFragmentInformation.json"
        );
        assert_eq!(l.fragments["auth"], "policyFragments/auth/policy.xml");
        let xml = fragment_xml(br#"{"properties":{"format":"rawxml","value":"<fragment />"}}"#);
        assert_eq!(xml.unwrap(), b"<fragment />");
        assert!(fragment_xml(br#"{"properties":{}}"#).is_err());
    }

    #[test]
    fn an_information_file_without_xml_is_a_note_not_a_fragment() {
        let l = Layout::from_paths([
            "apis/echo/policy.xml",
            "policyFragments/cors/policyFragmentInformation.json",
            "policyFragments/auth/policyFragmentInformation.json",
        ]);
        let read = |p: &str| -> Result<Option<Vec<u8>>, String> {
            Ok(Some(match p {
                "policyFragments/cors/policyFragmentInformation.json" => {
                    br#"{"properties":{"format":"rawxml","value":"<fragment><set-header name=\"a\" exists-action=\"skip\"><value>1</value></set-header></fragment>"}}"#.to_vec()
                }
                _ => br#"{"properties":{"description":"no xml here"}}"#.to_vec(),
            }))
        };
        let shared = Shared::load(&l, &read).unwrap();
        assert!(shared.fragments["cors"].doc.is_ok());
        assert!(!shared.fragments.contains_key("auth"));
        assert_eq!(shared.notes.len(), 1);
        assert!(shared.notes[0].path.contains("auth"), "{:?}", shared.notes);
    }

    #[test]
    fn subscription_defaults_to_required() {
        let v = serde_json::json!({"properties": {"displayName": "x"}});
        assert!(subscription_required(&v, "a").unwrap());
        let v = serde_json::json!({"properties": {"subscriptionRequired": false}});
        assert!(!subscription_required(&v, "a").unwrap());
        let v = serde_json::json!({"properties": {"subscriptionRequired": "no"}});
        assert!(subscription_required(&v, "a").is_err());
    }
}
