#![no_main]
//! See convert_guide::fuzz::kustomize.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| convert_guide::fuzz::kustomize(data));
