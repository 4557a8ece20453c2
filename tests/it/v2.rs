//! The v2 target: every corpus guide x variant converted to a v2 scenario, rendered by the
//! 2026-05-01 llm-d-benchmark checkout's own renderer (`render_plans.py`, run by python3),
//! and the rendered modelservice and GAIE values compared with the guide, facet by facet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use convert_guide::emit::v2::{self, Meta, V2Defaults};
use convert_guide::model;
use convert_guide::read::yaml;

use crate::common::{self, Case};
use crate::v2_facets::{
    Facets, Outcome, accelerator_facets, command_words, gaie_facets, guide_at, parse, read,
    scaling_facets, stage_facets, text,
};

fn bench_v2() -> PathBuf {
    common::crate_root().join("../shared/corpus/llm-d-benchmark/2026-05-01")
}

/// Every Helm guide variant and every kustomize overlay of the corpus.
fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = common::corpus_cases()
        .into_iter()
        .filter(|c| !c.label.starts_with("values__") && !c.label.contains("example"))
        .collect();
    cases.extend(common::kustomize_cases());
    cases
}

/// The v2 scenario of a case (the checkout's defaults), its model and name.
fn convert(case: &Case) -> (String, model::Deployment, v2::V2Scenario) {
    let m = common::model_of(case);
    let d = model::from_guide(&m).unwrap_or_else(|e| panic!("{}: {e}", case.label));
    let defaults = V2Defaults::load(&bench_v2()).expect("defaults.yaml");
    let name = case
        .label
        .split_once("__")
        .map_or(case.label.as_str(), |(_, n)| n)
        .replace("__", ".");
    let meta = Meta {
        name: &name,
        origin: "the corpus guide",
        variant: case.variant.as_deref(),
        harness: "inference-perf",
        profile: "sanity_random.yaml",
    };
    let s = v2::scenario(&d, &defaults, &meta);
    (name, d, s)
}

/// python3 with the renderer's imports, or why not. Under CI a missing one fails.
fn have_renderer() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import jinja2, yaml, pydantic"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let msg = "python3 with jinja2, PyYAML and pydantic is needed to render v2 scenarios (.ci/run installs them)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
        eprintln!("SKIPPED: {msg}");
    }
    ok
}

/// A v2 tree to write the cases into: the checkout's `config/templates`, copied (what its
/// specifications name).
fn render_tree() -> tempfile::TempDir {
    let tree = tempfile::tempdir().expect("temp dir");
    common::copy_dir(
        &bench_v2().join("config/templates"),
        &tree.path().join("config/templates"),
    );
    tree
}

