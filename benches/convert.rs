//! Conversion speed: each corpus guide in process (files already read), and the whole
//! corpus from disk. Run with `cargo bench --bench convert`.

use std::path::{Path, PathBuf};

use convert_guide::convert::{Bench, Request, Target, convert_guide};
use convert_guide::load::source::{self, Opened};

const GUIDES: &[&str] = &[
    "inference-scheduling",
    "pd-disaggregation",
    "precise-prefix-cache-aware",
    "simulated-accelerators",
    "workload-autoscaling",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/llm-d/2026-02-05/guides")
}

fn main() {
    divan::main();
}

fn load(name: &str) -> Opened {
    source::open_local(&corpus().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One guide (default variant): read, render the helmfile, merge, map, render.
#[divan::bench(args = GUIDES)]
fn guide_in_process(bencher: divan::Bencher, name: &str) {
    let guide = load(name);
    let bench = Bench::builtin();
    let request = Request::default();
    bencher.bench_local(|| {
        convert_guide(divan::black_box(&guide), &bench, &request).map(|c| c.scenario_text.len())
    });
}

/// One guide (default variant) to the v2 YAML scenario (built-in 2026-05-01 defaults).
#[divan::bench(args = GUIDES)]
fn guide_in_process_v2(bencher: divan::Bencher, name: &str) {
    let guide = load(name);
    let bench = Bench::builtin();
    let request = Request {
        target: Target::V2,
        ..Request::default()
    };
    bencher.bench_local(|| {
        convert_guide(divan::black_box(&guide), &bench, &request).map(|c| c.scenario_text.len())
    });
}

/// Guides of the current layout (llm-d 2026-05-01): README recipe, kustomize overlay, router
/// values.
#[divan::bench(args = ["optimized-baseline", "pd-disaggregation", "precise-prefix-cache-aware"])]
fn current_guide_in_process(bencher: divan::Bencher, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/llm-d/2026-05-01/guides")
        .join(name);
    let guide = source::open_local(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
    let bench = Bench::builtin();
    let request = Request::default();
    bencher.bench_local(|| {
        convert_guide(divan::black_box(&guide), &bench, &request).map(|c| c.scenario_text.len())
    });
}

/// Every corpus guide, from disk, with the built-in defaults, as the CLI would.
#[divan::bench]
fn whole_corpus_from_disk() -> usize {
    let bench = Bench::builtin();
    let request = Request::default();
    GUIDES
        .iter()
        .map(|g| {
            convert_guide(&load(g), &bench, &request)
                .map(|c| c.scenario_text.len())
                .unwrap_or(0)
        })
        .sum()
}

/// The defaults table: parsed once per run of the CLI.
#[divan::bench]
fn builtin_defaults() -> Bench {
    Bench::builtin()
}

/// `--all` over the corpus guides root: every guide and every variant.
#[divan::bench]
fn all_guides_all_variants() -> usize {
    let bench = Bench::builtin();
    convert_guide::convert::convert_tree(&corpus(), &bench, &Request::default())
        .map(|items| items.len())
        .unwrap_or(0)
}

/// Kustomize guides (default variant): build the overlay in process, extract, map, render.
#[divan::bench(args = ["wide-ep-lws", "tiered-prefix-cache"])]
fn kustomize_guide_in_process(bencher: divan::Bencher, name: &str) {
    let guide = load(name);
    let bench = Bench::builtin();
    let request = Request::default();
    bencher.bench_local(|| {
        convert_guide(divan::black_box(&guide), &bench, &request).map(|c| c.scenario_text.len())
    });
}

/// The in-process `kustomize build` of each wide-ep-lws overlay (compare `kubectl kustomize`).
#[divan::bench(args = ["base", "gke", "gke-a4", "coreweave"])]
fn kustomize_build_wide_ep(bencher: divan::Bencher, overlay: &str) {
    let guides = source::open_local(&corpus()).unwrap_or_else(|e| panic!("{e}"));
    let dir = format!("wide-ep-lws/manifests/modelserver/{overlay}");
    bencher.bench_local(|| {
        convert_guide::read::kustomize::build(
            guides.source.as_ref(),
            divan::black_box(&dir),
            convert_guide::read::kustomize::Options::default(),
        )
        .map(|b| b.resources.len())
    });
}
