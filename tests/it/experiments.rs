//! Experiments: the corpus experiments through the validator, broken files (one per rule),
//! generated experiments (snapshots, always valid), designs on the command line, and e2e.sh's
//! per-treatment rewrite of a generated scenario, sourced by real bash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use convert_guide::convert::{self, Bench, Conversion, Request};
use convert_guide::experiment::check::{self, Context, Finding, Report, Severity};
use convert_guide::experiment::model::ExperimentFile;
use convert_guide::experiment::scenario_text::ScenarioText;
use convert_guide::experiment::{Design, Section, TreatmentList, Variation};

use crate::common;

const BENCH_CORPUS: &str = "../shared/corpus/llm-d-benchmark/2026-02-05";

fn corpus_experiment(name: &str) -> String {
    let path = common::crate_root()
        .join(BENCH_CORPUS)
        .join("experiments")
        .join(format!("{name}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `line: severity: message`, the file name left out.
fn shown(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| format!("{}: {}: {}", f.line, f.severity, f.message))
        .collect()
}

fn check_text(text: &str, scenario: Option<&str>) -> Report {
    let bench = Bench::builtin();
    let ctx = Context {
        defaults: &bench.defaults,
        catalog: &bench.catalog,
        scenario: scenario.map(|s| ScenarioText::new("s.sh", s)),
    };
    check::check("e.yaml", text, &ctx)
}

// ---------------------------------------------------------------------------------------
// The corpus experiments

const NO_SCENARIO: &str = "note: no --scenario: the scenario rules were skipped (one `VAR=` line per setup factor, vLLM commands, the guide's values)";
const ANY_PROFILE: &str = "note: no --scenario: run factors are checked against every workload profile of the built-in catalog of llm-d-benchmark as of 2026-02-05";

#[test]
fn corpus_experiments_findings_without_a_scenario() {
    let want: &[(&str, &[&str], &str)] = &[
        (
            "inference-scheduling",
            &[],
            "0 errors, 0 warnings, 2 notes; 4 setup x 9 run treatments (36 runs)",
        ),
        (
            "pd-disaggregation",
            &[
                "3: error: factor LLMDBENCH_DEPLOY_METHODS has no levels (its treatments use modelservice, standalone): add `LLMDBENCH_DEPLOY_METHODS: \"...\"` under levels",
                "11: note: levels 2,4 of LLMDBENCH_VLLM_COMMON_REPLICAS are used by no treatment",
                "14: note: level 1 of LLMDBENCH_VLLM_MODELSERVICE_PREFILL_TENSOR_PARALLELISM is the llm-d-benchmark default",
                "15: note: level 4 of LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS is used by no treatment",
                "15: note: level 1 of LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS is the llm-d-benchmark default",
                "16: note: level 2 of LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM is used by no treatment",
                "20: error: value 4 of LLMDBENCH_VLLM_MODELSERVICE_PREFILL_TENSOR_PARALLELISM is not among its levels 1,2",
                "23: error: value 3 of LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS is not among its levels 1,2,4",
                "24: error: value 1 of LLMDBENCH_VLLM_COMMON_REPLICAS is not among its levels 2,4",
                "24: error: value 2 of LLMDBENCH_VLLM_COMMON_TENSOR_PARALLELISM is not among its levels 8",
                "25: error: value 1 of LLMDBENCH_VLLM_COMMON_REPLICAS is not among its levels 2,4",
                "25: error: value 4 of LLMDBENCH_VLLM_COMMON_TENSOR_PARALLELISM is not among its levels 8",
                "26: error: value 1 of LLMDBENCH_VLLM_COMMON_REPLICAS is not among its levels 2,4",
            ],
            "8 errors, 0 warnings, 7 notes; 9 setup x 6 run treatments (54 runs)",
        ),
        (
            "precise-prefix-cache-aware",
            &[
                "4: note: constant LLMDBENCH_VLLM_COMMON_BLOCK_SIZE = 64 is already the llm-d-benchmark default: it changes nothing",
                "22: note: level 80000 of system_prompt_len is used by no treatment",
                "24: error: treatment long: value 8000 of system_prompt_len is not among its levels 80000,5000,1000; did you mean 80000?",
            ],
            "1 error, 0 warnings, 4 notes; 3 setup x 3 run treatments (9 runs)",
        ),
        (
            "tiered-prefix-cache",
            &[
                "4: note: constant LLMDBENCH_VLLM_COMMON_BLOCK_SIZE = 64 is already the llm-d-benchmark default: it changes nothing",
                "8: note: level 5000 of LLMDBENCH_VLLM_COMMON_NUM_CPU_BLOCKS is the llm-d-benchmark default",
                "23: note: level 80000 of system_prompt_len is used by no treatment",
                "25: error: treatment long: value 8000 of system_prompt_len is not among its levels 80000,5000,1000; did you mean 80000?",
            ],
            "1 error, 0 warnings, 5 notes; 4 setup x 3 run treatments (12 runs)",
        ),
    ];
    for (name, findings, summary) in want {
        let report = check_text(&corpus_experiment(name), None);
        let got: Vec<String> = shown(&report)
            .into_iter()
            .filter(|f| !f.ends_with(NO_SCENARIO) && !f.ends_with(ANY_PROFILE))
            .collect();
        assert_eq!(got, *findings, "{name}");
        assert_eq!(report.summary(), format!("e.yaml: {summary}"), "{name}");
        // The two notes that say what was not checked, on the section lines.
        let all = shown(&report);
        assert_eq!(all.iter().filter(|f| f.ends_with(NO_SCENARIO)).count(), 1);
        assert_eq!(all.iter().filter(|f| f.ends_with(ANY_PROFILE)).count(), 1);
    }
}

/// Each corpus experiment with the scenario convert-guide writes for the guide of the same
/// name (tiered-prefix-cache is a kustomize guide: no scenario).
#[test]
fn corpus_experiments_findings_with_the_converted_scenario() {
    for (guide, harness, profile) in [
        (
            "inference-scheduling",
            "inference-perf",
            "shared_prefix_synthetic",
        ),
        ("pd-disaggregation", "vllm-benchmark", "random_concurrent"),
        (
            "precise-prefix-cache-aware",
            "inference-perf",
            "shared_prefix_synthetic",
        ),
    ] {
        let cwd = tempfile::tempdir().expect("temp dir");
        let conv = convert::convert(&Request {
            input: common::corpus_guides().join(guide),
            cwd: cwd.path().to_path_buf(),
            harness: Some(harness.into()),
            profile: Some(profile.into()),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{guide}: {e}"));
        let bench = Bench::builtin();
        let scenario_name = format!("scenarios/guides/{guide}.sh");
        let ctx = Context {
            defaults: &bench.defaults,
            catalog: &bench.catalog,
            scenario: Some(ScenarioText::new(&scenario_name, &conv.scenario_text)),
        };
        let report = check::check(
            &format!("experiments/{guide}.yaml"),
            &corpus_experiment(guide),
            &ctx,
        );
        let mut text: Vec<String> = report.findings.iter().map(Finding::to_string).collect();
        text.push(report.summary());
        insta::assert_snapshot!(
            format!("corpus_experiment_with_scenario__{guide}"),
            text.join("\n")
        );
    }
}

#[test]
fn corpus_experiments_read_and_write_back_unchanged() {
    for name in [
        "inference-scheduling",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "tiered-prefix-cache",
    ] {
        let text = corpus_experiment(name);
        let (exp, findings) = ExperimentFile::read(name, &text);
        assert!(findings.is_empty(), "{name}: {findings:?}");
        let exp = exp.expect("an experiment");
        assert_eq!(exp.render().trim_end(), text.trim_end(), "{name}");
    }
    // The shapes the corpus uses, as read.
    let (exp, _) = ExperimentFile::read("p", &corpus_experiment("precise-prefix-cache-aware"));
    let exp = exp.expect("an experiment");
    let setup = exp.block(Section::Setup).expect("setup");
    assert_eq!(setup.constants.len(), 2);
    assert_eq!(setup.constants[0].value, "12000");
    assert!(setup.treatments.iter().all(|t| t.name.is_some()));
    let (exp, _) = ExperimentFile::read("i", &corpus_experiment("inference-scheduling"));
    let levels = exp.expect("an experiment").blocks[0].levels[0].values();
    assert_eq!(
        levels,
        [
            "inf-sche-none.yaml",
            "inf-sche-prefix.yaml",
            "inf-sche-kv.yaml",
            "inf-sche-queue.yaml"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Broken files: one per rule

const GOOD_SCENARIO: &str = "\
export LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS=2
export LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN=8192
export LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS=$(mktemp)
cat << EOF > \"$LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS\"
vllm serve /model-cache/models/REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL \\
--max-model-len REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN
EOF
export LLMDBENCH_HARNESS_NAME=inference-perf
export LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=shared_prefix_synthetic.yaml
";

/// A scenario's text plus the harness and profile exports the run factors are checked with.
fn sc(text: &str) -> String {
    format!(
        "{text}export LLMDBENCH_HARNESS_NAME=inference-perf\nexport LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=shared_prefix_synthetic.yaml\n"
    )
}

/// An experiment of one setup factor and one run factor.
fn setup_run(var: &str, levels: &str, treatments: &[&str]) -> String {
    let mut s = format!(
        "setup:\n  factors:\n    - {var}\n  levels:\n    {var}: \"{levels}\"\n  treatments:\n"
    );
    for t in treatments {
        s.push_str(&format!("    - \"{t}\"\n"));
    }
    s.push_str("run:\n  factors:\n    - question_len\n  levels:\n    question_len: \"100,300\"\n  treatments:\n    - \"100\"\n    - \"300\"\n");
    s
}

/// The report has a finding `line: severity: ...message...`.
#[track_caller]
fn has(report: &Report, line: usize, severity: Severity, part: &str) {
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.line == line && f.severity == severity && f.message.contains(part)),
        "want {line}: {severity}: ...{part}...; got:\n{}",
        shown(report).join("\n")
    );
}

#[track_caller]
fn clean(report: &Report) {
    let bad: Vec<String> = shown(report)
        .into_iter()
        .filter(|f| !f.contains(": note: "))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

const REPLICAS: &str = "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS";
const MAX_LEN: &str = "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN";

#[test]
fn a_good_experiment_is_clean() {
    let r = check_text(
        &setup_run(REPLICAS, "1,2,4", &["1", "2", "4"]),
        Some(GOOD_SCENARIO),
    );
    clean(&r);
    assert!(r.is_ok());
    has(
        &r,
        5,
        Severity::Note,
        &format!("level 2 of {REPLICAS} is the scenario's value (s.sh:1)"),
    );
    has(
        &r,
        10,
        Severity::Note,
        "run factors are checked against the workload profile inference-perf/shared_prefix_synthetic.yaml (harness from s.sh:8, profile from s.sh:9)",
    );
    assert_eq!(
        r.summary(),
        "e.yaml: 0 errors, 0 warnings, 2 notes; 3 setup x 2 run treatments (6 runs)"
    );
}

#[test]
fn rule_yaml_and_shape() {
    let r = check_text("setup:\n  factors: [A\n", None);
    has(&r, 3, Severity::Error, "not valid YAML");
    assert_eq!(r.findings.len(), 1);
    let r = check_text("setup:\n  factors: LLMDBENCH_A\n", None);
    has(
        &r,
        2,
        Severity::Error,
        "`setup.factors` must be a list of names",
    );
    let r = check_text("stup:\n  factors: []\n", None);
    has(&r, 1, Severity::Warning, "unknown section `stup`");
    has(&r, 1, Severity::Error, "no `setup:` or `run:` section");
}

#[test]
fn rule_one_value_per_factor() {
    let r = check_text(&setup_run(REPLICAS, "1,2", &["1", "1,2"]), None);
    has(
        &r,
        8,
        Severity::Error,
        &format!("treatment \"1,2\" has 2 values for 1 factor ({REPLICAS})"),
    );
}

#[test]
fn rule_values_among_levels_na_allowed() {
    let r = check_text(&setup_run(REPLICAS, "1,2", &["1", "NA", "3"]), None);
    has(
        &r,
        9,
        Severity::Error,
        &format!("value 3 of {REPLICAS} is not among its levels 1,2"),
    );
    assert_eq!(
        r.count(Severity::Error),
        1,
        "NA is allowed: {:#?}",
        shown(&r)
    );
}

#[test]
fn rule_every_factor_has_levels() {
    let text = format!("setup:\n  factors:\n    - {REPLICAS}\n  treatments:\n    - \"1\"\n");
    let r = check_text(&text, None);
    has(
        &r,
        3,
        Severity::Error,
        &format!("factor {REPLICAS} has no levels (its treatments use 1)"),
    );
    let text = format!(
        "setup:\n  factors:\n    - {REPLICAS}\n  levels:\n    {REPLICAS}: \"1\"\n    LLMDBENCH_X: \"2\"\n  treatments:\n    - \"1\"\n"
    );
    has(
        &check_text(&text, None),
        6,
        Severity::Warning,
        "levels are given for LLMDBENCH_X, which is not among the factors",
    );
}

#[test]
fn rule_treatments_exist_and_do_not_repeat() {
    let text = format!("setup:\n  factors:\n    - {REPLICAS}\n  levels:\n    {REPLICAS}: \"1\"\n");
    has(
        &check_text(&text, None),
        1,
        Severity::Error,
        "`setup` has factors but no treatments",
    );
    let r = check_text(&setup_run(REPLICAS, "1,2", &["1", "2", "1"]), None);
    has(
        &r,
        9,
        Severity::Warning,
        "treatment \"1\" repeats the one at line 7: it would run twice",
    );
}

#[test]
fn rule_setup_values_survive_export() {
    let r = check_text(&setup_run(REPLICAS, "1,2", &["1", " 2"]), None);
    has(
        &r,
        8,
        Severity::Error,
        "value \" 2\" of LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS has blanks around it",
    );
    let r = check_text(&setup_run(MAX_LEN, "1,$(reboot)", &["$(reboot)"]), None);
    has(
        &r,
        7,
        Severity::Error,
        "value \"$(reboot)\" of LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN contains '$'",
    );
}

#[test]
fn rule_setup_factors_are_env_sh_variables() {
    let r = check_text(
        &setup_run("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICA", "1", &["1"]),
        None,
    );
    has(
        &r,
        3,
        Severity::Error,
        "setup factor LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICA is not a variable of setup/env.sh",
    );
    has(
        &r,
        3,
        Severity::Error,
        "did you mean LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS?",
    );
    let r = check_text(&setup_run("question_len", "1", &["1"]), None);
    has(&r, 3, Severity::Error, "is not an LLMDBENCH_* variable");
    has(
        &r,
        3,
        Severity::Error,
        "it is a workload key: move it to `run`",
    );
    let text = "setup:\n  constants:\n    - LLMDBENCH_MADE_UP: 1\n    - LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN: 4096\n  factors:\n    - LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN\n  levels:\n    LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN: \"1\"\n  treatments:\n    - \"1\"\n";
    let r = check_text(text, None);
    has(
        &r,
        3,
        Severity::Error,
        "setup constant LLMDBENCH_MADE_UP is not a variable of setup/env.sh",
    );
    has(
        &r,
        4,
        Severity::Error,
        "is both a constant and a factor (line 6)",
    );
}

#[test]
fn rule_run_factors_are_keys_of_the_profile() {
    // Against the scenario's profile (inference-perf shared_prefix_synthetic).
    let text = "run:\n  factors:\n    - max-concurrency\n  levels:\n    max-concurrency: \"1\"\n  treatments:\n    - \"1\"\n";
    let r = check_text(text, Some(GOOD_SCENARIO));
    has(
        &r,
        3,
        Severity::Error,
        "run factor max-concurrency is not a key of the workload profile inference-perf/shared_prefix_synthetic.yaml",
    );
    // Without a scenario, any profile's key is accepted, and a made-up one is not.
    clean(&check_text(text, None));
    let r = check_text(&text.replace("max-concurrency", "question_lenn"), None);
    has(
        &r,
        3,
        Severity::Error,
        "run factor question_lenn is not a key of any workload profile: e2e.sh would replace nothing; did you mean question_len?",
    );
    // A scenario naming a profile the catalog lacks.
    let r = check_text(text, Some("export LLMDBENCH_HARNESS_NAME=nope\n"));
    has(
        &r,
        1,
        Severity::Error,
        "the scenario's workload profile cannot be checked: unknown harness \"nope\"",
    );
}

#[test]
fn rule_scenario_has_one_line_per_setup_factor() {
    let exp = setup_run(REPLICAS, "1,2", &["1", "2"]);
    // No line: e2e.sh appends, which works (a warning) ...
    let r = check_text(&exp, Some("export LLMDBENCH_HARNESS_NAME=inference-perf\n"));
    has(
        &r,
        3,
        Severity::Warning,
        &format!("setup factor {REPLICAS} is not set by the scenario: e2e.sh appends"),
    );
    // ... unless the scenario uses the value before the end.
    let r = check_text(
        &exp,
        Some(&format!("export LLMDBENCH_X=\"${{{REPLICAS}}}\"\n")),
    );
    has(
        &r,
        3,
        Severity::Error,
        "is used by the scenario (s.sh:1) but not set by it",
    );
    // Two lines: both would be rewritten.
    let two = format!("export {REPLICAS}=1\n# old: {REPLICAS}=3\n");
    let r = check_text(&exp, Some(&two));
    has(
        &r,
        3,
        Severity::Error,
        &format!("2 lines of the scenario contain `{REPLICAS}=` (s.sh:1, s.sh:2)"),
    );
    // One line, inside a file the scenario writes.
    let heredoc = format!(
        "export LLMDBENCH_F=$(mktemp)\ncat << 'EOF' > \"$LLMDBENCH_F\"\n{REPLICAS}=3\nEOF\n"
    );
    let r = check_text(&exp, Some(&heredoc));
    has(
        &r,
        3,
        Severity::Error,
        "(s.sh:3) is inside the file the scenario writes for LLMDBENCH_F (from s.sh:2)",
    );
    // One line that is not an assignment.
    let r = check_text(&exp, Some(&format!("echo {REPLICAS}=2\n")));
    has(
        &r,
        3,
        Severity::Error,
        "(s.sh:1) does not assign it: e2e.sh would replace that whole line",
    );
}

#[test]
fn rule_commands_carry_the_swept_token() {
    let exp = setup_run(MAX_LEN, "4096,8192", &["4096", "8192"]);
    clean(&check_text(&exp, Some(GOOD_SCENARIO)));
    let literal = GOOD_SCENARIO.replace(
        "--max-model-len REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
        "--max-model-len=8192",
    );
    has(
        &check_text(&exp, Some(&literal)),
        3,
        Severity::Error,
        "the decode vLLM command the scenario writes (s.sh:4) passes --max-model-len 8192 literally",
    );
    let missing = GOOD_SCENARIO.replace(
        " \\\n--max-model-len REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
        "",
    );
    has(
        &check_text(&exp, Some(&missing)),
        3,
        Severity::Error,
        "(s.sh:4) has no --max-model-len: the sweep of LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN does not reach vLLM there",
    );
    let other = GOOD_SCENARIO.replace(
        "REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
        "REPLACE_ENV_LLMDBENCH_OTHER",
    );
    has(
        &check_text(&exp, Some(&other)),
        3,
        Severity::Error,
        "passes --max-model-len REPLACE_ENV_LLMDBENCH_OTHER, not LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
    );
}

#[test]
fn rule_files_carry_the_swept_token() {
    let var = "LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM";
    let exp = setup_run(var, "8Gi,16Gi", &["8Gi", "16Gi"]);
    let scenario = format!(
        "export {var}=8Gi\nexport LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES=$(mktemp)\ncat << 'EOF' > \"$LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES\"\n- name: shm\n  emptyDir:\n    medium: Memory\n    sizeLimit: 8Gi\nEOF\n"
    );
    let scenario = sc(&scenario);
    has(
        &check_text(&exp, Some(&scenario)),
        3,
        Severity::Error,
        "the file the scenario writes for LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES (s.sh:3) replaces llm-d-benchmark's own and has no REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM",
    );
    let fixed = scenario.replace("sizeLimit: 8Gi", &format!("sizeLimit: REPLACE_ENV_{var}"));
    clean(&check_text(&exp, Some(&fixed)));
}

#[test]
fn rule_derived_variables_do_not_follow() {
    let var = "LLMDBENCH_VLLM_COMMON_REPLICAS";
    let exp = setup_run(var, "1,2", &["1", "2"]);
    let scenario = sc(&format!("export {var}=1\n"));
    has(
        &check_text(&exp, Some(&scenario)),
        3,
        Severity::Error,
        "the sweep of LLMDBENCH_VLLM_COMMON_REPLICAS does not reach LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS and LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS",
    );
    // Standalone reads the common variable itself: only a warning.
    let standalone = format!("{scenario}export LLMDBENCH_DEPLOY_METHODS=standalone\n");
    has(
        &check_text(&exp, Some(&standalone)),
        3,
        Severity::Warning,
        "sweep LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS (decode_replicas) and/or LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS (prefill_replicas) instead",
    );
    // A scenario whose stage variables follow the common one is fine.
    let follows = format!("{scenario}export LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS=${var}\n");
    clean(&check_text(&exp, Some(&follows)));
}

#[test]
fn rule_fixed_accelerator_count_while_sweeping_parallelism() {
    let var = "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM";
    let exp = setup_run(var, "1,2", &["1", "2"]);
    let scenario =
        format!("export {var}=1\nexport LLMDBENCH_VLLM_MODELSERVICE_DECODE_ACCELERATOR_NR=8\n");
    has(
        &check_text(&exp, Some(&scenario)),
        3,
        Severity::Warning,
        "the scenario fixes LLMDBENCH_VLLM_MODELSERVICE_DECODE_ACCELERATOR_NR at 8 (s.sh:2)",
    );
}

#[test]
fn rule_marks_levels_equal_to_the_guide_value() {
    let r = check_text(
        &setup_run(REPLICAS, "1,4", &["1", "4"]),
        Some(GOOD_SCENARIO),
    );
    has(
        &r,
        5,
        Severity::Note,
        &format!("the scenario's value (s.sh:1) of {REPLICAS} is 2, which is not among its levels"),
    );
    let r = check_text(&setup_run(MAX_LEN, "8192,16384", &["8192", "16384"]), None);
    has(
        &r,
        5,
        Severity::Note,
        "level 16384 of LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN is the llm-d-benchmark default",
    );
    // Run factors: the profile's value, known from a checkout (its own env.sh and profiles).
    let bench = Bench::locate(
        Some(
            &common::crate_root()
                .join(BENCH_CORPUS)
                .canonicalize()
                .expect("corpus"),
        ),
        Path::new("."),
    )
    .expect("the corpus checkout has setup/env.sh and workload/profiles");
    let text = "run:\n  factors:\n    - question_len\n  levels:\n    question_len: \"100,256\"\n  treatments:\n    - \"100\"\n    - \"256\"\n";
    let ctx = Context {
        defaults: &bench.defaults,
        catalog: &bench.catalog,
        scenario: Some(ScenarioText::new("s.sh", GOOD_SCENARIO)),
    };
    let r = check::check("e.yaml", text, &ctx);
    has(
        &r,
        5,
        Severity::Note,
        "level 256 of question_len is the value in inference-perf/shared_prefix_synthetic.yaml",
    );
}

// ---------------------------------------------------------------------------------------
// Generated experiments

fn convert_with(
    guide: &Path,
    bench_dir: Option<PathBuf>,
    profile: Option<&str>,
    variations: &[&str],
    design: Design,
) -> convert_guide::Result<Conversion> {
    let cwd = tempfile::tempdir().expect("temp dir");
    convert::convert(&Request {
        input: guide.to_path_buf(),
        cwd: cwd.path().to_path_buf(),
        bench_dir,
        profile: profile.map(str::to_string),
        variations: variations
            .iter()
            .map(|v| Variation::parse_flag(v).expect("variation"))
            .collect(),
        design,
        ..Default::default()
    })
}

/// The fixture checkout plus the variables of the real setup/env.sh that a converted
/// scenario's vLLM command and volumes need (the fixture leaves them out on purpose).
fn rich_bench() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create folder");
        for e in std::fs::read_dir(from).expect("read folder").flatten() {
            let target = to.join(e.file_name());
            if e.path().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), &target).expect("copy file");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    copy(&common::fixture_bench(), dir.path());
    let env_sh = dir.path().join("setup/env.sh");
    let mut text = std::fs::read_to_string(&env_sh).expect("env.sh");
    for (var, value) in [
        ("LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQ", "1024"),
        ("LLMDBENCH_VLLM_COMMON_METRICS_PORT", "8200"),
        (
            "LLMDBENCH_VLLM_MODELSERVICE_DECODE_MODEL_COMMAND",
            "vllmServe",
        ),
        ("LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES", "'[]'"),
        (
            "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUME_MOUNTS",
            "'[]'",
        ),
        (
            "LLMDBENCH_VLLM_MODELSERVICE_DECODE_ENVVARS_TO_YAML",
            "$LLMDBENCH_VLLM_COMMON_ENVVARS_TO_YAML",
        ),
    ] {
        text.push_str(&format!("export {var}=${{{var}:-{value}}}\n"));
    }
    std::fs::write(&env_sh, text).expect("write env.sh");
    dir
}

fn example() -> PathBuf {
    common::crate_root().join("examples/guides/small-scheduling")
}

/// Check a conversion's experiment against its scenario, as `check-experiment` would.
fn recheck(conv: &Conversion, bench: &Bench) -> Report {
    let text = conv.experiment_text.as_deref().expect("an experiment");
    let ctx = Context {
        defaults: &bench.defaults,
        catalog: &bench.catalog,
        scenario: Some(ScenarioText::new("scenario.sh", &conv.scenario_text)),
    };
    check::check("experiment.yaml", text, &ctx)
}

#[test]
fn generated_experiments_always_pass_the_validator() {
    let sweeps: &[&[&str]] = &[
        &["decode_replicas=1..4"],
        &["max_model_len=4096,8192,16384", "question_len=100,300"],
        &[
            "gpu_memory_utilization=0.80..0.95/0.05",
            "decode_tensor_parallelism=1..8/doubling",
        ],
        &[
            "max_num_seqs=16..256/doubling",
            "block_size=16,32",
            "num_groups=8,16",
        ],
        &[
            "gaie_plugins=inf-sche-none.yaml,inf-sche-kv.yaml",
            "max_num_batched_tokens=2048,4096",
        ],
        &[
            "decode_cpu_nr=8,16",
            "decode_cpu_mem=64Gi,128Gi",
            "model=a/b,c/d",
        ],
        &["LLMDBENCH_VLLM_COMMON_VLLM_LOGGING_LEVEL=INFO,DEBUG"],
    ];
    let bench = Bench::builtin();
    let mut guides: Vec<PathBuf> = common::HELM_GUIDES
        .iter()
        .map(|g| common::corpus_guides().join(g))
        .collect();
    guides.push(example());
    let mut generated = 0;
    for guide in &guides {
        for sweep in sweeps {
            for design in [Design::Full, Design::Ofat] {
                let conv = match convert_with(
                    guide,
                    None,
                    Some("shared_prefix_synthetic"),
                    sweep,
                    design.clone(),
                ) {
                    Ok(c) => c,
                    // A refusal must say why, and never be about the experiment's own shape.
                    Err(e) => {
                        let msg = e.to_string();
                        assert!(
                            msg.contains("does not reach"),
                            "{} {sweep:?}: {msg}",
                            guide.display()
                        );
                        continue;
                    }
                };
                let report = recheck(&conv, &bench);
                assert!(
                    report.is_ok(),
                    "{} {sweep:?} {design:?}:\n{}",
                    guide.display(),
                    shown(&report).join("\n")
                );
                // Everything a sweep changes is exported exactly once.
                for f in &conv.experiment.setup {
                    let n = conv
                        .scenario_text
                        .lines()
                        .filter(|l| l.contains(&format!("{}=", f.name)))
                        .count();
                    assert_eq!(n, 1, "{} {}", guide.display(), f.name);
                }
                generated += 1;
            }
        }
    }
    assert!(generated >= 70, "{generated}");
}

#[test]
fn unreachable_sweeps_are_refused_with_the_reason() {
    for (sweep, want) in [
        (
            "replicas=1,2",
            "sweep LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS (decode_replicas) and/or LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS (prefill_replicas) instead",
        ),
        (
            "tensor_parallelism=1,2",
            "the sweep of LLMDBENCH_VLLM_COMMON_TENSOR_PARALLELISM does not reach LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM",
        ),
    ] {
        let err = convert_with(&example(), None, None, &[sweep], Design::Full)
            .expect_err("refused")
            .to_string();
        assert!(err.starts_with("the experiment cannot run as asked; nothing written:\n  experiments/small-scheduling.yaml:3: error: "), "{err}");
        assert!(err.contains(want), "{err}");
    }
    // A guide whose volumes have no /dev/shm: its size cannot be swept.
    let err = convert_with(
        &common::corpus_guides().join("simulated-accelerators"),
        None,
        None,
        &["decode_shm_mem=8Gi,16Gi"],
        Design::Full,
    )
    .expect_err("refused")
    .to_string();
    assert!(err.contains("has no REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM: the sweep of LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM does not reach the pod"), "{err}");
}

#[test]
fn a_guide_command_with_a_literal_flag_cannot_be_swept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let values = dir.path().join("my-guide.yaml");
    std::fs::write(
        &values,
        "decode:\n  replicas: 1\n  containers:\n    - name: vllm\n      modelCommand: custom\n      command: [\"sh\", \"-c\"]\n      args:\n        - \"exec vllm serve m --max-model-len 4096 --block-size 16\"\n",
    )
    .expect("write guide");
    let err = convert_with(
        &values,
        None,
        None,
        &["max_model_len=4096,8192"],
        Design::Full,
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("passes --max-model-len 4096 literally: the sweep of LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN does not reach vLLM there"),
        "{err}"
    );
    let err = convert_with(&values, None, None, &["max_num_seqs=64,128"], Design::Full)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("has no --max-num-seqs"), "{err}");
    // The guide's other values still convert, without a sweep.
    assert!(convert_with(&values, None, None, &[], Design::Full).is_ok());
}

#[test]
fn snapshot_full_factorial_with_doubling_and_run_factors() {
    let bench = rich_bench();
    let conv = convert_with(
        &example(),
        Some(bench.path().to_path_buf()),
        Some("shared_prefix_synthetic"),
        &[
            "decode_replicas=1..2",
            "max_num_seqs=64..256/doubling",
            "question_len=128,256",
        ],
        Design::Full,
    )
    .expect("converts");
    assert_eq!(conv.experiment.treatment_count(), 12);
    insta::assert_snapshot!(
        "generated__full_factorial",
        conv.experiment_text.expect("experiment")
    );
}

#[test]
fn snapshot_one_factor_at_a_time_around_the_guide() {
    let bench = rich_bench();
    let conv = convert_with(
        &example(),
        Some(bench.path().to_path_buf()),
        Some("shared_prefix_synthetic"),
        &[
            "decode_replicas=1,4",
            "gpu_memory_utilization=0.80..0.95/0.05",
            "max_model_len=4096,16384",
            "question_len=128,512",
        ],
        Design::Ofat,
    )
    .expect("converts");
    // The guide: 2 replicas (not a level: added), 0.90, 8192 (added); the profile: 256 (added).
    // 1 center + 2 + 3 + 2 stand-ups; 1 center + 2 runs.
    assert_eq!(
        conv.experiment.describe_count(),
        "24 treatments (8 setup x 3 run), one factor at a time"
    );
    let warnings = conv.warning_texts().join("\n");
    assert!(warnings.contains("the guide's value 2 of decode_replicas is not among the levels given; added as the center"), "{warnings}");
    assert!(
        warnings.contains("the profile's value 256 of question_len"),
        "{warnings}"
    );
    insta::assert_snapshot!(
        "generated__one_factor_at_a_time",
        conv.experiment_text.expect("experiment")
    );
}

#[test]
fn snapshot_treatment_list_with_names_and_na() {
    let bench = rich_bench();
    let list = TreatmentList::parse(
        "mine.txt",
        "# the three configurations we care about\nsmall: 1,4096\nlong: 1,16384\nwide: 4,NA\n",
    )
    .expect("parses");
    let conv = convert_with(
        &example(),
        Some(bench.path().to_path_buf()),
        None,
        &["decode_replicas=1,2,4", "max_model_len=4096,8192,16384"],
        Design::List(list),
    )
    .expect("converts");
    assert_eq!(conv.experiment.treatment_count(), 3);
    insta::assert_snapshot!(
        "generated__treatment_list",
        conv.experiment_text.expect("experiment")
    );
}

// ---------------------------------------------------------------------------------------
// e2e.sh's per-setup-treatment rewrite, then bash

fn have_bash() -> bool {
    crate::common::require_tool("bash", "e2e.sh's rewrite of the scenarios cannot be run")
}

/// What e2e.sh does per setup treatment: per factor, if some line contains `VAR=`, replace
/// every such whole line with `export VAR=value`, else append it; NA leaves the scenario.
fn e2e_rewrite(scenario: &str, factors: &[String], values: &[String]) -> String {
    let mut text = scenario.to_string();
    for (var, value) in factors.iter().zip(values) {
        if value == "NA" {
            continue;
        }
        let needle = format!("{var}=");
        let line = format!("export {var}={value}");
        if text.lines().any(|l| l.contains(&needle)) {
            text = text
                .lines()
                .map(|l| {
                    if l.contains(&needle) {
                        line.as_str()
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            text.push('\n');
        } else {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

/// Source the fixture env.sh, then the scenario; the environment bash ends with.
fn source(bench: &Path, dir: &Path, scenario: &str) -> HashMap<String, String> {
    let path = dir.join("scenario.sh");
    std::fs::write(&path, scenario).expect("write scenario");
    let (home, tmp) = (dir.join("home"), dir.join("tmp"));
    for d in [&home, &tmp] {
        std::fs::create_dir_all(d).expect("folders");
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"set -euo pipefail; source "$1"; source "$2"; env -0"#)
        .arg("bash")
        .arg(bench.join("setup/env.sh"))
        .arg(&path)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TMPDIR", &tmp)
        .env("SHELL", "/bin/bash")
        .env("LLMDBENCH_MAIN_DIR", bench)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "sourcing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 env")
        .split('\0')
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// llm-d-benchmark's stand-up substitution: every `REPLACE_ENV_X` becomes `$X`'s value.
fn substitute(content: &str, env: &HashMap<String, String>) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut tokens = Vec::new();
    let mut rest = content;
    while let Some(i) = rest.find("REPLACE_ENV_") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "REPLACE_ENV_".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let var = &after[..end];
        tokens.push(var.to_string());
        out.push_str(env.get(var).map(String::as_str).unwrap_or("<unset>"));
        rest = &after[end..];
    }
    out.push_str(rest);
    (out, tokens)
}

fn e2e_simulation(bench: &Path, conv: &Conversion) -> usize {
    let factors: Vec<String> = conv
        .experiment
        .setup
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let guide_env = {
        let dir = tempfile::tempdir().expect("temp dir");
        source(bench, dir.path(), &conv.scenario_text)
    };
    let mut runs = 0;
    for values in conv.experiment.treatments(Section::Setup) {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = e2e_rewrite(&conv.scenario_text, &factors, &values);
        let env = source(bench, dir.path(), &text);
        let label = values.join(",");
        for (var, value) in factors.iter().zip(&values) {
            let want = if value == "NA" {
                &guide_env[var]
            } else {
                value
            };
            assert_eq!(env.get(var), Some(want), "treatment {label}: {var}");
        }
        // The vLLM command, as llm-d-benchmark renders it at stand-up.
        let args = &env["LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS"];
        let (command, tokens) =
            substitute(&std::fs::read_to_string(args).expect("args file"), &env);
        let words: Vec<&str> = command.split_whitespace().collect();
        for (var, value) in factors.iter().zip(&values) {
            for (stage, flag) in check::flags_of(var) {
                if stage != "decode" {
                    continue;
                }
                assert!(
                    tokens.contains(var),
                    "treatment {label}: the command has no REPLACE_ENV_{var}"
                );
                let want = if value == "NA" {
                    &guide_env[var]
                } else {
                    value
                };
                let at = words
                    .iter()
                    .position(|w| *w == flag)
                    .unwrap_or_else(|| panic!("{label}: no {flag} in {command}"));
                assert_eq!(
                    words.get(at + 1),
                    Some(&want.as_str()),
                    "treatment {label}: {flag} in {command}"
                );
            }
        }
        // The /dev/shm size, through the volumes file's token.
        if let Some(i) = factors
            .iter()
            .position(|f| f == "LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM")
        {
            let volumes = &env["LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES"];
            let (text, _) = substitute(&std::fs::read_to_string(volumes).expect("volumes"), &env);
            assert!(
                text.contains(&format!("sizeLimit: {}", values[i])),
                "treatment {label}: {text}"
            );
        }
        runs += 1;
    }
    runs
}

#[test]
fn e2e_rewrite_of_a_generated_scenario_sets_exactly_each_treatment() {
    if !have_bash() {
        return;
    }
    let bench = rich_bench();
    let conv = convert_with(
        &example(),
        Some(bench.path().to_path_buf()),
        None,
        &[
            "decode_replicas=1,3",
            "max_model_len=4096,8192",
            "gpu_memory_utilization=0.80,0.90",
            "decode_shm_mem=4Gi,16Gi",
        ],
        Design::Full,
    )
    .expect("converts");
    assert_eq!(e2e_simulation(bench.path(), &conv), 16);
}

#[test]
fn e2e_rewrite_with_na_keeps_the_guide_value() {
    if !have_bash() {
        return;
    }
    let bench = rich_bench();
    let list = TreatmentList::parse("t", "1,NA\nNA,4096\n").expect("parses");
    let conv = convert_with(
        &example(),
        Some(bench.path().to_path_buf()),
        None,
        &["decode_replicas=1,3", "max_model_len=4096,8192"],
        Design::List(list),
    )
    .expect("converts");
    assert_eq!(e2e_simulation(bench.path(), &conv), 2);
}

#[test]
fn e2e_rewrite_of_a_factor_the_guide_leaves_at_default() {
    if !have_bash() {
        return;
    }
    let bench = rich_bench();
    // block_size: not in the guide, so exported at the default and added to the command.
    let conv = convert_with(
        &example(),
        Some(bench.path().to_path_buf()),
        None,
        &["block_size=16,32"],
        Design::Ofat,
    )
    .expect("converts");
    assert_eq!(e2e_simulation(bench.path(), &conv), 3);
}

// ---------------------------------------------------------------------------------------
// The command line

fn cg(cwd: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("convert-guide").expect("binary built");
    cmd.current_dir(cwd);
    cmd
}

fn out(o: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn cli_check_experiment_prints_findings_and_exits_8_on_errors() {
    let t = tempfile::tempdir().expect("temp dir");
    let file = common::crate_root()
        .join(BENCH_CORPUS)
        .join("experiments/precise-prefix-cache-aware.yaml");
    let o = cg(t.path())
        .arg("check-experiment")
        .arg(&file)
        .output()
        .expect("runs");
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(8), "{stdout}{stderr}");
    let f = file.display();
    assert!(stdout.contains(&format!("{f}:24: error: treatment long: value 8000 of system_prompt_len is not among its levels 80000,5000,1000; did you mean 80000?\n")), "{stdout}");
    assert!(
        stdout.ends_with(&format!(
            "{f}: 1 error, 0 warnings, 4 notes; 3 setup x 3 run treatments (9 runs)\n"
        )),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        format!("error: {f}: 1 error: e2e.sh would not run this experiment as designed\n")
    );
    // Every finding line has the documented shape.
    for line in stdout.lines().filter(|l| !l.contains(": 1 error, ")) {
        let rest = line.strip_prefix(&format!("{f}:")).expect("file:");
        let (n, rest) = rest.split_once(": ").expect("line: ");
        assert!(n.parse::<usize>().is_ok(), "{line}");
        assert!(
            ["error: ", "warning: ", "note: "]
                .iter()
                .any(|s| rest.starts_with(s)),
            "{line}"
        );
    }
}

#[test]
fn cli_check_experiment_with_scenario_and_checkout() {
    let t = tempfile::tempdir().expect("temp dir");
    let exp = t.path().join("e.yaml");
    std::fs::write(&exp, setup_run(REPLICAS, "1,2,4", &["1", "2", "4"])).expect("write");
    let scenario = t.path().join("s.sh");
    std::fs::write(&scenario, GOOD_SCENARIO).expect("write");
    let o = cg(t.path())
        .arg("check-experiment")
        .arg("e.yaml")
        .args(["--scenario", "s.sh", "--bench-dir"])
        .arg(common::fixture_bench())
        .output()
        .expect("runs");
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "e.yaml:5: note: level 2 of LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS is the scenario's value (s.sh:1)\n\
         e.yaml:10: note: run factors are checked against the workload profile inference-perf/shared_prefix_synthetic.yaml (harness from s.sh:8, profile from s.sh:9)\n\
         e.yaml: 0 errors, 0 warnings, 2 notes; 3 setup x 2 run treatments (6 runs)\n"
    );
    assert_eq!(stderr, "");
    // Missing files: exit 3; a folder that is no checkout (--bench-dir): exit 2.
    cg(t.path())
        .args(["check-experiment", "missing.yaml"])
        .assert()
        .code(3);
    cg(t.path())
        .args(["check-experiment", "e.yaml", "--scenario", "missing.sh"])
        .assert()
        .code(3);
    cg(t.path())
        .args(["check-experiment", "e.yaml", "--bench-dir", "."])
        .assert()
        .code(2);
}

#[test]
fn cli_designs_and_treatment_count() {
    let t = tempfile::tempdir().expect("temp dir");
    let ofat = cg(t.path())
        .arg(example())
        .args([
            "varying",
            "max_num_seqs",
            "from",
            "16",
            "to",
            "256",
            "doubling",
        ])
        .args([
            "varying",
            "decode_replicas",
            "over",
            "1,2,4",
            "--design",
            "ofat",
            "-n",
        ])
        .output()
        .expect("runs");
    let (stdout, stderr) = out(&ofat);
    assert_eq!(ofat.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("experiment: 8 treatments (8 setup x no run), one factor at a time\n"),
        "{stderr}"
    );
    assert!(stdout.contains("    - \"1024,2\"  # center\n"), "{stdout}");

    std::fs::write(t.path().join("mine.txt"), "1,16\n4,256\n").expect("write");
    let list = cg(t.path())
        .arg(example())
        .args([
            "--vary",
            "decode_replicas=1,2,4",
            "--vary",
            "max_num_seqs=16..256/doubling",
        ])
        .args(["--treatments", "mine.txt", "-n"])
        .output()
        .expect("runs");
    let (_, stderr) = out(&list);
    assert!(
        stderr.contains("experiment: 2 treatments (2 setup x no run), treatment list\n"),
        "{stderr}"
    );

    std::fs::write(t.path().join("bad.txt"), "1,17\n").expect("write");
    let bad = cg(t.path())
        .arg(example())
        .args([
            "--vary",
            "decode_replicas=1,2,4",
            "--vary",
            "max_num_seqs=16..256/doubling",
        ])
        .args(["--treatments", "bad.txt", "-n"])
        .output()
        .expect("runs");
    let (_, stderr) = out(&bad);
    assert_eq!(bad.status.code(), Some(4));
    assert!(
        stderr.contains(
            "error: bad.txt:1: value 17 of max_num_seqs is not among its levels 16,32,64,128,256"
        ),
        "{stderr}"
    );

    cg(t.path())
        .arg(example())
        .args(["--vary", "decode_replicas=1,2", "--design", "random", "-n"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown design \"random\""));
}

#[test]
fn cli_large_experiments_need_confirmation() {
    let t = tempfile::tempdir().expect("temp dir");
    // 8 x 8 = 64 treatments, above the default 50.
    let args = [
        "varying",
        "decode_replicas",
        "from",
        "1",
        "to",
        "8",
        "varying",
        "max_num_seqs",
        "over",
        "1,2,3,4,5,6,7,8",
    ];
    let dry = cg(t.path())
        .arg(example())
        .args(args)
        .arg("-n")
        .output()
        .expect("runs");
    let (_, stderr) = out(&dry);
    assert_eq!(dry.status.code(), Some(0));
    assert!(
        stderr.contains("experiment: 64 treatments (64 setup x no run), full factorial\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "experiment: 64 treatments is more than --max-treatments 50: writing would ask first\n"
        ),
        "{stderr}"
    );

    let out_dir = t.path().join("out");
    let yes = cg(t.path())
        .arg(example())
        .args(args)
        .arg("--yes")
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("runs");
    let (_, stderr) = out(&yes);
    assert_eq!(yes.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("error: the experiment has 64 treatments, more than --max-treatments 50: nothing written\n  hint: pass --max-treatments 64 (or 0 for no limit) to write it"), "{stderr}");
    assert!(!out_dir.exists());

    for limit in ["64", "0"] {
        let ok = cg(t.path())
            .arg(example())
            .args(args)
            .args(["--yes", "--max-treatments", limit, "-q", "--out"])
            .arg(&out_dir)
            .output()
            .expect("runs");
        assert_eq!(ok.status.code(), Some(0), "{}", out(&ok).1);
    }
    assert!(out_dir.join("experiments/small-scheduling.yaml").is_file());
}
