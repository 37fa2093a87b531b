//! Akto capture coverage: for each API × product path × operation, does Akto's capture run in
//! the effective inbound and outbound, and if not, why.
//!
//! Not for: reading files or printing (see `app::coverage`).

use std::collections::BTreeMap;

use super::apiops::{self, ApiUnit, PolicyFile, Shared};
use super::capture_detect::{self, StepKind};
use super::effective::{self, Effective, FileRef, Section, Step};

/// Whether a section's effective steps hold Akto's capture for that section, as
/// [`capture_detect::step_kind`] recognises its steps (the one place that knows what a capture
/// looks like): inbound, the capture decision, the seed's request-record `<choose>` or the
/// inbound fragment's include; outbound, the send (ours or the seed's) or the outbound
/// fragment's include. A resolved fragment is inlined in the steps, so its content counts too,
/// and so does a step the user wrapped in an element of their own (it still runs there).
pub fn capture_steps(section: &str, steps: &[Step<'_>]) -> bool {
    steps.iter().any(|s| {
        std::iter::once(s.element)
            .chain(s.element.descendants())
            .filter_map(|e| capture_detect::step_kind(s.file.doc, s.file.src, e))
            .any(|kind| match section {
                "inbound" => matches!(
                    kind,
                    StepKind::Predicate | StepKind::RequestRecord | StepKind::IncludeInbound(_)
                ),
                "outbound" | "on-error" => {
                    matches!(kind, StepKind::Send | StepKind::IncludeOutbound(_))
                }
                _ => false,
            })
    })
}

/// One API × path × operation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unit {
    pub api: String,
    /// `None`: reached without a product.
    pub product: Option<String>,
    /// `None`: the operations without a policy of their own.
    pub operation: Option<String>,
    pub inbound: bool,
    pub outbound: bool,
    /// Why the capture does not run (empty when covered).
    pub reasons: Vec<String>,
    /// What a covered unit still misses: its failed calls, when the effective `<on-error>`
    /// holds no capture send.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How many other products this unit stands for: products without a policy of their own
    /// run the same files, so one unit answers for all of them (see [`units`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_products: usize,
    /// Those products' ids, on the first unit of the group only (its API-level unit), so the
    /// report names each product once per API, not once per operation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_products: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Unit {
    pub fn covered(&self) -> bool {
        self.inbound && self.outbound
    }

    /// The API paths and operations the unit answers for.
    pub fn paths(&self) -> usize {
        1 + self.more_products
    }

    /// "API echo, operation get-order, product starter".
    pub fn label(&self) -> String {
        let mut s = format!("API {}", self.api);
        match &self.operation {
            Some(op) => s.push_str(&format!(", operation {op}")),
            None => s.push_str(", other operations"),
        }
        match &self.product {
            Some(p) => s.push_str(&format!(", product {p}")),
            None => s.push_str(", no product"),
        }
        match self.more_products {
            0 => {}
            1 => s.push_str(" and 1 more product without a policy of its own"),
            n => s.push_str(&format!(
                " and {n} more products without a policy of their own"
            )),
        }
        if !self.also_products.is_empty() {
            s.push_str(&format!(" ({})", self.also_products.join(", ")));
        }
        s
    }
}

/// The units of one API, in a stable order (paths as [`apiops::paths`], API level first).
///
/// Memoised on the scopes' contents: the products that carry the API without a policy of
/// their own run the same files (global, API, operation), so the first of them is computed
/// and its units stand for the others (`more_products`, named once in `also_products`). The
/// work and the report grow with (products with a policy + 1) × operations plus the number
/// of products, not with products × operations.
pub fn units(shared: &Shared, api: &ApiUnit) -> Vec<Unit> {
    let mut out = Vec::new();
    let paths = apiops::paths(shared, api);
    let alike: Vec<&str> = paths
        .iter()
        .flatten()
        .filter(|p| p.policy.is_none())
        .map(|p| p.id.as_str())
        .collect();
    let mut alike_done = false;
    for product in paths {
        let no_policy = product.is_some_and(|p| p.policy.is_none());
        if no_policy && alike_done {
            continue;
        }
        let first = out.len();
        for op in std::iter::once(None).chain(api.operations.iter().map(Some)) {
            let eff = effective::compute(shared, api, product, op);
            let mut u = unit(&eff, &shared.fragments);
            if no_policy {
                u.more_products = alike.len() - 1;
            }
            out.push(u);
        }
        if no_policy {
            alike_done = true;
            if let Some(u) = out.get_mut(first) {
                u.also_products = alike[1..].iter().map(|s| s.to_string()).collect();
            }
        }
    }
    out
}

