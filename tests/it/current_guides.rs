//! The guides llm-d publishes since April 2026 (snapshot 2026-05-01): kustomize model
//! servers built on `guides/recipes`, router values layered in the README's order, and the
//! README's shell blocks as the install recipe.

use std::path::PathBuf;

use crate::common;
use crate::kustomize::{compare, kustomization_dirs};

/// The 2026-05-01 guides folder of the corpus.
pub fn current_guides() -> PathBuf {
    common::crate_root().join("../shared/corpus/llm-d/2026-05-01/guides")
}

/// Every kustomization of the snapshot's model-server guides and recipes builds as
/// `kubectl kustomize` builds it (or both fail).
#[test]
fn current_overlays_build_as_kubectl_builds_them() {
    let guides = current_guides();
    let mut n = 0;
    for g in [
        "optimized-baseline",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "wide-ep-lws",
        "tiered-prefix-cache",
        "recipes",
    ] {
        for d in kustomization_dirs(&guides.join(g)) {
            compare(&guides, &format!("{g}/{d}"));
            n += 1;
        }
    }
    assert!(n >= 60, "{n} kustomizations");
}

use std::path::Path;
use std::process::Command;

use convert_guide::convert::{self, Conversion, Request};
use convert_guide::{load::source, read::guide, read::yaml};

/// The 2026-03-30 llm-d-benchmark tree (the bash consumer) of the corpus.
fn bench_2026_03_30() -> PathBuf {
    common::crate_root().join("../shared/corpus/llm-d-benchmark/2026-03-30")
}

/// Guides of the snapshot that deploy a model server, with every variant and whether it
/// converts (vLLM) or is refused (SGLang).
const EXPECTED: &[(&str, &[&str], &[&str])] = &[
    (
        "optimized-baseline",
        &[
            "default",
            "gpu-gke-patch-vllm",
            "amd-vllm",
            "xpu-vllm",
            "hpu-vllm",
            "tpu-v6-vllm",
            "tpu-v7-vllm",
            "cpu-vllm",
            "gpu-vllm-gke",
        ],
        &["gpu-gke-patch-sglang", "gpu-sglang", "gpu-sglang-gke"],
    ),
    (
        "pd-disaggregation",
        &[
            "default",
            "gpu-vllm-coreweave",
            "amd-vllm",
            "amd-vllm-oci",
            "amd-vllm-tensorwave",
            "hpu-vllm",
            "tpu-vllm",
            "xpu-vllm",
        ],
        &["gpu-sglang", "gpu-sglang-coreweave"],
    ),
    (
        "precise-prefix-cache-aware",
        &[
            "default",
            "active-active",
            "amd-vllm",
            "cpu-vllm",
            "hpu-vllm",
            "tpu-v6-vllm",
            "tpu-v7-vllm",
            "xpu-vllm",
        ],
        &[],
    ),
    ("predicted-latency-based-scheduling", &["default"], &[]),
    (
        "wide-ep-lws",
        &[
            "default",
            "gpu-vllm-gke-a4",
            "gpu-vllm-coreweave",
            "gpu-vllm-topology-aware-gke",
            "gpu-vllm-topology-aware-gke-a4",
            "gpu-vllm",
        ],
        &[],
    ),
];

fn convert_current(
    guide: &str,
    variant: &str,
    bench: Option<&Path>,
) -> convert_guide::Result<Conversion> {
    let cwd = tempfile::tempdir().expect("temp dir");
    convert::convert(&Request {
        input: current_guides().join(guide),
        cwd: cwd.path().to_path_buf(),
        bench_dir: bench.map(Path::to_path_buf),
        variant: Some(variant.to_string()),
        ..Default::default()
    })
}

#[test]
fn variants_are_the_recipe_overlays_and_their_siblings() {
    for (g, vllm, sglang) in EXPECTED {
        let opened = source::open_local(&current_guides().join(g)).expect("open");
        let got = guide::variants(&opened).expect("variants");
        let want: Vec<&str> = vllm.iter().chain(sglang.iter()).copied().collect();
        let mut got_sorted: Vec<&str> = got.iter().map(String::as_str).collect();
        let mut want_sorted = want.clone();
        got_sorted.sort();
        want_sorted.sort();
        assert_eq!(got_sorted, want_sorted, "{g}");
        assert_eq!(got[0], "default", "{g}: the README's overlay comes first");
    }
}

