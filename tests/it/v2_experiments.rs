//! v2 experiments (llm-d-benchmark 2026-03-30 and later): generated ones read by the
//! package's own parser, the corpus ones and broken ones through `check-experiment`; sweep
//! levels checked against each parameter's type and range; the validator and treatment
//! lists at sizes that were quadratic, under an address-space cap.

use std::path::Path;
use std::process::Command;

use convert_guide::experiment::v2::{self, Workload};
use convert_guide::experiment::{Design, Variation};

use crate::common;

const BENCH: &str = "../shared/corpus/llm-d-benchmark/2026-05-01";

fn bin() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("convert-guide"))
}

/// python3 with PyYAML, or `None` (a failure when `CI=true`).
fn python_with_yaml() -> Option<()> {
    let ok = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(());
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "python3 with PyYAML is needed (pip install pyyaml; .ci/run installs it)"
    );
    eprintln!("SKIPPED: python3 with PyYAML is not available");
    None
}

/// Parse `file` with `llmdbenchmark/experiment/parser.py` of the corpus (loaded on its own:
/// it needs only PyYAML) and print setup treatments (name and overrides, JSON) and the run
/// treatment count, one a line.
fn package_parse(file: &Path) -> String {
    let parser = common::crate_root()
        .join(BENCH)
        .join("llmdbenchmark/experiment/parser.py");
    let script = r#"
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("doe_parser", sys.argv[1])
m = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = m
spec.loader.exec_module(m)
plan = m.parse_experiment(sys.argv[2])
for t in plan.setup_treatments:
    print(t.name, json.dumps(t.overrides, sort_keys=True))
print("run", plan.run_treatments_count, "matrix", plan.total_matrix)
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&parser)
        .arg(file)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check_file(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("e.yaml");
    std::fs::write(&path, text).expect("write");
    let out = bin()
        .arg("check-experiment")
        .arg(&path)
        .current_dir(dir.path())
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).replace(&format!("{}:", path.display()), ""),
    )
}

#[test]
fn decode_replicas_from_1_to_4_is_a_valid_v2_design() {
    let v = Variation::range("decode_replicas", "1", "4", None).expect("variation");
    let exp = v2::experiment(
        "inference-scheduling",
        &[v],
        &Design::Full,
        &Workload::default(),
    )
    .expect("experiment");
    let text = exp.render();
    let (code, out) = check_file(&text);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.ends_with("0 errors, 0 warnings, 0 notes; 4 setup x no run treatments (4 runs)\n"),
        "{out}"
    );
    if python_with_yaml().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("inference-scheduling.yaml");
    std::fs::write(&path, &text).expect("write");
    assert_eq!(
        package_parse(&path),
        "decode_replicas-1 {\"decode\": {\"replicas\": 1}}\n\
         decode_replicas-2 {\"decode\": {\"replicas\": 2}}\n\
         decode_replicas-3 {\"decode\": {\"replicas\": 3}}\n\
         decode_replicas-4 {\"decode\": {\"replicas\": 4}}\n\
         run 0 matrix 4\n"
    );
}

#[test]
fn setup_and_run_factors_reach_the_package_typed() {
    let profile = common::crate_root()
        .join(BENCH)
        .join("workload/profiles/inference-perf/shared_prefix_synthetic.yaml.in");
    let text = std::fs::read_to_string(&profile).expect("profile");
    let workload =
        Workload::from_profile("inference-perf", "shared_prefix_synthetic.yaml", "p", &text)
            .expect("workload");
    let vs = [
        Variation::range("gpu_memory_utilization", "0.80", "0.90", Some("0.10")).expect("v"),
        Variation::list("decode_cpu_nr", "4,500m").expect("v"),
        Variation::list("question_len", "100,300").expect("v"),
    ];
    let exp = v2::experiment("g", &vs, &Design::Full, &workload).expect("experiment");
    let rendered = exp.render();
    assert!(
        rendered.contains(
            "treatments:\n  - name: question_len-100\n    data.shared_prefix.question_len: 100\n"
        ),
        "{rendered}"
    );
    let (code, out) = check_file(&rendered);
    assert_eq!(code, Some(0), "{out}");
    if python_with_yaml().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("g.yaml");
    std::fs::write(&path, &rendered).expect("write");
    let parsed = package_parse(&path);
    assert!(
        parsed.starts_with(
            "gpu_memory_utilization-0.80_decode_cpu_nr-4 {\"decode\": {\"resources\": {\"limits\": {\"cpu\": \"4\"}, \"requests\": {\"cpu\": \"4\"}}}, \"model\": {\"gpuMemoryUtilization\": 0.8}}\n"
        ),
        "{parsed}"
    );
    assert!(parsed.ends_with("run 2 matrix 8\n"), "{parsed}");
}

