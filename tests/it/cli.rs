//! The binary, as users run it: flags, the seed's words after the source, what is shown,
//! what is written, and the documented exit codes.
//!
//! Every run has its current folder in a fresh temporary folder, so no llm-d-benchmark
//! checkout is found upward unless a test puts one there, and every run that may write has
//! `--out` (or a `--bench-dir` copy) inside a temporary folder.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

use crate::common::copy_dir;

const SUMMARY: &str = r"(?m)^small-scheduling: \d+ mapped, \d+ at default, \d+ handled by llm-d-benchmark, \d+ unmapped$";
const MAX_MODEL_LEN: &str = "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN";
const DECODE_REPLICAS: &str = "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The guide bundled with the crate.
fn example() -> PathBuf {
    crate_dir().join("examples/guides/small-scheduling")
}

/// A guide of the llm-d snapshot beside the crate.
fn corpus(guide: &str) -> PathBuf {
    crate_dir()
        .join("../shared/corpus/llm-d/2026-02-05/guides")
        .join(guide)
}

/// The fake llm-d-benchmark checkout (read only: tests copy it before writing into it).
fn bench_fixture() -> PathBuf {
    crate_dir().join("tests/fixtures/bench")
}

fn tmp() -> TempDir {
    tempfile::tempdir().expect("temporary folder")
}

/// The binary, run from `cwd`.
fn cg(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("convert-guide").expect("binary built");
    cmd.current_dir(cwd);
    cmd
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scenario_path(base: &Path, name: &str) -> PathBuf {
    base.join("scenarios/guides").join(format!("{name}.sh"))
}

fn experiment_path(base: &Path, name: &str) -> PathBuf {
    base.join("experiments").join(format!("{name}.yaml"))
}

/// Lines of `text` containing `VAR=`: e2e.sh rewrites each of them for a setup factor.
fn lines_setting<'a>(text: &'a str, var: &str) -> Vec<&'a str> {
    let needle = format!("{var}=");
    text.lines().filter(|l| l.contains(&needle)).collect()
}

/// The heredoc body of `export VAR=$(mktemp)`, up to its `EOF`.
fn heredoc<'a>(text: &'a str, var: &str) -> Option<&'a str> {
    let start = text.find(&format!("export {var}=$(mktemp)\n"))?;
    let rest = &text[start..];
    let body = rest.find('\n').map(|i| &rest[i + 1..])?;
    let end = body.find("\nEOF\n")?;
    Some(&body[..end])
}

/// Convert the example with `--yes` into `out`, from `cwd`, and return the process output.
fn write_example(cwd: &Path, guide: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    cg(cwd)
        .arg(guide)
        .args(extra)
        .arg("--yes")
        .arg("--out")
        .arg(out)
        .output()
        .expect("runs")
}

// ---------------------------------------------------------------------------------------------
// Success paths
// ---------------------------------------------------------------------------------------------

#[test]
fn dry_run_shows_the_scenario_and_writes_nothing() {
    let t = tmp();
    let out = t.path().join("out");
    let expected_file = format!(
        "File: {}\n",
        scenario_path(&out, "small-scheduling").display()
    );
    cg(t.path())
        .arg(example())
        .arg("--dry-run")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "=== Generated Scenario File ===\n",
        ))
        .stdout(predicate::str::contains(expected_file))
        .stdout(predicate::str::contains("# SMALL-SCHEDULING WELL LIT PATH"))
        .stdout(predicate::str::contains(
            "=== No Experiment File (no variations given) ===",
        ))
        .stderr(predicate::str::is_match(SUMMARY).expect("regex"))
        .stderr(predicate::str::contains(
            "no variations given: no experiment file",
        ))
        .stderr(predicate::str::contains("dry run: nothing written"));
    assert!(!out.exists(), "--dry-run created {}", out.display());
    assert_eq!(files_under(t.path()), Vec::<String>::new());
}