#[test]
fn every_vllm_variant_converts_and_sglang_is_refused() {
    for (g, vllm, sglang) in EXPECTED {
        for v in *vllm {
            let c = convert_current(g, v, None).unwrap_or_else(|e| panic!("{g} {v}: {e}"));
            assert!(
                c.scenario_text.contains("LLMDBENCH_DEPLOY_MODEL_LIST="),
                "{g} {v}"
            );
            assert!(!c.scenario_text.contains("sglang"), "{g} {v}");
        }
        for v in *sglang {
            let err = convert_current(g, v, None).expect_err(v).to_string();
            assert!(
                err.contains("runs SGLang") && err.contains("vLLM only"),
                "{g} {v}: {err}"
            );
            assert!(
                err.contains(".yaml:"),
                "{g} {v}: names the file and line: {err}"
            );
        }
    }
}

/// `kubectl kustomize` of a variant's overlay: the decode workload (else the first one).
fn kubectl_decode(overlay: &Path) -> Option<yaml::Node> {
    let out = match Command::new("kubectl")
        .arg("kustomize")
        .arg(overlay)
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            assert!(std::env::var("CI").is_err(), "kubectl is needed in CI");
            eprintln!("SKIPPED: `kubectl` is not on PATH");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let docs = yaml::parse("kubectl", &text).expect("YAML");
    let workloads: Vec<yaml::Node> = docs
        .into_iter()
        .map(|d| d.root)
        .filter(|r| {
            matches!(
                r.get("kind").and_then(yaml::Node::as_str),
                Some("Deployment" | "LeaderWorkerSet")
            )
        })
        .collect();
    workloads
        .iter()
        .find(|w| {
            w.at("metadata.name")
                .and_then(yaml::Node::as_str)
                .is_some_and(|n| n.ends_with("decode"))
        })
        .or(workloads.first())
        .cloned()
}

fn export<'a>(text: &'a str, var: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("export {var}=")))
        .map(|v| v.trim_matches('"'))
}

/// The model, replicas, tensor parallelism and env of the decode stage the scenario writes
/// equal those of kubectl's build of the overlay.
#[test]
fn rendered_values_equal_the_built_overlay() {
    for (g, vllm, _) in EXPECTED {
        let opened = source::open_local(&current_guides().join(g)).expect("open");
        for v in *vllm {
            let model = guide::build(&opened, Some(v)).expect("model");
            let overlay = current_guides()
                .join(g)
                .join(model.overlay.as_deref().expect("overlay"));
            let Some(decode) = kubectl_decode(&overlay) else {
                return;
            };
            let c = convert_current(g, v, None).expect("converts");
            let text = &c.scenario_text;
            let ctx = format!("{g} {v}");
            let lws = decode.get("kind").and_then(yaml::Node::as_str) == Some("LeaderWorkerSet");
            let pod = if lws {
                decode.at("spec.leaderWorkerTemplate.workerTemplate.spec")
            } else {
                decode.at("spec.template.spec")
            }
            .expect("pod spec");
            let replicas = decode
                .at("spec.replicas")
                .and_then(yaml::Node::as_str)
                .unwrap_or("1");
            assert_eq!(
                export(text, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS").unwrap_or("1"),
                replicas,
                "{ctx}: replicas"
            );
            let containers = pod
                .get("containers")
                .and_then(yaml::Node::as_seq)
                .expect("containers");
            let server = &containers[0];
            let mut words: Vec<String> = Vec::new();
            for key in ["command", "args"] {
                for w in server
                    .get(key)
                    .and_then(yaml::Node::as_seq)
                    .unwrap_or_default()
                {
                    words.extend(common::sh_words(w.as_str().unwrap_or_default()));
                }
            }
            let served = export(text, "LLMDBENCH_DEPLOY_MODEL_LIST").expect("model");
            assert!(
                words.iter().any(|w| w == served),
                "{ctx}: model {served} not in {words:?}"
            );
            let tp = words.iter().enumerate().find_map(|(i, w)| {
                w.strip_prefix("--tensor-parallel-size=")
                    .map(str::to_string)
                    .or_else(|| {
                        (w == "--tensor-parallel-size")
                            .then(|| words.get(i + 1).cloned())
                            .flatten()
                    })
            });
            if let Some(tp) = tp.filter(|t| t.parse::<u32>().is_ok()) {
                // 1 is llm-d-benchmark's default: the scenario leaves it out.
                assert_eq!(
                    export(
                        text,
                        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM"
                    )
                    .unwrap_or("1"),
                    tp.as_str(),
                    "{ctx}: tensor parallelism"
                );
            }
            for e in server
                .get("env")
                .and_then(yaml::Node::as_seq)
                .unwrap_or_default()
            {
                let name = e
                    .get("name")
                    .and_then(yaml::Node::as_str)
                    .expect("env name");
                assert!(
                    text.contains(name),
                    "{ctx}: env {name} is not in the scenario"
                );
            }
        }
    }
}

/// `--all` gives every folder of the guides root a row.
#[test]
fn all_gives_every_folder_a_row() {
    let out = tempfile::tempdir().expect("temp");
    let assert = assert_cmd::Command::cargo_bin("convert-guide")
        .expect("binary")
        .arg(current_guides())
        .args(["--all", "-n", "--out"])
        .arg(out.path())
        .assert();
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for entry in std::fs::read_dir(current_guides()).expect("guides") {
        let entry = entry.expect("entry");
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} has no row:\n{stdout}"
        );
    }
    for folder in ["prereq", "recipes", "batch-gateway"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{folder} ")))
            .expect("row");
        assert!(row.contains("skipped: not a deployable guide"), "{row}");
    }
    assert!(stderr.contains("41 converted"), "{stderr}");
}