/// Write a case's scenario and specification where the conversion puts them; the scenario's
/// path.
fn write_case(tree: &Path, name: &str, s: &v2::V2Scenario) -> PathBuf {
    let [scenario, spec, _] = v2::targets(tree, name);
    for (path, text) in [(&scenario, &s.text), (&spec, &s.specification)] {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    scenario
}

/// Render the cases of `tree` as `llmdbenchmark --spec <name>` does: the specification,
/// then the plans from the paths it names.
fn render_all(tree: &Path, names: &[String]) {
    let out = Command::new("python3")
        .arg(common::crate_root().join("tests/v2/render.py"))
        .arg(bench_v2())
        .arg(tree)
        .args(names)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "render.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The rendered specification names this scenario file, and the defaults and templates of
/// the tree.
fn spec_names_the_scenario(report: &str, tree: &Path, scenario: &Path) -> Result<(), String> {
    let json: serde_json::Value = serde_json::from_str(report).map_err(|e| e.to_string())?;
    let spec = &json["specification"];
    let same = |key: &str, want: &Path| {
        let got = spec[key]["path"].as_str().map(PathBuf::from);
        let canon = |p: &Path| std::fs::canonicalize(p).ok();
        match got {
            Some(g) if canon(&g).is_some() && canon(&g) == canon(want) => Ok(()),
            _ => Err(format!(
                "{key}: {:?}, expected {}",
                spec[key],
                want.display()
            )),
        }
    };
    same("scenario_file", scenario)?;
    same("values_file", &tree.join(v2::DEFAULTS_FILE))?;
    same("template_dir", &tree.join("config/templates/jinja"))
}

/// Every guide x variant renders, and the rendered values match the guide on every facet.
#[test]
fn v2_scenarios_render_and_match_the_guide() {
    if !have_renderer() {
        return;
    }
    render_and_match(cases(), "2026-02-05");
}

/// The guides llm-d publishes since April 2026 (snapshot 2026-05-01) that deploy a model
/// server, every variant (SGLang ones too: v2 runs their command).
fn current_cases() -> Vec<Case> {
    let guides = common::crate_root().join("../shared/corpus/llm-d/2026-05-01/guides");
    let mut cases = Vec::new();
    for g in [
        "optimized-baseline",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "predicted-latency-based-scheduling",
        "wide-ep-lws",
    ] {
        let opened = convert_guide::load::source::open_local(&guides.join(g)).expect("open");
        for v in convert_guide::read::guide::variants(&opened).expect("variants") {
            // The guide reader refuses the SGLang overlays of this layout for both targets.
            if let Err(e) = convert_guide::read::guide::build(&opened, Some(&v)) {
                assert!(e.to_string().contains("runs SGLang"), "{g} {v}: {e}");
                eprintln!("V2 REFUSED {g} {v}: {e}");
                continue;
            }
            cases.push(Case {
                label: format!("current__{g}-2026-05__{v}"),
                input: guides.join(g),
                root: guides.join(g),
                variant: Some(v),
            });
        }
    }
    cases
}

/// The same for the 2026-05-01 guides.
#[test]
fn v2_current_guides_render_and_match_the_guide() {
    if !have_renderer() {
        return;
    }
    render_and_match(current_cases(), "2026-05-01");
}

/// The facets of one rendered case.
fn case_facets(case: &Case, name: &str, d: &model::Deployment, file: &Path, tree: &Path) -> Facets {
    let plan = PathBuf::from(format!("{}.plan", file.display()));
    let report = read(&plan.join("report.json"));
    let errors_free = report.contains("\"render_errors\": []")
        && report.contains("\"yaml_errors\": []")
        && report.contains("\"global\": []");
    let stack = plan.join("plan").join(name);
    let mut f = Facets::new(&read(file));
    f.check("renders without errors", errors_free, report.clone());
    let spec = spec_names_the_scenario(&report, tree, file);
    f.check(
        "specification renders and names the scenario",
        spec.is_ok(),
        format!("{spec:?}"),
    );
    if stack.join("13_ms-values.yaml").is_file() {
        let ms = parse(&stack.join("13_ms-values.yaml"));
        let gaie = parse(&stack.join("12_gaie-values.yaml"));
        let m = common::model_of(case);
        f.eq(
            "model",
            text(guide_at(&m.roots, "modelArtifacts.name")),
            text(ms.at("modelArtifacts.name")),
        );
        accelerator_facets(&mut f, &m.roots, &ms);
        stage_facets(&mut f, &m.roots, &ms, "decode", d.decode.created());
        stage_facets(&mut f, &m.roots, &ms, "prefill", d.prefill.created());
        gaie_facets(&mut f, &m.roots, &gaie);
        scaling_facets(&mut f, &m.roots, &ms, &stack);
    } else {
        f.check("13_ms-values.yaml rendered", false, String::new());
    }
    f
}

/// Convert, write and render `cases`, print the tallies, and fail on any facet that
/// differs without a reason.
fn render_and_match(cases: Vec<Case>, era: &str) {
    let tree = render_tree();
    let mut runs = Vec::new();
    for case in cases {
        let (name, d, s) = convert(&case);
        let file = write_case(tree.path(), &name, &s);
        runs.push((case, name, d, file));
    }
    let names: Vec<String> = runs.iter().map(|r| r.1.clone()).collect();
    render_all(tree.path(), &names);
    let mut table = String::new();
    let mut failures = Vec::new();
    // Per guide: variants, matched, refused, checked.
    let mut tally: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for (case, name, d, file) in &runs {
        let f = case_facets(case, name, d, file, tree.path());
        let count = |o: Outcome| f.checked.iter().filter(|c| c.1 == o).count();
        table.push_str(&format!(
            "{:60} {:3} matched, {} refused with a reason, of {}\n",
            case.label,
            count(Outcome::Matched),
            count(Outcome::Refused),
            f.checked.len()
        ));
        let guide = name.split_once('.').map_or(name.as_str(), |(g, _)| g);
        let t = tally.entry(guide.to_string()).or_default();
        t[0] += 1;
        t[1] += count(Outcome::Matched);
        t[2] += count(Outcome::Refused);
        t[3] += f.checked.len();
        for (facet, outcome, detail) in &f.checked {
            if *outcome == Outcome::Differs {
                failures.push(format!("{}: {facet}: {detail}", case.label));
            }
        }
    }
    eprintln!("v2 facets matched per guide x variant:\n{table}");
    let mut total = [0; 4];
    for (guide, t) in &tally {
        eprintln!(
            "V2 {guide}: {}/{} facets match, {} refused with a reason ({} variants)",
            t[1], t[3], t[2], t[0]
        );
        for i in 0..4 {
            total[i] += t[i];
        }
    }
    eprintln!(
        "V2 all {era} guides: {}/{} facets match, {} refused with a reason ({} guide x variant cases)",
        total[1], total[3], total[2], total[0]
    );
    assert!(
        failures.is_empty(),
        "{} facets differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The generated v2 files of every case, whole.
#[test]
fn v2_scenarios_snapshots() {
    for case in cases().into_iter().chain(current_cases()) {
        let (name, _, s) = convert(&case);
        insta::assert_snapshot!(format!("v2__{name}"), common::stable(&s.text));
    }
}

// ---------------------------------------------------------------------------------------
// The CLI and the experiment

/// A v2 checkout to write into: the corpus's defaults.yaml and profiles, copied.
fn v2_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = |rel: &str| {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(bench_v2().join(rel), &to).unwrap_or_else(|e| panic!("{rel}: {e}"));
    };
    copy(v2::DEFAULTS_FILE);
    copy("workload/profiles/inference-perf/sanity_random.yaml.in");
    dir
}

fn cg(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("convert-guide").expect("binary built");
    cmd.current_dir(cwd);
    cmd
}

/// Inside a v2 checkout the target is v2 without asking; `--target bash` still writes bash.
#[test]
fn v2_is_chosen_by_the_checkout_and_bash_on_request() {
    let bench = v2_checkout();
    let guide = common::corpus_guides().join("pd-disaggregation");
    cg(bench.path()).arg(&guide).arg("-y").assert().success();
    let written = |rel: &str| bench.path().join(rel).is_file();
    assert!(written("config/scenarios/guides/pd-disaggregation.yaml"));
    assert!(written(
        "config/specification/guides/pd-disaggregation.yaml.j2"
    ));
    assert!(!written("scenarios/guides/pd-disaggregation.sh"));
    let text = read(
        &bench
            .path()
            .join("config/scenarios/guides/pd-disaggregation.yaml"),
    );
    assert!(text.starts_with("# PD-DISAGGREGATION WELL LIT PATH (llm-d-benchmark v2 scenario)"));
    assert!(text.contains("\nscenario:\n  - name: pd-disaggregation\n"));

    cg(bench.path())
        .arg(&guide)
        .args(["--target", "bash", "-y"])
        .assert()
        .success();
    assert!(written("scenarios/guides/pd-disaggregation.sh"));

    // Without a checkout the default stays bash; `--target v2` uses the built-in table.
    let empty = tempfile::tempdir().expect("temp dir");
    cg(empty.path())
        .arg(&guide)
        .args(["--target", "v2", "-y"])
        .assert()
        .success();
    let text = read(
        &empty
            .path()
            .join("config/scenarios/guides/pd-disaggregation.yaml"),
    );
    assert!(text.contains("# Defaults: built-in table of llm-d-benchmark 2026-05-01 defaults"));
}

/// `varying decode_replicas from 1 to 4` makes a v2 design the v2 checker accepts.
#[test]
fn v2_experiment_from_a_variation_is_a_valid_design() {
    let bench = v2_checkout();
    let guide = common::corpus_guides().join("pd-disaggregation");
    cg(bench.path())
        .arg(&guide)
        .args(["varying", "decode_replicas", "from", "1", "to", "4", "-y"])
        .assert()
        .success();
    let path = bench
        .path()
        .join("workload/experiments/pd-disaggregation.yaml");
    let text = read(&path);
    for level in 1..=4 {
        assert!(
            text.contains(&format!("decode.replicas: {level}")),
            "level {level} missing:\n{text}"
        );
    }
    let root = yaml::parse_one("experiment.yaml", &text)
        .expect("valid YAML")
        .root;
    assert!(convert_guide::experiment::v2::is_v2(&root));
    let catalog = convert_guide::bench::catalog::Catalog::builtin();
    let report = convert_guide::experiment::v2::check("experiment.yaml", &root, &catalog);
    let errors: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == convert_guide::experiment::check::Severity::Error)
        .map(|f| f.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    // check-experiment of the CLI agrees.
    cg(bench.path())
        .args(["check-experiment"])
        .arg(&path)
        .assert()
        .success();
}

/// An SGLang guide (which bash scenarios cannot express) runs its own command under the
/// benchmark, on its image and accelerators.
#[test]
fn v2_sglang_guide_keeps_its_engine_command() {
    let case = Case {
        label: "fixture__v2-sglang".into(),
        input: common::crate_root().join("tests/fixtures/v2-sglang"),
        root: common::crate_root().join("tests/fixtures/v2-sglang"),
        variant: None,
    };
    let (name, d, s) = convert(&case);
    assert_eq!(d.engine, model::Engine::Sglang);
    insta::assert_snapshot!("v2__fixture_sglang", common::stable(&s.text));
    if !have_renderer() {
        return;
    }
    let tree = render_tree();
    let file = write_case(tree.path(), &name, &s);
    render_all(tree.path(), std::slice::from_ref(&name));
    let plan = PathBuf::from(format!("{}.plan", file.display()));
    let report = read(&plan.join("report.json"));
    if let Err(e) = spec_names_the_scenario(&report, tree.path(), &file) {
        panic!("the specification does not lead to the scenario: {e}\n{report}");
    }
    let stack = plan.join("plan").join(&name);
    let ms = parse(&stack.join("13_ms-values.yaml"));
    let c = ms.at("decode.containers[0]").expect("decode container");
    assert_eq!(
        text(c.get("image")).as_deref(),
        Some("lmsysorg/sglang:v0.5.4")
    );
    let words = command_words(c);
    let line = words.join(" ");
    assert!(
        line.contains(
            "python3 -m sglang.launch_server --model-path Qwen/Qwen3-0.6B --tp 2 --port 8200"
        ),
        "{line}"
    );
    assert!(!line.contains("vllm serve"), "{line}");
    assert_eq!(
        text(
            c.at("resources.limits")
                .and_then(|l| l.get("nvidia.com/gpu"))
        )
        .as_deref(),
        Some("2")
    );
    assert_eq!(text(ms.at("decode.replicas")).as_deref(), Some("2"));
}

/// The block size vLLM and the scheduler share is one model field, read in both places.
#[test]
fn coupled_block_size_is_one_value_from_both_places() {
    let case = Case {
        label: "scenario__precise-prefix-cache-aware".into(),
        input: common::corpus_guides().join("precise-prefix-cache-aware"),
        root: common::corpus_guides().join("precise-prefix-cache-aware"),
        variant: None,
    };
    let (_, d, _) = convert(&case);
    let block = d.coupled.block_size.expect("block size");
    assert_eq!(block.value, "64");
    let files: Vec<&str> = block.origins.iter().map(|o| o.file.as_str()).collect();
    assert!(files.contains(&"ms-kv-events/values.yaml"), "{files:?}");
    assert!(files.contains(&"gaie-kv-events/values.yaml"), "{files:?}");
    assert!(block.conflicts.is_empty());
    let served = d.coupled.served_model.expect("served model");
    assert_eq!(served.value, "Qwen/Qwen3-32B");
}

/// Places that disagree on a coupled value are a warning of the scenario.
#[test]
fn coupled_values_that_disagree_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ms = dir.path().join("ms-x");
    let gaie = dir.path().join("gaie-x");
    std::fs::create_dir_all(&ms).expect("mkdir");
    std::fs::create_dir_all(&gaie).expect("mkdir");
    std::fs::write(
        ms.join("values.yaml"),
        "modelArtifacts:\n  uri: hf://a/b\n  name: a/b\ndecode:\n  containers:\n    - args: [\"--block-size=16\"]\n",
    )
    .expect("write");
    std::fs::write(
        gaie.join("values.yaml"),
        "inferenceExtension:\n  pluginsCustomConfig:\n    p.yaml: |\n      plugins:\n        - type: precise-prefix-cache-scorer\n          parameters:\n            blockSize: 64\n",
    )
    .expect("write");
    let case = Case {
        label: "scenario__x".into(),
        input: dir.path().to_path_buf(),
        root: dir.path().to_path_buf(),
        variant: None,
    };
    let (_, d, s) = convert(&case);
    let block = d.coupled.block_size.expect("block size");
    assert_eq!(block.conflicts.len(), 1);
    assert!(
        s.text.contains("# WARNING: the guide's block size differs between places: 16 at ms-x/values.yaml:6 but 64 at gaie-x/values.yaml:3"),
        "{}",
        s.text
    );
    assert_eq!(d.router.plugin_types, ["precise-prefix-cache-scorer"]);
}
