//! The policy reader, every rule and every report format on arbitrary bytes: no panic, no
//! overflow, no hang (libFuzzer's -timeout catches the last).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::lint_input(data);
});
