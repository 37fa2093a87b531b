//! No file of `src/` imports, directly or through others, a file that imports it back: the
//! layers stay one-way. Paths are read from the source (`crate::…` and `super::…`, in `use`
//! lines and inline, `use` groups expanded), each resolved to the file of the longest module
//! it names; test modules (`#[cfg(test)] mod …` at a file's end) and comments are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/lib.rs` is `[]`, `src/a/mod.rs` and `src/a.rs` are `[a]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its trailing test module.
fn code(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod ").unwrap_or(text.len());
    text[..cut]
        .lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths after each `crate::`, `super::` (chains of them) in `code`, `{…}` groups expanded
/// (one path per item), as module paths relative to `module`.
fn paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = |w: &str| b[i..].starts_with(w.as_bytes()) && (i == 0 || !ident(b[i - 1]));
        let mut base: Vec<String>;
        if starts("crate::") {
            base = Vec::new();
            i += "crate::".len();
        } else if starts("super::") {
            base = module.to_vec();
            while b[i..].starts_with(b"super::") {
                base.pop();
                i += "super::".len();
            }
        } else {
            i += 1;
            continue;
        }
        expand(code, &mut i, base, &mut out);
    }
    out
}

/// Reads one path (or `{…}` group of paths) at `*i` onto `base`.
fn expand(code: &str, i: &mut usize, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let b = code.as_bytes();
    let mut path = base;
    loop {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
        if *i < b.len() && b[*i] == b'{' {
            *i += 1;
            loop {
                while *i < b.len() && (b[*i].is_ascii_whitespace() || b[*i] == b',') {
                    *i += 1;
                }
                if *i >= b.len() || b[*i] == b'}' {
                    *i += 1;
                    return;
                }
                let before = *i;
                expand(code, i, path.clone(), out);
                // Skip `as name` and anything else up to the next item.
                while *i < b.len() && b[*i] != b',' && b[*i] != b'}' {
                    *i += 1;
                }
                if *i == before {
                    *i += 1;
                }
            }
        }
        let start = *i;
        while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
            *i += 1;
        }
        if *i == start {
            out.push(path);
            return;
        }
        path.push(code[start..*i].to_string());
        if b[*i..].starts_with(b"::") {
            *i += 2;
        } else {
            out.push(path);
            return;
        }
    }
}

/// The file graph of `src/`: file → files it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.retain(|f| !f.ends_with("main.rs"));
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            (module_of(&src, f), rel)
        })
        .collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let module = module_of(&src, f);
        let me = by_module[&module].clone();
        let text = std::fs::read_to_string(f).unwrap();
        let edges = g.entry(me.clone()).or_default();
        for p in paths(&code(&text), &module) {
            let target = (0..=p.len())
                .rev()
                .find_map(|n| by_module.get(&p[..n]))
                .cloned();
            if let Some(t) = target {
                // A path to the crate root names an item of lib.rs only when nothing longer
                // matched: lib.rs holds only `mod` lines, so it is no import.
                if t != me && t != "lib.rs" {
                    edges.insert(t);
                }
            }
        }
    }
    g
}

/// The strongly connected components of more than one file (Tarjan).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        let g = s.g;
        for w in g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// One path from `a` back to `a` inside a component, for the message.
fn loop_through(g: &BTreeMap<String, BTreeSet<String>>, comp: &[String]) -> String {
    let inside: BTreeSet<&str> = comp.iter().map(String::as_str).collect();
    let start = comp[0].as_str();
    // Breadth first from start back to start.
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !inside.contains(w) {
                continue;
            }
            if w == start {
                let mut path = vec![start, v];
                let mut at = v;
                while let Some(&p) = prev.get(at) {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                path.rotate_right(1);
                path.push(start);
                path.dedup();
                return path.join(" → ");
            }
            if !prev.contains_key(w) && w != start {
                prev.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    comp.join(", ")
}

#[test]
fn the_path_reader_expands_groups_and_supers() {
    let m = vec!["app".to_string(), "lint".to_string()];
    let got = paths(
        "use crate::lint::{self, fix, Config};\nlet x = super::apim_tree::sparse(s);\n",
        &m,
    );
    let j: Vec<String> = got.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        j,
        [
            "lint::self",
            "lint::fix",
            "lint::Config",
            "app::apim_tree::sparse"
        ]
    );
}

#[test]
fn no_file_of_src_imports_a_file_that_imports_it_back() {
    let g = graph();
    let all = cycles(&g);
    let found: Vec<String> = all.iter().map(|c| loop_through(&g, c)).collect();
    assert!(
        found.is_empty(),
        "import cycles between files of src/:\n  {}",
        found.join("\n  ")
    );
}

/// The files this part of the code owns are in no cycle already (lint, the APIOps tree, the
/// walker, the secrets).
#[test]
fn lint_and_the_apiops_tree_are_in_no_cycle() {
    let g = graph();
    let ours = |f: &str| {
        f.starts_with("lint/")
            || (f.starts_with("apim/") && !["apim/capture.rs", "apim/inject.rs"].contains(&f))
            || [
                "app/lint.rs",
                "app/apim_tree.rs",
                "app/specs.rs",
                "walk.rs",
                "par.rs",
            ]
            .contains(&f)
    };
    let bad: Vec<String> = cycles(&g)
        .iter()
        .filter(|c| c.iter().any(|f| ours(f)))
        .map(|c| loop_through(&g, c))
        .collect();
    assert!(bad.is_empty(), "import cycles:\n  {}", bad.join("\n  "));
}