#[test]
fn corpus_v2_experiments_are_told_by_content_and_pass() {
    for name in [
        "inference-scheduling",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "tiered-prefix-cache",
    ] {
        let path = common::crate_root()
            .join(BENCH)
            .join("workload/experiments")
            .join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path).expect("corpus experiment");
        let (code, out) = check_file(&text);
        assert_eq!(code, Some(0), "{name}: {out}");
        assert!(out.contains(" 0 errors, "), "{name}: {out}");
        if name == "inference-scheduling" {
            // Its design lists 4 scheduling scenarios, but no setup treatment runs them.
            assert!(
                out.contains("warning: design.total_setup_treatments says 4, but the file has 0"),
                "{out}"
            );
        }
    }
}

#[test]
fn broken_v2_experiments_exit_8_naming_each_problem() {
    let text = "\
experiment:
  name: x
setup:
  constants:
    model.maxModelLen: 0.5
  treatments:
    - name: a/b
      decode.replicas: -1
    - name: dup
      LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS: 2
    - name: dup
      decode: 1
      decode.replicas: 2
      model.gpuMemoryUtilization: 5
    - just a string
treatments:
  - name: t
    rate: [1, 2]
";
    let (code, out) = check_file(text);
    assert_eq!(code, Some(8), "{out}");
    for want in [
        "5: error: setup treatment constants: level \"0.5\" of model.maxModelLen is not valid: max_model_len takes a whole number from 1 to 1073741824",
        "7: error: setup treatment name \"a/b\" is not a plain name",
        "8: error: setup treatment a/b: level \"-1\" of decode.replicas is not valid",
        "10: error: LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS is a bash-era variable: llm-d-benchmark 2026-03-30 and later merge dotted config paths; use decode.replicas",
        "11: error: setup treatment name \"dup\" is already used at line 9",
        "11: error: setup treatment dup sets both decode and decode.replicas",
        "14: error: setup treatment dup: level \"5\" of model.gpuMemoryUtilization is not valid",
        "15: error: setup treatment 4 is not a map: llm-d-benchmark skips it",
        "18: error: t: rate must be a single value",
    ] {
        assert!(out.contains(want), "{want:?} not in:\n{out}");
    }
    let (_, stderr) = {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("e.yaml");
        std::fs::write(&path, text).expect("write");
        let o = bin()
            .arg("check-experiment")
            .arg(&path)
            .output()
            .expect("run");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    assert!(
        stderr.contains("llmdbenchmark would not run this experiment"),
        "{stderr}"
    );
    // The bash-era form inside a v2 file is named, not silently ignored.
    let (code, out) = check_file("experiment:\n  name: x\nsetup:\n  factors: [decode.replicas]\n");
    assert_eq!(code, Some(8), "{out}");
    assert!(
        out.contains("4: error: `setup.factors` is the bash-era form"),
        "{out}"
    );
}

#[test]
fn sweep_levels_outside_a_parameters_type_or_range_are_refused() {
    let guide = common::corpus_guides().join("inference-scheduling");
    let cases: &[(&str, &str)] = &[
        (
            "varying decode_replicas over abc,-1,0",
            "levels \"abc\", \"-1\", \"0\" of decode_replicas (`varying decode_replicas over abc,-1,0`) are not valid: decode_replicas takes a whole number from 1 to 4096",
        ),
        (
            "varying decode_replicas from 1 to 5 by 1.5",
            "levels \"1.0\", \"2.5\", \"4.0\" of decode_replicas (`varying decode_replicas from 1 to 5 by 1.5`) are not valid",
        ),
        (
            "varying gpu_memory_utilization over 5",
            "level \"5\" of gpu_memory_utilization (`varying gpu_memory_utilization over 5`) is not valid: gpu_memory_utilization takes a number above 0 and at most 1",
        ),
        (
            "varying max_model_len over 0.5",
            "level \"0.5\" of max_model_len (`varying max_model_len over 0.5`) is not valid: max_model_len takes a whole number from 1",
        ),
        (
            "varying gaie_plugins over ../../x",
            "takes a plain file name",
        ),
    ];
    for (words, want) in cases {
        let out = bin()
            .arg(&guide)
            .args(words.split(' '))
            .args(["-n", "-q"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{words}: {stderr}");
        assert!(stderr.contains(want), "{words}: {want:?} not in {stderr}");
    }
    // The flag form goes through the same check; valid levels still pass.
    let out = bin()
        .arg(&guide)
        .args([
            "--vary",
            "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS=0,1",
            "-n",
            "-q",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .arg(&guide)
        .args([
            "varying",
            "gpu_memory_utilization",
            "from",
            "0.80",
            "to",
            "0.95",
            "by",
            "0.05",
            "-n",
            "-q",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Address space for the large runs below (a debug build checking a 1-4 MB file).
const MEMORY_KIB: u64 = 192 * 1024;

fn run_capped(cwd: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$@\""))
        .arg("bash")
        .arg(assert_cmd::cargo::cargo_bin("convert-guide"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run convert-guide under bash");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Many factors and long treatments (the validator split every treatment once per factor:
/// factors x treatments x factors). Every finding is still there, each short.
#[test]
fn check_experiment_of_many_factors_and_long_treatments_stays_bounded() {
    let (factors, treatments) = (2000, 200);
    let mut text = String::from("run:\n  factors:\n");
    for i in 0..factors {
        text.push_str(&format!("    - k{i}\n"));
    }
    text.push_str("  levels:\n");
    for i in 0..factors {
        text.push_str(&format!("    k{i}: \"1,2\"\n"));
    }
    text.push_str("  treatments:\n");
    for t in 0..treatments {
        let mut values: Vec<&str> = (0..factors)
            .map(|i| if (i + t) % 3 == 0 { "2" } else { "1" })
            .collect();
        if t % 50 == 0 {
            values[3] = "3";
        }
        if t == 7 {
            values.pop();
        }
        text.push_str(&format!("    - \"{}\"\n", values.join(",")));
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("e.yaml"), &text).expect("write");
    let (code, out, _) = run_capped(dir.path(), &["check-experiment", "e.yaml"]);
    assert_eq!(code, Some(8), "{}", &out[out.len().saturating_sub(500)..]);
    let errors: Vec<&str> = out.lines().filter(|l| l.contains(": error: ")).collect();
    // 2000 unknown run keys, 4 values out of levels, 1 short treatment.
    assert_eq!(
        errors
            .iter()
            .filter(|l| l.contains("is not a key of any workload profile"))
            .count(),
        factors
    );
    assert_eq!(
        errors
            .iter()
            .filter(|l| l.contains("value 3 of k3 is not among its levels 1,2"))
            .count(),
        4
    );
    let short: Vec<&&str> = errors
        .iter()
        .filter(|l| l.contains("has 1999 values for 2000 factors"))
        .collect();
    assert_eq!(short.len(), 1, "{short:?}");
    assert!(
        short[0].contains("k0, k1, k2, k3, k4, k5, k6, k7, ... (2000 in all)"),
        "{}",
        short[0]
    );
    for l in out.lines() {
        assert!(
            l.len() < 400,
            "a finding quotes too much: {} bytes",
            l.len()
        );
    }
}

/// A treatment list of a megabyte (half a million short rows were a Vec<String> each, and
/// deduplicated by linear scans).
#[test]
fn a_large_treatment_list_is_read_in_bounded_memory() {
    let mut rows = String::new();
    let mut n = 0;
    'outer: for s in 1..=1000 {
        for r in 1..=1000 {
            rows.push_str(&format!("{s},{r}\n"));
            n += 1;
            if rows.len() > 1 << 20 {
                break 'outer;
            }
        }
    }
    // Keep whole setup blocks: the list must be a cross product.
    let complete = n - n % 1000;
    let rows: String = rows
        .lines()
        .take(complete)
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("t.txt"), &rows).expect("write");
    let guide = common::corpus_guides().join("inference-scheduling");
    let guide = guide.to_str().expect("UTF-8 path");
    let (code, out, err) = run_capped(
        dir.path(),
        &[
            guide,
            "with",
            "inference-perf",
            "shared_prefix_synthetic",
            "varying",
            "decode_replicas",
            "from",
            "1",
            "to",
            "1000",
            "varying",
            "question_len",
            "from",
            "1",
            "to",
            "1000",
            "--treatments",
            "t.txt",
            "-n",
            "--max-treatments",
            "0",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let setup = complete / 1000;
    assert!(
        err.contains(&format!(
            "experiment: {} treatments ({setup} setup x 1000 run), treatment list",
            setup * 1000
        )),
        "{err}"
    );
    assert!(
        out.contains("=== Generated Experiment File ==="),
        "{}",
        &out[..out.len().min(500)]
    );
    // A repeated row is named by its line, at any size.
    let repeated = format!("{rows}1,1\n");
    std::fs::write(dir.path().join("t.txt"), &repeated).expect("write");
    let (code, _, err) = run_capped(
        dir.path(),
        &[
            guide,
            "with",
            "inference-perf",
            "shared_prefix_synthetic",
            "varying",
            "decode_replicas",
            "from",
            "1",
            "to",
            "1000",
            "varying",
            "question_len",
            "from",
            "1",
            "to",
            "1000",
            "--treatments",
            "t.txt",
            "-n",
        ],
    );
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains(&format!(
            "t.txt:{}: repeats the treatment of line 1",
            complete + 1
        )),
        "{err}"
    );
}

#[test]
fn bash_format_levels_of_known_variables_are_checked_too() {
    let text = "setup:\n  factors: [LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS, LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL]\n  levels:\n    LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS: \"abc,-1,2\"\n    LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL: \"0.9,5\"\n  treatments: [\"2,0.9\"]\n";
    let (code, out) = check_file(text);
    assert_eq!(code, Some(8), "{out}");
    assert!(
        out.contains("4: error: levels \"abc\", \"-1\" of LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS are not valid: decode_replicas takes a whole number from 1 to 4096"),
        "{out}"
    );
    assert!(
        out.contains("5: error: level \"5\" of LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL is not valid: gpu_memory_utilization takes a number above 0 and at most 1"),
        "{out}"
    );
}

#[test]
fn with_a_v2_checkout_run_paths_must_be_under_a_map_of_the_profile() {
    use convert_guide::bench::catalog::Catalog;
    use convert_guide::bench::defaults::Defaults;
    use convert_guide::experiment::check::{self, Context, Severity};
    let bench = common::crate_root().join(BENCH);
    let catalog = Catalog::from_checkout(&bench).expect("profiles of the corpus checkout");
    let defaults = Defaults::builtin();
    let ctx = Context {
        defaults: &defaults,
        catalog: &catalog,
        scenario: None,
    };
    for name in [
        "inference-scheduling",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "tiered-prefix-cache",
    ] {
        let path = bench
            .join("workload/experiments")
            .join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path).expect("corpus experiment");
        let r = check::check(name, &text, &ctx);
        assert!(r.v2 && r.is_ok(), "{name}: {:?}", r.findings);
    }
    let text = "experiment:\n  harness: inference-perf\n  profile: shared_prefix_synthetic.yaml\ntreatments:\n  - name: a\n    data.shared_prefix.question_len: 100\n    data.nope.question_len: 100\n";
    let r = check::check("e.yaml", text, &ctx);
    let errors: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect();
    assert_eq!(
        errors,
        [
            "e.yaml:7: error: a: data.nope.question_len is not under a map of the experiment's workload profile: llm-d-benchmark sets nothing"
        ]
    );
}

/// `check-experiment --bench-dir <2026-05-01 tree>`: the v2 tree is accepted as a checkout
/// (its profiles are the catalog), its own experiments pass, and a run path its profile has
/// no map for is an error (exit 8) that only the checkout's profile can find.
#[test]
fn check_experiment_takes_a_v2_tree_as_bench_dir() {
    let bench = common::crate_root().join(BENCH);
    for name in ["pd-disaggregation", "precise-prefix-cache-aware"] {
        let path = bench
            .join("workload/experiments")
            .join(format!("{name}.yaml"));
        let out = bin()
            .arg("check-experiment")
            .arg(&path)
            .arg("--bench-dir")
            .arg(&bench)
            .output()
            .expect("run");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(": 0 errors, 0 warnings"),
            "{name}: {stdout}"
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("e.yaml");
    std::fs::write(
        &file,
        "experiment:\n  harness: inference-perf\n  profile: shared_prefix_synthetic.yaml\ntreatments:\n  - name: a\n    data.nope.question_len: 100\n",
    )
    .expect("write");
    let out = bin()
        .arg("check-experiment")
        .arg(&file)
        .arg("--bench-dir")
        .arg(&bench)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(8), "{stdout}");
    assert!(
        stdout.contains("e.yaml:6: error: a: data.nope.question_len is not under a map of the experiment's workload profile"),
        "{stdout}"
    );
    // A folder that is neither form of checkout is refused, naming both.
    let out = bin()
        .arg("check-experiment")
        .arg(&file)
        .arg("--bench-dir")
        .arg(dir.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("not an llm-d-benchmark checkout") && stderr.contains(v2_defaults()),
        "{stderr}"
    );
}

fn v2_defaults() -> &'static str {
    convert_guide::emit::v2::DEFAULTS_FILE
}
