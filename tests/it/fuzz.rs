//! The fuzz targets' inputs as regression tests: every seed of `fuzz/corpus/<target>/` and
//! every input that once crashed a target (`tests/fixtures/fuzz/<target>/`) goes through
//! the same entry point as the fuzzer (`convert_guide::fuzz`), in the normal test suite,
//! without nightly or cargo-fuzz.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use convert_guide::fuzz;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("convert", fuzz::convert_values),
    ("convert_helmfile", fuzz::convert_helmfile),
    ("env_sh", fuzz::env_sh),
    ("template", fuzz::template),
    ("shell", fuzz::shell),
    ("experiment", fuzz::experiment),
    ("kustomize", fuzz::kustomize),
    ("kustomize_shell", fuzz::kustomize_shell),
];

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn run_all(kind: &str, dir_of: impl Fn(&str) -> PathBuf) -> usize {
    let mut count = 0;
    for (name, target) in TARGETS {
        for file in inputs(&dir_of(name)) {
            let data = std::fs::read(&file).expect("read fuzz input");
            let started = Instant::now();
            if let Err(e) = std::panic::catch_unwind(|| target(&data)) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{kind} {name}/{}: {msg}", file.display());
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{kind} {name}/{}: {:?}",
                file.display(),
                started.elapsed()
            );
            count += 1;
        }
    }
    count
}

#[test]
fn seed_corpus_of_every_target() {
    let root = crate::common::crate_root().join("fuzz/corpus");
    let n = run_all("seed", |t| root.join(t));
    assert!(n >= 40, "{n} seeds");
}

#[test]
fn every_crash_found_by_fuzzing_stays_fixed() {
    let root = crate::common::crate_root().join("tests/fixtures/fuzz");
    run_all("crash", |t| root.join(t));
}