#[test]
fn list_variants_shows_overlays_and_router_values() {
    let assert = assert_cmd::Command::cargo_bin("convert-guide")
        .expect("binary")
        .arg(current_guides().join("pd-disaggregation"))
        .arg("--list-variants")
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let default = stdout
        .lines()
        .find(|l| l.starts_with("default "))
        .expect("default");
    assert!(default.contains("modelserver/gpu/vllm/base"), "{default}");
    assert!(
        default.contains(
            "../recipes/scheduler/base.values.yaml, ../recipes/scheduler/pd.values.yaml, scheduler/pd-disaggregation.values.yaml"
        ),
        "{default}"
    );
}

#[test]
fn scenario_snapshots() {
    for (g, v) in [
        ("optimized-baseline", "default"),
        ("pd-disaggregation", "default"),
        ("wide-ep-lws", "default"),
        ("predicted-latency-based-scheduling", "default"),
    ] {
        let c = convert_current(g, v, None).expect("converts");
        insta::assert_snapshot!(
            format!("current__{g}__{v}"),
            common::stable(&c.scenario_text)
        );
    }
}

/// Every converted variant renders valid values through the 2026-03-30 bench code.
#[test]
fn bench_render_accepts_every_converted_variant() {
    let tool = common::crate_root().join("../shared/tools/bench-render/bench-render");
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "python3 is needed in CI");
        eprintln!("SKIPPED: python3 is not on PATH");
        return;
    }
    let bench = bench_2026_03_30();
    let dir = tempfile::tempdir().expect("temp");
    for (g, vllm, _) in EXPECTED {
        for v in *vllm {
            let c = convert_current(g, v, Some(&bench)).unwrap_or_else(|e| panic!("{g} {v}: {e}"));
            let scenario = dir.path().join(format!("{}.sh", c.name));
            std::fs::write(&scenario, &c.scenario_text).expect("write");
            let out = dir.path().join(&c.name);
            let run = Command::new(&tool)
                .arg("--bench")
                .arg(&bench)
                .arg("--scenario")
                .arg(&scenario)
                .arg("--out")
                .arg(&out)
                .output()
                .expect("bench-render runs");
            assert!(
                run.status.success(),
                "{g} {v}: bench-render failed:\n{}",
                String::from_utf8_lossy(&run.stderr)
            );
            let values = std::fs::read_to_string(out.join("ms-values.yaml")).expect("ms-values");
            let served = export(&c.scenario_text, "LLMDBENCH_DEPLOY_MODEL_LIST").expect("model");
            assert!(
                values.contains(served),
                "{g} {v}: rendered values serve another model"
            );
        }
    }
}

