//! libFuzzer target: the whole per-file pipeline on the fuzzer's bytes
//! (`fortress::fuzz::run_one`). Seed the corpus with the fixtures:
//! `cargo +nightly fuzz run pipeline fuzz/corpus/pipeline ../fixtures`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(invalid) = fortress::fuzz::run_one(data) {
        panic!("invalid report: {invalid}");
    }
});
