//! Benchmark: .NET regex parsing plus backtracking analysis on large and deep patterns.
//!
//!     cargo run --release --example regex-bench
//!
//! Prints, for each shape, the pattern size and the median time of parse + analysis over 15
//! runs. Goal (issue: .NET regex dialect): a 64 KB pattern and a 300-deep nesting well under a
//! second, and time growing about linearly with size.

use std::time::{Duration, Instant};

use akto_connect::dotnet_regex::{self, redos};

fn measure(p: &str) -> (Duration, usize) {
    let units: Vec<u16> = p.encode_utf16().collect();
    let mut times = Vec::new();
    let mut risks = 0;
    for _ in 0..15 {
        let t = Instant::now();
        match dotnet_regex::parse(p) {
            Ok(parsed) => risks = redos::analyze(&parsed.root, &units).len(),
            Err(_) => risks = usize::MAX,
        }
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], risks)
}

fn to_size(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

/// A named way to build a pattern of about `n` bytes.
type Shape = (&'static str, Box<dyn Fn(usize) -> String>);

fn main() {
    let shapes: Vec<Shape> = vec![
        (
            "path alternation",
            Box::new(|n| {
                format!(
                    "^/api/(?:{})/\\d+$",
                    to_size("users|orders|", n).trim_end_matches('|')
                )
            }),
        ),
        (
            "classes and loops",
            Box::new(|n| to_size("[a-z0-9_-]+/\\d{1,4}", n)),
        ),
        (
            "nested loops (risky)",
            Box::new(|n| format!("^{}$", to_size("(\\w+\\s?)*", n))),
        ),
        (
            "alternation under loops (risky)",
            Box::new(|n| format!("^{}$", to_size("(a|aa)+", n))),
        ),
        ("literal text", Box::new(|n| to_size("abcdefgh", n))),
    ];
    println!(
        "{:<34} {:>8} {:>10} {:>6}",
        "shape", "bytes", "median", "risks"
    );
    for (name, make) in &shapes {
        for size in [16 << 10, 32 << 10, 64 << 10] {
            let p = make(size);
            let (t, r) = measure(&p);
            println!(
                "{name:<34} {:>8} {:>8.2}ms {:>6}",
                p.len(),
                t.as_secs_f64() * 1e3,
                r
            );
        }
    }
    for depth in [100, 300, 999] {
        let p = format!("^{}a+{}$", "(".repeat(depth), ")+".repeat(depth));
        let (t, r) = measure(&p);
        println!(
            "{:<34} {:>8} {:>8.2}ms {:>6}",
            format!("nesting depth {depth}"),
            p.len(),
            t.as_secs_f64() * 1e3,
            r
        );
    }
}
