//! The guide's own benchmark (issue 10, requirement 5): `with guide` / `--workload guide`
//! runs the guide's benchmark template, the default stays inference-perf sanity_random, and
//! the header always names the guide's benchmark.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use convert_guide::convert::{self, Request};
use convert_guide::model::scenario::Value;
use convert_guide::read::yaml::{self, Node};

use crate::common;

/// Both bench eras that read bash scenarios, and their profile templates.
const ERAS: &[&str] = &["2026-02-05", "2026-03-30"];

fn bench(era: &str) -> PathBuf {
    common::crate_root().join(format!("../shared/corpus/llm-d-benchmark/{era}"))
}

fn convert_with_guide(guide: &Path, bench_dir: &Path, vary: &[&str]) -> convert::Conversion {
    let cwd = tempfile::tempdir().expect("temp dir");
    let variations = vary
        .iter()
        .map(|v| {
            convert_guide::experiment::Variation::parse_flag(v).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    convert::convert(&Request {
        input: guide.to_path_buf(),
        cwd: cwd.path().to_path_buf(),
        bench_dir: Some(bench_dir.to_path_buf()),
        guide_workload: true,
        variations,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{}: {e}", guide.display()))
}

fn text_of(conv: &convert::Conversion, var: &str) -> Option<String> {
    match &conv.scenario.export(var)?.value {
        Value::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// The profile as llm-d-benchmark renders it with the overrides: one `sed` expression per
/// entry, as setup/functions.sh writes them (`s^key:.*^key: value^g`), run by the real sed.
fn render_profile(template: &Path, overrides: &str) -> String {
    let script: String = overrides
        .split(',')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (k, v) = e.split_once('=').expect("key=value");
            format!("s^{k}:.*^{k}: {v}^g\n")
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let sed = dir.path().join("overrides.txt");
    std::fs::write(&sed, script).expect("write sed script");
    let out = match std::process::Command::new("sed")
        .arg("-f")
        .arg(&sed)
        .arg(template)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "sed is needed on CI: {e}"
            );
            panic!("sed: {e}");
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Every Helm corpus guide with a benchmark template, against both bench eras: the harness
/// and profile are exported, and the profile rendered with the exported overrides (by the
/// bench's own sed form) holds the template's value for every carried key, at every place.
#[test]
fn with_guide_reproduces_the_templates_workload_in_both_eras() {
    let mut checked = 0;
    for g in common::HELM_GUIDES {
        let guide = common::corpus_guides().join(g);
        let opened = convert_guide::load::source::open_local(&guide).expect("open");
        let Some(file) = convert_guide::read::guide::own_benchmark_file(&opened) else {
            continue;
        };
        let template_text = std::fs::read_to_string(guide.join(&file)).expect("template");
        let template = yaml::parse_one(&file, &template_text).expect("template parses");
        let spec = template
            .root
            .get("workload")
            .and_then(Node::as_map)
            .and_then(|w| w.first())
            .map(|e| e.value.clone())
            .expect("a workload");
        for era in ERAS {
            let conv = convert_with_guide(&guide, &bench(era), &[]);
            let harness = text_of(&conv, "LLMDBENCH_HARNESS_NAME").expect("harness");
            assert_eq!(
                Some(harness.as_str()),
                template.root.at("harness.name").and_then(Node::as_str),
                "{g}"
            );
            let profile = text_of(&conv, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE").expect("profile");
            let overrides = text_of(&conv, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES")
                .unwrap_or_default();
            let profile_in = bench(era).join(format!("workload/profiles/{harness}/{}.in", profile));
            let rendered = render_profile(&profile_in, &overrides);
            let rendered = yaml::parse_one("rendered", &rendered)
                .unwrap_or_else(|e| panic!("{g} {era}: rendered profile is not YAML: {e}"));
            for entry in overrides.split(',').filter(|e| !e.is_empty()) {
                let (key, value) = entry.split_once('=').expect("key=value");
                // Every place the template gives this key, the rendered profile agrees.
                let mut places = 0;
                spec.walk(|n| {
                    for e in n.as_map().unwrap_or_default() {
                        if e.key == key {
                            assert_eq!(e.value.as_str(), Some(value), "{g}: {key}");
                        }
                    }
                });
                rendered.root.walk(|n| {
                    for e in n.as_map().unwrap_or_default() {
                        if e.key == key {
                            places += 1;
                            assert_eq!(
                                e.value.as_str(),
                                Some(value),
                                "{g} {era}: {key} in the rendered {profile}"
                            );
                        }
                    }
                });
                assert!(places > 0, "{g} {era}: {key} is not in {profile}");
            }
            // The header names the template; the export cites its lines.
            assert!(
                conv.scenario_text.contains(&format!(
                    "# Guide's own benchmark: {file} (harness {harness}"
                )),
                "{g}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} guide x era checked");
}

#[test]
fn inference_scheduling_runs_its_shared_prefix_benchmark() {
    let guide = common::corpus_guides().join("inference-scheduling");
    let conv = convert_with_guide(&guide, &bench("2026-02-05"), &[]);
    assert_eq!(
        text_of(&conv, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE").as_deref(),
        Some("shared_prefix_synthetic.yaml")
    );
    let overrides =
        text_of(&conv, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES").unwrap_or_default();
    for kv in [
        "num_groups=150",
        "num_prompts_per_group=5",
        "system_prompt_len=6000",
        "question_len=1200",
        "output_len=1000",
    ] {
        assert!(overrides.split(',').any(|e| e == kv), "{kv} in {overrides}");
    }
    // What the profile cannot take is said, not silently lost.
    assert!(
        conv.warning_texts()
            .iter()
            .any(|w| w.contains("load.stages (a list of 17")),
        "{:?}",
        conv.warnings
    );
    // A swept key belongs to the experiment: no override would undo the sweep.
    let conv = convert_with_guide(&guide, &bench("2026-02-05"), &["question_len=100,200"]);
    let overrides =
        text_of(&conv, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES").unwrap_or_default();
    assert!(!overrides.contains("question_len"), "{overrides}");
    assert!(overrides.contains("num_groups=150"), "{overrides}");
}

#[test]
fn default_workload_is_sanity_random_and_the_header_names_the_guides() {
    let guide = common::corpus_guides().join("inference-scheduling");
    let conv = common::convert_builtin(&guide);
    assert_eq!(
        text_of(&conv, "LLMDBENCH_HARNESS_NAME").as_deref(),
        Some("inference-perf")
    );
    assert_eq!(
        text_of(&conv, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE").as_deref(),
        Some("sanity_random.yaml")
    );
    assert!(
        conv.scenario
            .export("LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES")
            .is_none()
    );
    let header: Vec<&str> = conv
        .scenario_text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter(|l| l.starts_with("# Guide's own benchmark: "))
        .collect();
    assert_eq!(
        header,
        [
            "# Guide's own benchmark: ../benchmark/inference_scheduling_guide_template.yaml (harness inference-perf, workload Shared_prefix); `with guide` runs it"
        ]
    );
}

#[test]
fn cli_with_guide_and_workload_flag_agree() {
    let guide = common::corpus_guides().join("pd-disaggregation");
    let run = |args: &[&str]| {
        let t = tempfile::tempdir().expect("temp dir");
        let out = Command::cargo_bin("convert-guide")
            .expect("binary")
            .current_dir(t.path())
            .arg(&guide)
            .args(args)
            .arg("--dry-run")
            .output()
            .expect("runs");
        let tmp = t.path().display().to_string();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).replace(&tmp, "TMP"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let words = run(&["with", "guide"]);
    let flag = run(&["--workload", "guide"]);
    assert_eq!(words.0, Some(0), "{}", words.2);
    assert_eq!(words.1, flag.1);
    assert!(
        words
            .1
            .contains("export LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=random_concurrent.yaml"),
        "{}",
        words.1
    );
    let clash = run(&["--workload", "guide", "--harness", "guidellm"]);
    assert_eq!(clash.0, Some(2), "{}", clash.2);
    let clash = run(&["with", "guide", "--profile", "sanity_random"]);
    assert_eq!(clash.0, Some(2), "{}", clash.2);
    // A guide without a template: the error says where it looked.
    let example = common::crate_root().join("examples/guides/small-scheduling");
    let t = tempfile::tempdir().expect("temp dir");
    let out = Command::cargo_bin("convert-guide")
        .expect("binary")
        .current_dir(t.path())
        .arg(&example)
        .args(["with", "guide", "--dry-run"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no benchmark template"));
}

/// The 2026-05 layout: `benchmark-templates/` in the guide, the one its README downloads first.
#[test]
fn templates_of_the_may_layout_follow_the_readme() {
    let root = common::crate_root().join("../shared/corpus/llm-d/2026-05-01/guides");
    for (guide, want) in [
        (
            "optimized-baseline",
            "benchmark-templates/shared_prefix.yaml",
        ),
        ("pd-disaggregation", "benchmark-templates/20_1_isl_osl.yaml"),
        (
            "precise-prefix-cache-aware",
            "benchmark-templates/guide.yaml",
        ),
        ("workload-autoscaling", "benchmark-templates/guidellm.yaml"),
    ] {
        let opened = convert_guide::load::source::open_local(&root.join(guide)).expect("open");
        assert_eq!(
            convert_guide::read::guide::own_benchmark_file(&opened).as_deref(),
            Some(want),
            "{guide}"
        );
    }
}