#[test]
fn yes_writes_the_scenario_the_dry_run_showed() {
    let t = tmp();
    let out = t.path().join("out");
    let dry = cg(t.path())
        .arg(example())
        .args(["--dry-run", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));

    let run = write_example(t.path(), &example(), &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let path = scenario_path(&out, "small-scheduling");
    assert!(
        stdout_of(&run).contains(&format!("wrote {}\n", path.display())),
        "{}",
        stdout_of(&run)
    );
    assert!(stderr_of(&run).contains("no variations given: no experiment file"));
    let written = read(&path);
    assert!(written.starts_with("# SMALL-SCHEDULING WELL LIT PATH\n"));
    // The file is exactly the text the dry run showed under its `File:` line.
    let shown = format!("File: {}\n\n{written}\n", path.display());
    assert!(
        stdout_of(&dry).contains(&shown),
        "the dry run did not show the written file verbatim"
    );
    // Only the scenario: no experiment without variations, no temporary files.
    assert_eq!(
        files_under(&out),
        vec!["scenarios/guides/small-scheduling.sh"]
    );
    assert_eq!(
        files_under(t.path()),
        vec!["out/scenarios/guides/small-scheduling.sh"]
    );
}

#[test]
fn yes_with_variations_writes_the_experiment_too() {
    let t = tmp();
    let out = t.path().join("out");
    let words = ["varying", "decode_replicas", "from", "1", "to", "4"];
    let dry = cg(t.path())
        .arg(example())
        .args(words)
        .args(["--dry-run", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));
    assert!(stdout_of(&dry).contains("=== Generated Experiment File ===\n"));

    let run = write_example(t.path(), &example(), &out, &words);
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let scenario = scenario_path(&out, "small-scheduling");
    let experiment = experiment_path(&out, "small-scheduling");
    let stdout = stdout_of(&run);
    assert!(
        stdout.contains(&format!("wrote {}\n", scenario.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("wrote {}\n", experiment.display())),
        "{stdout}"
    );
    assert!(stderr_of(&run).contains("experiment: 4 treatments"));
    for path in [&scenario, &experiment] {
        let shown = format!("File: {}\n\n{}\n", path.display(), read(path));
        assert!(
            stdout_of(&dry).contains(&shown),
            "the dry run did not show {} verbatim",
            path.display()
        );
    }
    assert_eq!(
        files_under(&out),
        vec![
            "experiments/small-scheduling.yaml",
            "scenarios/guides/small-scheduling.sh"
        ]
    );
}

#[test]
fn running_again_is_up_to_date() {
    let t = tmp();
    let out = t.path().join("out");
    let words = ["varying", "decode_replicas", "over", "1,2"];
    let first = write_example(t.path(), &example(), &out, &words);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let before = (
        read(&scenario_path(&out, "small-scheduling")),
        read(&experiment_path(&out, "small-scheduling")),
    );
    cg(t.path())
        .arg(example())
        .args(words)
        .arg("--yes")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("(unchanged)"))
        .stdout(predicate::str::contains("wrote").not())
        .stderr(predicate::str::contains(
            "files are up to date: nothing to write",
        ));
    let after = (
        read(&scenario_path(&out, "small-scheduling")),
        read(&experiment_path(&out, "small-scheduling")),
    );
    assert_eq!(before, after);
    assert_eq!(files_under(&out).len(), 2, "{:?}", files_under(&out));
}

/// A copy of the example guide in `t`, and the copy's ms values file.
fn guide_copy(t: &Path) -> (PathBuf, PathBuf) {
    let guide = t.join("small-scheduling");
    copy_dir(&example(), &guide);
    let values = guide.join("ms-small-scheduling/values.yaml");
    (guide, values)
}

/// Change the decode replicas of the guide copy from 2 to 3.
fn bump_replicas(values: &Path) {
    let text = read(values);
    assert_eq!(text.matches("  replicas: 2\n").count(), 1);
    write(values, text.replace("  replicas: 2\n", "  replicas: 3\n"));
}

#[test]
fn changed_guide_is_refused_without_force_and_the_diff_shown() {
    let t = tmp();
    let out = t.path().join("out");
    let (guide, values) = guide_copy(t.path());
    let first = write_example(t.path(), &guide, &out, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let path = scenario_path(&out, "small-scheduling");
    let before = read(&path);
    assert!(before.contains(&format!("export {DECODE_REPLICAS}=2\n")));

    bump_replicas(&values);
    cg(t.path())
        .arg(&guide)
        .arg("--yes")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(5)
        .stdout(predicate::str::contains("(exists; changes below)"))
        .stdout(predicate::str::contains(format!(
            "--- {}\n",
            path.display()
        )))
        .stdout(predicate::str::contains(format!(
            "+++ {}\n",
            path.display()
        )))
        .stdout(predicate::str::contains("\n@@ -"))
        .stdout(predicate::str::contains(format!(
            "\n-export {DECODE_REPLICAS}=2\n"
        )))
        .stdout(predicate::str::contains(format!(
            "\n+export {DECODE_REPLICAS}=3\n"
        )))
        .stdout(predicate::str::contains("wrote").not())
        .stderr(predicate::str::contains(
            "already exists with other content",
        ))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(read(&path), before, "the file was changed without --force");
    assert_eq!(
        files_under(&out),
        vec!["scenarios/guides/small-scheduling.sh"]
    );
}

#[test]
fn force_overwrites_a_changed_guide() {
    let t = tmp();
    let out = t.path().join("out");
    let (guide, values) = guide_copy(t.path());
    let first = write_example(t.path(), &guide, &out, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    bump_replicas(&values);

    let dry = cg(t.path())
        .arg(&guide)
        .args(["--dry-run", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(dry.status.code(), Some(0));
    let forced = write_example(t.path(), &guide, &out, &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr_of(&forced));
    let path = scenario_path(&out, "small-scheduling");
    assert!(stdout_of(&forced).contains(&format!("wrote {}\n", path.display())));
    let after = read(&path);
    assert!(
        after.contains(&format!("export {DECODE_REPLICAS}=3\n")),
        "{after}"
    );
    assert!(!after.contains(&format!("export {DECODE_REPLICAS}=2\n")));
    // What was written is what a fresh conversion gives (the dry run showed it as a diff).
    let fresh_out = t.path().join("fresh");
    let fresh = write_example(t.path(), &guide, &fresh_out, &[]);
    assert_eq!(fresh.status.code(), Some(0));
    assert_eq!(after, read(&scenario_path(&fresh_out, "small-scheduling")));
    // No temporary file left beside the replaced one.
    assert_eq!(
        files_under(&out),
        vec!["scenarios/guides/small-scheduling.sh"]
    );
}

#[test]
fn non_terminal_stdin_without_yes_writes_nothing() {
    let t = tmp();
    let out = t.path().join("out");
    cg(t.path())
        .arg(example())
        .arg("--out")
        .arg(&out)
        .write_stdin("yes\n")
        .assert()
        .code(5)
        .stdout(predicate::str::contains("=== Generated Scenario File ==="))
        .stdout(predicate::str::contains("wrote").not())
        .stderr(predicate::str::contains("not a terminal"))
        .stderr(predicate::str::contains("nothing written"))
        .stderr(predicate::str::contains("--yes"));
    assert!(!out.exists());
    assert_eq!(files_under(t.path()), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// The llm-d-benchmark checkout
// ---------------------------------------------------------------------------------------------

#[test]
fn bench_dir_is_the_default_output_and_gives_the_defaults() {
    let t = tmp();
    let bench = t.path().join("llm-d-benchmark");
    copy_dir(&bench_fixture(), &bench);
    let before = files_under(&bench);
    let cwd = t.path().join("elsewhere");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let path = scenario_path(&bench, "small-scheduling");
    cg(&cwd)
        .arg(example())
        .arg("--bench-dir")
        .arg(&bench)
        .arg("--yes")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "File: {}\n",
            path.display()
        )))
        .stdout(predicate::str::contains(format!(
            "wrote {}\n",
            path.display()
        )));
    let text = read(&path);
    assert!(
        text.contains(&format!(
            "\n# Defaults: setup/env.sh of {}\n",
            bench.display()
        )),
        "{text}"
    );
    let mut expected = before;
    expected.push("scenarios/guides/small-scheduling.sh".into());
    expected.sort();
    assert_eq!(files_under(&bench), expected);
    assert_eq!(files_under(&cwd), Vec::<String>::new());
}

#[test]
fn checkout_is_found_by_searching_upward() {
    let t = tmp();
    let bench = t
        .path()
        .canonicalize()
        .expect("canonical")
        .join("llm-d-benchmark");
    copy_dir(&bench_fixture(), &bench);
    let cwd = bench.join("work/deeper");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let path = scenario_path(&bench, "small-scheduling");
    cg(&cwd)
        .arg(example())
        .arg("--yes")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "# Defaults: setup/env.sh of {}\n",
            bench.display()
        )))
        .stdout(predicate::str::contains(format!(
            "wrote {}\n",
            path.display()
        )));
    assert!(path.is_file());
    assert_eq!(files_under(&cwd), Vec::<String>::new());
}

#[test]
fn without_a_checkout_the_builtin_defaults_are_named() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .arg("--dry-run")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "# Defaults: built-in table of llm-d-benchmark setup/env.sh",
        ))
        .stdout(predicate::str::contains(format!(
            "File: {}\n",
            scenario_path(t.path(), "small-scheduling").display()
        )));
}