fn unit(eff: &Effective<'_>, fragments: &BTreeMap<String, PolicyFile>) -> Unit {
    let mut u = Unit {
        api: eff.api.to_string(),
        product: eff.product.map(str::to_string),
        operation: eff.operation.map(str::to_string),
        inbound: capture_steps("inbound", &eff.section("inbound").steps),
        outbound: capture_steps("outbound", &eff.section("outbound").steps),
        reasons: Vec::new(),
        notes: Vec::new(),
        more_products: 0,
        also_products: Vec::new(),
    };
    if u.inbound && u.outbound && !capture_steps("on-error", &eff.section("on-error").steps) {
        u.notes.push(format!(
            "failed calls are not captured: no Akto send in the effective `<on-error>` ({}); \
             generate the policy without --no-on-error",
            eff.trail()
        ));
    }
    for (name, ok) in [("inbound", u.inbound), ("outbound", u.outbound)] {
        if !ok {
            u.reasons.push(reason(eff, eff.section(name), fragments));
        }
    }
    u
}

/// Why `section` lacks the capture: cut off below a scope that has it, or absent everywhere.
fn reason(
    eff: &Effective<'_>,
    section: &Section<'_>,
    fragments: &BTreeMap<String, PolicyFile>,
) -> String {
    let name = section.name;
    if let Some(cut) = &section.cut {
        let above: Vec<String> = eff
            .chain
            .iter()
            .filter(|f| f.level < cut.file.level && own_capture(**f, name, fragments))
            .map(|f| match f.level {
                apiops::Level::Global => "the global policy".to_string(),
                _ => f.scope_name(),
            })
            .collect();
        if !above.is_empty() {
            return format!(
                "{} ({}): {}, so the capture in {} does not run",
                cut.file.scope_name(),
                cut.file.path,
                cut.describe(name),
                above.join(" and ")
            );
        }
    }
    let mut r = format!(
        "no Akto capture in the effective `<{name}>` ({})",
        eff.trail()
    );
    if section.unresolved_fragment {
        r.push_str("; an <include-fragment> could not be resolved");
    }
    if section.over_budget {
        r.push_str(&format!(
            "; the section passed {} policy elements and was not read to its end",
            effective::STEP_BUDGET
        ));
    }
    r
}

/// Whether a file's own `section` (its fragments inlined) holds the capture.
fn own_capture(file: FileRef<'_>, section: &str, fragments: &BTreeMap<String, PolicyFile>) -> bool {
    capture_steps(
        section,
        &effective::own_steps(file, section, Some(fragments)),
    )
}

/// Counts for the summary.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Summary {
    pub units: usize,
    pub covered: usize,
    pub apis: usize,
    pub apis_covered: usize,
}

impl Summary {
    pub fn of(units: &[Unit]) -> Summary {
        let mut apis: BTreeMap<&str, bool> = BTreeMap::new();
        for u in units {
            let e = apis.entry(&u.api).or_insert(true);
            *e &= u.covered();
        }
        Summary {
            units: units.iter().map(Unit::paths).sum(),
            covered: units.iter().filter(|u| u.covered()).map(Unit::paths).sum(),
            apis: apis.len(),
            apis_covered: apis.values().filter(|c| **c).count(),
        }
    }

    /// Percentage of covered units; 100 when there is nothing to cover.
    pub fn percent(&self) -> f64 {
        if self.units == 0 {
            100.0
        } else {
            self.covered as f64 * 100.0 / self.units as f64
        }
    }
}