/// A source that records every file read, over a local guide folder: what a remote guide
/// would fetch through the same trait.
struct Logged {
    inner: Box<dyn convert_guide::load::source::Source>,
    reads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl convert_guide::load::source::Source for Logged {
    fn origin(&self) -> String {
        self.inner.origin()
    }
    fn read(&self, rel: &str) -> convert_guide::Result<String> {
        self.reads.lock().expect("log").push(rel.to_string());
        self.inner.read(rel)
    }
    fn list(&self, rel: &str) -> convert_guide::Result<Vec<String>> {
        self.inner.list(rel)
    }
}

/// Converting one variant reads the README, the kustomization files of the candidate
/// overlays, and the files of the chosen overlay's build and router values: nothing else
/// (no benchmark templates, no other overlay's patches), so a remote guide fetches only those.
#[test]
fn one_variant_reads_only_what_its_recipe_and_overlay_reference() {
    for (g, v) in [
        ("optimized-baseline", "amd-vllm"),
        ("pd-disaggregation", "default"),
        ("wide-ep-lws", "gpu-vllm-coreweave"),
    ] {
        let local = source::open_local(&current_guides().join(g)).expect("open");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let opened = source::Opened {
            name: local.name.clone(),
            entry: local.entry.clone(),
            source: Box::new(Logged {
                inner: local.source,
                reads: std::sync::Arc::clone(&log),
            }),
        };
        let model = guide::build(&opened, Some(v)).unwrap_or_else(|e| panic!("{g} {v}: {e}"));
        let used: Vec<&str> = model.sources.iter().map(|d| d.file.as_str()).collect();
        let reads = log.lock().expect("log").clone();
        assert!(reads.iter().any(|r| r == "README.md"), "{g}: {reads:?}");
        for r in &reads {
            let kustomization = r.ends_with("/kustomization.yaml");
            assert!(
                r == "README.md" || kustomization || used.contains(&r.as_str()),
                "{g} {v}: read {r}, which the conversion does not use ({used:?})"
            );
            assert!(
                !r.contains("benchmark-templates") && (kustomization || !r.contains("sglang")),
                "{g} {v}: {r}"
            );
        }
    }
}

/// A README naming files the guide does not have: each is reported with the README line,
/// and only the variants needing it fail.
#[test]
fn missing_files_the_readme_names_are_reported_not_guessed() {
    let root = common::crate_root().join("tests/fixtures/recipe-guides/guides/broken");
    let opened = source::open_local(&root).expect("open");
    assert_eq!(
        guide::variants(&opened).expect("variants"),
        vec!["default", "amd-vllm"]
    );
    let err = guide::build(&opened, None)
        .expect_err("missing router values")
        .to_string();
    assert!(
        err.contains("README.md:13") && err.contains("router/missing.values.yaml"),
        "{err}"
    );
    let err = guide::build(&opened, Some("amd-vllm"))
        .expect_err("missing overlay")
        .to_string();
    assert!(
        err.contains("README.md:22") && err.contains("modelserver/amd/vllm"),
        "{err}"
    );
    // Without the missing values file the default converts; its overlay's own name works too.
    let dir = tempfile::tempdir().expect("temp");
    let copy = dir.path().join("guides/broken");
    for f in [
        "README.md",
        "router/broken.values.yaml",
        "modelserver/gpu/vllm/kustomization.yaml",
        "modelserver/gpu/vllm/deployment.yaml",
    ] {
        let to = copy.join(f);
        std::fs::create_dir_all(to.parent().expect("folder")).expect("mkdir");
        std::fs::copy(root.join(f), &to).expect("copy");
    }
    let readme = std::fs::read_to_string(copy.join("README.md")).expect("README");
    std::fs::write(
        copy.join("README.md"),
        readme.replace(
            "    -f guides/${GUIDE_NAME}/router/missing.values.yaml \\\n",
            "",
        ),
    )
    .expect("write");
    let opened = source::open_local(&copy).expect("open");
    let model = guide::build(&opened, Some("gpu-vllm")).expect("converts");
    assert_eq!(model.variant.as_deref(), Some("default"));
    // `# options: gpu, tpu`: the tpu overlay is not there, and the conversion says so (line
    // 20 of the copy, which lost a line).
    assert!(
        model
            .warnings
            .iter()
            .map(|w| w.plain().to_string())
            .any(|w| w.contains("README.md:20") && w.contains("modelserver/tpu/vllm")),
        "{:?}",
        model.warnings
    );
    assert_eq!(model.overlay.as_deref(), Some("modelserver/gpu/vllm"));
    assert!(
        model
            .used
            .iter()
            .any(|(_, f)| f == "router/broken.values.yaml"),
        "{:?}",
        model.used
    );
}

/// The same guides by GitHub URL (the look-alike server on 127.0.0.1 serves the snapshot
/// under `current/`): the same scenarios as from the local folders, and the fetch holds only
/// the README, kustomization files, the chosen overlay's files and the router values.
#[test]
fn remote_guides_convert_as_from_their_local_folders() {
    use crate::remote::server::{SHA, Server};
    let server = Server::start();
    let cache = tempfile::tempdir().expect("temp");
    for (g, v) in [
        ("optimized-baseline", "default"),
        ("pd-disaggregation", "gpu-vllm-coreweave"),
        ("wide-ep-lws", "default"),
        ("predicted-latency-based-scheduling", "default"),
    ] {
        let url = format!("https://github.com/llm-d/llm-d/tree/main/current/guides/{g}");
        let before = server.requests().len();
        let cwd = tempfile::tempdir().expect("temp");
        let remote = convert::convert(&Request {
            input: PathBuf::from(&url),
            remote: convert_guide::load::remote::RemoteOptions {
                github_api: server.base(),
                github_raw: server.base(),
                cache_dir: Some(cache.path().to_path_buf()),
                quiet: true,
                timeout: std::time::Duration::from_secs(5),
                ..Default::default()
            },
            cwd: cwd.path().to_path_buf(),
            variant: Some(v.to_string()),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{url}: {e}"));
        let local = convert_current(g, v, None).expect("local");
        let body = |t: &str| -> String {
            t.lines()
                .filter(|l| !l.starts_with("# Based on "))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        assert!(
            remote
                .scenario_text
                .contains(&format!("# Based on {url} (commit {SHA})")),
            "{url}"
        );
        assert!(
            body(&remote.scenario_text) == body(&local.scenario_text),
            "{url}: the scenario differs from the local one"
        );
        // Files (raw reads; listings go through the API and are cheap).
        let fetched: Vec<String> = server.requests()[before..]
            .iter()
            .filter(|r| !r.target.starts_with("/repos/"))
            .map(|r| r.target.clone())
            .collect();
        assert!(
            fetched.iter().any(|f| f.ends_with("/README.md")),
            "{url}: {fetched:?}"
        );
        // Only what the conversion uses: the README, the overlay, the router values, and the
        // one benchmark template the scenario header names (the guide's own benchmark); never
        // a sibling overlay's files.
        for f in &fetched {
            assert!(!f.contains("patch-sglang"), "{url}: fetched {f}");
        }
        let templates = fetched
            .iter()
            .filter(|f| f.contains("benchmark-templates"))
            .count();
        assert!(
            templates <= 1,
            "{url}: {templates} benchmark templates: {fetched:?}"
        );
    }
}

/// No README makes the recipe reader panic: fences, headings, exports with comments, helm
/// and kubectl lines, expansions and stray quotes in any order.
mod never_panic {
    use convert_guide::read::recipe;
    use proptest::prelude::*;

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("```bash\n".to_string()),
            Just("```\n".to_string()),
            Just("~~~sh\n".to_string()),
            Just("#### Gateway Mode\n".to_string()),
            Just("<summary><h4>X</h4></summary>\n".to_string()),
            Just("<h".to_string()),
            Just("export A=b # options: x, y (z), \n".to_string()),
            Just("export B=${A:-d}/${C-e} #\n".to_string()),
            Just("helm install ".to_string()),
            Just("helm upgrade --install r c -f ".to_string()),
            Just("--set a={b,c},d=\\,e ".to_string()),
            Just("--version ".to_string()),
            Just("--values=".to_string()),
            Just("kubectl apply -k ".to_string()),
            Just("--kustomize=x ".to_string()),
            Just("guides/${A}/m/${B} ".to_string()),
            Just("\\\n".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("$(x) ".to_string()),
            Just("\n".to_string()),
            "[a-z$#{}=:,() -]{0,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn readmes(pieces in proptest::collection::vec(piece(), 0..40)) {
            let text: String = pieces.concat();
            let r = recipe::read(&text);
            for a in &r.applies {
                prop_assert!(!a.dir.contains("://"));
            }
        }
    }
}