// ---------------------------------------------------------------------------------------------
// The seed's words and the flag forms
// ---------------------------------------------------------------------------------------------

#[test]
fn with_harness_and_profile_words() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args([
            "with",
            "inference-perf",
            "shared_prefix_synthetic",
            "--dry-run",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\nexport LLMDBENCH_HARNESS_NAME=inference-perf\n",
        ))
        .stdout(predicate::str::contains(
            "\nexport LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=shared_prefix_synthetic.yaml\n",
        ))
        .stderr(predicate::str::contains(
            "no variations given: no experiment file",
        ));
}

#[test]
fn default_harness_and_profile() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .arg("--dry-run")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "\nexport LLMDBENCH_HARNESS_NAME=inference-perf\n",
        ))
        .stdout(predicate::str::contains(
            "\nexport LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=sanity_random.yaml\n",
        ));
}

#[test]
fn varying_from_to_gives_four_treatments() {
    let t = tmp();
    let out = t.path().join("out");
    let run = write_example(
        t.path(),
        &example(),
        &out,
        &["varying", "decode_replicas", "from", "1", "to", "4"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert!(
        stderr_of(&run).contains("experiment: 4 treatments"),
        "{}",
        stderr_of(&run)
    );
    let experiment = read(&experiment_path(&out, "small-scheduling"));
    assert!(
        experiment.contains(&format!("    - {DECODE_REPLICAS}\n")),
        "{experiment}"
    );
    assert!(
        experiment.contains(&format!("{DECODE_REPLICAS}: \"1,2,3,4\"")),
        "{experiment}"
    );
    for level in 1..=4 {
        assert!(
            experiment.contains(&format!("    - \"{level}\"\n")),
            "{experiment}"
        );
    }
    let scenario = read(&scenario_path(&out, "small-scheduling"));
    assert_eq!(
        lines_setting(&scenario, DECODE_REPLICAS),
        vec![format!("export {DECODE_REPLICAS}=2")]
    );
}

#[test]
fn several_varying_clauses_multiply() {
    let t = tmp();
    let out = t.path().join("out");
    let words = [
        "varying",
        "decode_replicas",
        "from",
        "1",
        "to",
        "2",
        "and",
        "varying",
        "max_model_len",
        "over",
        "4096,8192,16384",
    ];
    let run = write_example(t.path(), &example(), &out, &words);
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert!(
        stderr_of(&run).contains("experiment: 6 treatments"),
        "{}",
        stderr_of(&run)
    );
    let experiment = read(&experiment_path(&out, "small-scheduling"));
    assert!(experiment.contains(&format!("    - {DECODE_REPLICAS}\n    - {MAX_MODEL_LEN}\n")));
    assert!(experiment.contains("    - \"1,4096\"\n"), "{experiment}");
    assert!(experiment.contains("    - \"2,16384\"\n"), "{experiment}");
    let scenario = read(&scenario_path(&out, "small-scheduling"));
    for var in [DECODE_REPLICAS, MAX_MODEL_LEN] {
        let lines = lines_setting(&scenario, var);
        assert_eq!(lines.len(), 1, "{var}: {lines:?}");
        assert!(lines[0].starts_with(&format!("export {var}=")), "{lines:?}");
    }
}

#[test]
fn varying_over_a_list() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args(["varying", "decode_replicas", "over", "1,3,5", "--dry-run"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "{DECODE_REPLICAS}: \"1,3,5\""
        )))
        .stderr(predicate::str::contains("experiment: 3 treatments"));
}

