//! The .NET regex parser and the backtracking analysis on arbitrary text.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::regex_input(data);
});
