//! The .NET regex parser and the backtracking analysis on arbitrary text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    akto_connect::lint::fuzzing::regex_input(data);
});