#[test]
fn decimal_range_with_step() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args([
            "varying",
            "gpu_memory_utilization",
            "from",
            "0.80",
            "to",
            "0.95",
            "by",
            "0.05",
            "--dry-run",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL: \"0.80,0.85,0.90,0.95\"",
        ))
        .stderr(predicate::str::contains("experiment: 4 treatments"));
}

#[test]
fn flag_forms_harness_profile_vary() {
    let t = tmp();
    let out = t.path().join("out");
    let run = write_example(
        t.path(),
        &example(),
        &out,
        &[
            "--harness",
            "guidellm",
            "--profile",
            "chatbot_synthetic",
            "--vary",
            "max_model_len=8192,16384",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert!(stderr_of(&run).contains("experiment: 2 treatments"));
    let scenario = read(&scenario_path(&out, "small-scheduling"));
    assert!(scenario.contains("\nexport LLMDBENCH_HARNESS_NAME=guidellm\n"));
    assert!(
        scenario.contains("\nexport LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=chatbot_synthetic.yaml\n")
    );
    assert_eq!(lines_setting(&scenario, MAX_MODEL_LEN).len(), 1);
    let experiment = read(&experiment_path(&out, "small-scheduling"));
    assert!(
        experiment.contains(&format!("{MAX_MODEL_LEN}: \"8192,16384\"")),
        "{experiment}"
    );
}

#[test]
fn vary_flag_ranges_and_words_combine() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args([
            "varying",
            "decode_replicas",
            "over",
            "1,2",
            "--vary",
            "gpu_memory_utilization=0.80..0.90/0.05",
            "--vary",
            "max_model_len=1024..2048/1024",
            "--dry-run",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL: \"0.80,0.85,0.90\"",
        ))
        .stdout(predicate::str::contains(format!(
            "{MAX_MODEL_LEN}: \"1024,2048\""
        )))
        .stderr(predicate::str::contains("experiment: 12 treatments"));
}

#[test]
fn profile_with_and_without_yaml_suffix_are_the_same() {
    let t = tmp();
    let run = |profile: &str| {
        cg(t.path())
            .arg(example())
            .args(["with", "guidellm", profile, "--dry-run"])
            .output()
            .expect("runs")
    };
    let bare = run("chatbot_synthetic");
    let suffixed = run("chatbot_synthetic.yaml");
    assert_eq!(bare.status.code(), Some(0), "{}", stderr_of(&bare));
    assert_eq!(suffixed.status.code(), Some(0), "{}", stderr_of(&suffixed));
    assert!(
        stdout_of(&bare)
            .contains("\nexport LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=chatbot_synthetic.yaml\n")
    );
    assert_eq!(stdout_of(&bare), stdout_of(&suffixed));
}

#[test]
fn swept_setup_factor_is_exported_exactly_once() {
    // simulated-accelerators has no --max-model-len: the swept variable must still be set
    // on exactly one line, the export e2e.sh rewrites.
    let t = tmp();
    let out = t.path().join("out");
    let run = write_example(
        t.path(),
        &corpus("simulated-accelerators"),
        &out,
        &["varying", "max_model_len", "over", "8192,16384"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert!(stderr_of(&run).contains("experiment: 2 treatments"));
    let scenario = read(&scenario_path(&out, "simulated-accelerators"));
    let lines = lines_setting(&scenario, MAX_MODEL_LEN);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("export {MAX_MODEL_LEN}=")),
        "{lines:?}"
    );
    assert!(read(&experiment_path(&out, "simulated-accelerators")).contains(MAX_MODEL_LEN));
}

#[test]
fn swept_max_model_len_reaches_the_simulated_decode_command() {
    let t = tmp();
    let out = t.path().join("out");
    let run = write_example(
        t.path(),
        &corpus("simulated-accelerators"),
        &out,
        &["varying", "max_model_len", "over", "8192,16384"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let scenario = read(&scenario_path(&out, "simulated-accelerators"));
    let args = heredoc(&scenario, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS")
        .unwrap_or_else(|| panic!("no decode EXTRA_ARGS in\n{scenario}"));
    assert!(
        args.contains(&format!("REPLACE_ENV_{MAX_MODEL_LEN}")),
        "{args}"
    );
}

#[test]
fn swept_flag_is_added_to_a_guide_command_that_lacks_it() {
    // The example's vllmServe args without `--max-model-len 8192`.
    let t = tmp();
    let (guide, values) = guide_copy(t.path());
    let text = read(&values);
    let without = text.replace("        - \"--max-model-len\"\n        - \"8192\"\n", "");
    assert_ne!(text, without, "fixture edit did not apply");
    write(&values, without);
    let out = t.path().join("out");
    let plain = write_example(t.path(), &guide, &t.path().join("plain"), &[]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr_of(&plain));
    let plain = read(&scenario_path(&t.path().join("plain"), "small-scheduling"));
    assert!(lines_setting(&plain, MAX_MODEL_LEN).is_empty(), "{plain}");

    let run = write_example(
        t.path(),
        &guide,
        &out,
        &["varying", "max_model_len", "over", "8192,16384"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let scenario = read(&scenario_path(&out, "small-scheduling"));
    let lines = lines_setting(&scenario, MAX_MODEL_LEN);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with(&format!("export {MAX_MODEL_LEN}=")));
    let args = heredoc(&scenario, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS")
        .unwrap_or_else(|| panic!("no decode EXTRA_ARGS in\n{scenario}"));
    assert!(
        args.contains(&format!("--max-model-len REPLACE_ENV_{MAX_MODEL_LEN}")),
        "{args}"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors and their exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_path_exits_3_and_names_it() {
    let t = tmp();
    let missing = t.path().join("no-such-guide");
    cg(t.path())
        .arg(&missing)
        .arg("--dry-run")
        .assert()
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "{}: no such file or folder",
            missing.display()
        )));
}

#[test]
fn folder_without_values_exits_3_and_says_what_was_looked_for() {
    let t = tmp();
    let empty = t.path().join("empty-guide");
    write(&empty.join("README.md"), "# nothing here\n");
    write(&empty.join("other/values.yaml"), "a: 1\n");
    cg(t.path())
        .arg(&empty)
        .arg("--dry-run")
        .assert()
        .code(3)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("no guide values found"))
        .stderr(predicate::str::contains("ms-*/values.yaml"))
        .stderr(predicate::str::contains(empty.display().to_string()));
}

#[test]
fn invalid_yaml_exits_4_with_location_line_and_marker() {
    let t = tmp();
    let file = t.path().join("broken.yaml");
    write(&file, "modelArtifacts:\n  name: x\n  uri: a: b\n");
    cg(t.path())
        .arg(&file)
        .arg("--dry-run")
        .assert()
        .code(4)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("broken.yaml:3:9: "))
        .stderr(predicate::str::contains("3 |   uri: a: b\n"))
        .stderr(predicate::str::is_match(r"(?m)^ +\| {9}\^$").expect("regex"));
}

#[test]
fn invalid_yaml_in_a_guide_folder_names_the_file_in_the_guide() {
    let t = tmp();
    let guide = t.path().join("g");
    write(
        &guide.join("ms-g/values.yaml"),
        "decode:\n  replicas: 2\n   foo: 1\n",
    );
    cg(t.path())
        .arg(&guide)
        .arg("--dry-run")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("ms-g/values.yaml:3:"))
        .stderr(predicate::str::contains("3 |    foo: 1\n"))
        .stderr(predicate::str::contains("^"));
}

#[test]
fn non_utf8_file_exits_4() {
    let t = tmp();
    let file = t.path().join("latin1.yaml");
    write(&file, b"modelArtifacts:\n  name: \"caf\xe9\"\n");
    cg(t.path())
        .arg(&file)
        .arg("--dry-run")
        .assert()
        .code(4)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("latin1.yaml"))
        .stderr(predicate::str::contains("not UTF-8"));
}

#[test]
fn unknown_harness_exits_2_and_lists_the_valid_ones() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args(["--harness", "locust", "--dry-run"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("unknown harness \"locust\""))
        .stderr(predicate::str::contains("inference-perf"))
        .stderr(predicate::str::contains("guidellm"))
        .stderr(predicate::str::contains("vllm-benchmark"));
}

#[test]
fn unknown_profile_exits_2_and_lists_the_harness_profiles() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args(["with", "guidellm", "no_such_profile", "--dry-run"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "unknown profile \"no_such_profile\"",
        ))
        .stderr(predicate::str::contains("guidellm"))
        .stderr(predicate::str::contains("chatbot_synthetic"))
        .stderr(predicate::str::contains("sanity_concurrent"))
        // inference-perf's profiles are not guidellm's.
        .stderr(predicate::str::contains("shared_prefix_multi_turn_chat").not());
}

