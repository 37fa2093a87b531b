//! The policy reader, every rule and every report format on arbitrary bytes: no panic, no
//! overflow, no hang (libFuzzer's -timeout catches the last).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    akto_connect::lint::fuzzing::lint_input(data);
});