#[test]
fn unknown_variation_parameter_exits_2() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args(["varying", "warp_factor", "over", "1,2", "--dry-run"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "unknown parameter \"warp_factor\"",
        ))
        .stderr(predicate::str::contains("decode_replicas"));
}

#[test]
fn malformed_grammar_exits_2() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args(["varying", "x", "from", "1", "--dry-run"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "`varying x from 1` needs `to <end>`",
        ));
    cg(t.path())
        .arg(example())
        .args(["please", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unexpected word \"please\""));
}

#[test]
fn with_together_with_harness_flag_exits_2() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .args(["with", "guidellm", "--harness", "guidellm", "--dry-run"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("not both"));
}

#[test]
fn unknown_flag_and_missing_source_exit_2() {
    let t = tmp();
    cg(t.path())
        .arg(example())
        .arg("--frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--frobnicate"));
    cg(t.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<SOURCE>"));
}

#[test]
fn name_with_a_path_exits_2_and_writes_nothing() {
    let t = tmp();
    let root = t.path().join("root");
    let out = root.join("out");
    std::fs::create_dir_all(&root).expect("mkdir");
    for name in ["../evil", "a/b", ".."] {
        cg(&root)
            .arg(example())
            .args(["--name", name, "--yes", "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("invalid name"));
    }
    assert_eq!(files_under(t.path()), Vec::<String>::new());
}

#[test]
fn bench_dir_without_env_sh_exits_2() {
    let t = tmp();
    let not_bench = t.path().join("not-bench");
    write(&not_bench.join("setup/other.sh"), "true\n");
    cg(t.path())
        .arg(example())
        .arg("--bench-dir")
        .arg(&not_bench)
        .arg("--yes")
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(format!(
            "{}: not an llm-d-benchmark checkout (no setup/env.sh)",
            not_bench.display()
        )));
    assert_eq!(files_under(t.path()), vec!["not-bench/setup/other.sh"]);
}

#[test]
fn output_folder_that_is_a_file_exits_6() {
    let t = tmp();
    let file = t.path().join("a-file");
    write(&file, "keep\n");
    cg(t.path())
        .arg(example())
        .arg("--yes")
        .arg("--out")
        .arg(&file)
        .assert()
        .code(6)
        .stderr(predicate::str::contains(
            "scenarios/guides/small-scheduling.sh",
        ));
    assert_eq!(read(&file), "keep\n");
}

#[test]
fn values_without_model_name_warn() {
    let t = tmp();
    let guide = t.path().join("no-model");
    write(
        &guide.join("ms-no-model/values.yaml"),
        "modelArtifacts:\n  uri: hf://some/model\ndecode:\n  replicas: 2\n",
    );
    let out = t.path().join("out");
    let run = write_example(t.path(), &guide, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let stderr = stderr_of(&run);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("warning: ") && l.contains("model")),
        "{stderr}"
    );
    assert!(stderr.contains("modelArtifacts.name"), "{stderr}");
    let scenario = read(&scenario_path(&out, "no-model"));
    assert!(
        scenario
            .lines()
            .any(|l| l.starts_with("# WARNING:") && l.contains("model")),
        "{scenario}"
    );
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

fn example_ms_values() -> String {
    read(&example().join("ms-small-scheduling/values.yaml"))
}

#[test]
fn name_of_a_values_file_is_its_stem() {
    let t = tmp();
    let file = t.path().join("guides/my-guide.yaml");
    write(&file, example_ms_values());
    let out = t.path().join("out");
    let run = write_example(t.path(), &file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert_eq!(files_under(&out), vec!["scenarios/guides/my-guide.sh"]);
    assert!(stderr_of(&run).starts_with("my-guide: ") || stderr_of(&run).contains("\nmy-guide: "));
}

#[test]
fn name_of_values_yaml_is_its_folder() {
    let t = tmp();
    let file = t.path().join("guides/inference-scheduling/values.yaml");
    write(&file, example_ms_values());
    let out = t.path().join("out");
    let run = write_example(t.path(), &file, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert_eq!(
        files_under(&out),
        vec!["scenarios/guides/inference-scheduling.sh"]
    );
    assert!(
        read(&scenario_path(&out, "inference-scheduling"))
            .starts_with("# INFERENCE-SCHEDULING WELL LIT PATH\n")
    );
}

#[test]
fn name_flag_is_sanitized() {
    let t = tmp();
    let out = t.path().join("out");
    let run = write_example(
        t.path(),
        &example(),
        &out,
        &[
            "--name",
            "My Guide",
            "varying",
            "decode_replicas",
            "over",
            "1,2",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert_eq!(
        files_under(&out),
        vec!["experiments/my-guide.yaml", "scenarios/guides/my-guide.sh"]
    );
    assert!(
        read(&scenario_path(&out, "my-guide"))
            .contains("\nexport LLMDBENCH_CONTROL_WORK_DIR=~/data/my-guide\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Help, version, pipes, quiet
// ---------------------------------------------------------------------------------------------

#[test]
fn help_mentions_the_words_exit_codes_and_examples() {
    let t = tmp();
    cg(t.path())
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Usage: convert-guide"))
        .stdout(predicate::str::contains("with <harness>"))
        .stdout(predicate::str::contains(
            "varying <param> from <start> to <end>",
        ))
        .stdout(predicate::str::contains("varying <param> over"))
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains(
            "convert-guide guides/inference-scheduling varying decode_replicas from 1 to 4",
        ))
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::is_match(r"(?m)^ +0 +files written").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^ +2 +bad command line").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^ +3 ").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^ +4 ").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^ +5 +nothing written").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^ +6 +writing failed").expect("regex"));
}

#[test]
fn version_prints_the_crate_version() {
    let t = tmp();
    cg(t.path())
        .arg("--version")
        .assert()
        .code(0)
        .stdout(format!("convert-guide {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn stdout_closed_early_does_not_panic() {
    // `convert-guide ... --dry-run | head -1`
    let t = tmp();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_convert-guide"))
        .current_dir(t.path())
        .arg(example())
        // 8000 treatments: more text than a pipe holds, so the binary does meet the closed pipe.
        .args(["varying", "decode_replicas", "from", "1", "to", "1000"])
        .args([
            "varying",
            "max_model_len",
            "over",
            "1,2,3,4,5,6,7,8",
            "--dry-run",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut first = String::new();
    {
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        reader.read_line(&mut first).expect("reads a line");
    } // the read end is closed here
    let out = child.wait_with_output().expect("waits");
    assert_eq!(first, "=== Generated Scenario File ===\n");
    let stderr = stderr_of(&out);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(files_under(t.path()), Vec::<String>::new());
}

#[test]
fn stdout_closed_while_writing_does_not_panic() {
    // `convert-guide ... --quiet --yes --out D | true`: the reader is gone before the
    // binary prints the paths it wrote.
    let t = tmp();
    let out = t.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_convert-guide"))
        .current_dir(t.path())
        .arg(example())
        .args(["--quiet", "--yes", "--out"])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    let result = child.wait_with_output().expect("waits");
    let stderr = stderr_of(&result);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    assert!(scenario_path(&out, "small-scheduling").is_file());
}

#[test]
fn quiet_prints_no_scenario_text() {
    let t = tmp();
    let out = t.path().join("out");
    cg(t.path())
        .arg(example())
        .args(["--quiet", "--dry-run", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
    assert!(!out.exists());
    let path = scenario_path(&out, "small-scheduling");
    cg(t.path())
        .arg(example())
        .args(["--quiet", "--yes", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(format!("wrote {}\n", path.display()))
        .stderr(predicate::str::is_empty());
    assert!(path.is_file());
}

#[test]
fn quiet_still_prints_warnings() {
    let t = tmp();
    let guide = t.path().join("no-model");
    write(
        &guide.join("ms-no-model/values.yaml"),
        "modelArtifacts:\n  uri: hf://some/model\ndecode:\n  replicas: 2\n",
    );
    cg(t.path())
        .arg(&guide)
        .args(["--quiet", "--dry-run"])
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::starts_with("warning: "))
        .stderr(predicate::str::contains("modelArtifacts.name"));
}

#[test]
fn quiet_up_to_date_is_silent() {
    let t = tmp();
    let out = t.path().join("out");
    let first = write_example(t.path(), &example(), &out, &["--quiet"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    cg(t.path())
        .arg(example())
        .args(["--quiet", "--yes", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
}

#[test]
fn stdout_closed_before_writing_does_not_report_success_without_files() {
    // `convert-guide ... --yes --out D | head -1` with more text than a pipe holds.
    let t = tmp();
    let out = t.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_convert-guide"))
        .current_dir(t.path())
        .arg(example())
        .args(["varying", "decode_replicas", "from", "1", "to", "1000"])
        .args([
            "varying",
            "max_model_len",
            "over",
            "1,2,3,4,5,6,7,8",
            "--yes",
            "--out",
        ])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    let result = child.wait_with_output().expect("waits");
    let stderr = stderr_of(&result);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let written = scenario_path(&out, "small-scheduling").is_file();
    assert!(
        written || result.status.code() != Some(0),
        "exit 0 but nothing written; stderr:\n{stderr}"
    );
}
