//! Hostile and broken input, as users meet it: every limit is an error (exit 4) that names
//! the file and the place, and comes fast and within little memory. Each run of the binary
//! has its address space capped ([`MEMORY_KIB`]), so "bounded memory" is checked, not hoped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use convert_guide::load::source::{MAX_FILE_BYTES, MAX_GUIDE_BYTES};
use convert_guide::read::yaml::{MAX_DEPTH, MAX_KEYS, MAX_NODES};

/// Address space each run may use: a conversion of a real guide needs a few MB.
const MEMORY_KIB: u64 = 128 * 1024;
/// CPU time (user + system) each failing run may take, a debug build; release is several
/// times faster, and most runs take a few milliseconds. CPU time, not wall time: the bound is
/// on the work a limit lets through, and must not move with the load of the machine.
const FAST: Duration = Duration::from_secs(2);
/// A billion-laughs file must fail in well under a second of CPU time, even for a debug
/// build (a release build takes a few milliseconds).
const BOMB: Duration = Duration::from_secs(1);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// `convert-guide ARGS` from `cwd`, under `ulimit -v MEMORY_KIB`; `took` is the CPU time
/// (user + system) of the conversion, as bash's `times` reports it for its child.
fn run_capped(cwd: &Path, args: &[&str]) -> Run {
    let bin = assert_cmd::cargo::cargo_bin("convert-guide");
    let times = tempfile::NamedTempFile::new().expect("temporary file");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_KIB} && {{ \"$@\"; rc=$?; times >\"$CG_TIMES\"; exit $rc; }}"
        ))
        .arg("bash")
        .arg(bin)
        .args(args)
        .env("CG_TIMES", times.path())
        .current_dir(cwd)
        .output()
        .expect("run convert-guide under bash");
    let report = std::fs::read_to_string(times.path()).expect("read the times of the run");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: children_cpu(&report),
    }
}

/// The children's user + system time from bash's `times` (`0m0.012s 0m0.004s` on line 2).
/// A report of any other shape fails the test: an unread time must never pass a bound.
fn children_cpu(report: &str) -> Duration {
    let line = report.lines().nth(1).unwrap_or_default();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.len(), 2, "bash's times report: {report:?}");
    fields
        .iter()
        .map(|t| {
            let (m, s) = t
                .strip_suffix('s')
                .and_then(|t| t.split_once('m'))
                .unwrap_or_else(|| panic!("a time of bash's times: {t:?}"));
            let m: u64 = m.parse().unwrap_or_else(|_| panic!("minutes in {t:?}"));
            let s: f64 = s.parse().unwrap_or_else(|_| panic!("seconds in {t:?}"));
            Duration::from_secs(m * 60) + Duration::from_secs_f64(s)
        })
        .sum()
}

#[test]
fn children_cpu_reads_bash_times() {
    assert_eq!(
        children_cpu("0m0.010s 0m0.002s\n1m0.500s 0m0.250s\n"),
        Duration::from_millis(60_750)
    );
    assert!(std::panic::catch_unwind(|| children_cpu("")).is_err());
}

/// A guide folder `guide/` in a fresh temporary folder, holding `files`.
fn guide(files: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("guide");
    for (rel, content) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folder");
        std::fs::write(&path, content).expect("write guide file");
    }
    (dir, root)
}

/// Converting `files` fails with exit 4, fast, within the memory cap, and stderr holds
/// every needle.
fn refused(files: &[(&str, &[u8])], needles: &[&str]) -> String {
    refused_within(files, needles, FAST)
}

/// [`refused`], within `bound`.
fn refused_within(files: &[(&str, &[u8])], needles: &[&str], bound: Duration) -> String {
    let (dir, root) = guide(files);
    let r = run_capped(
        dir.path(),
        &[root.to_str().expect("UTF-8 path"), "-n", "-q"],
    );
    assert_eq!(r.code, Some(4), "{needles:?}: {}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "{n:?} not in:\n{}", r.stderr);
    }
    assert!(r.took < bound, "{needles:?}: took {:?}", r.took);
    assert!(
        !r.stderr.contains("memory allocation") && !r.stderr.contains("overflow"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.len() < 4000,
        "errors stay short: {} bytes",
        r.stderr.len()
    );
    r.stderr
}

const VALUES: &str = "ms-x/values.yaml";

fn billion_laughs(seq: bool) -> String {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        let refs: Vec<String> = (0..10)
            .map(|k| {
                if seq {
                    format!("*a{p}")
                } else {
                    format!("k{k}: *a{p}")
                }
            })
            .collect();
        let (open, close) = if seq { ('[', ']') } else { ('{', '}') };
        text.push_str(&format!("a{i}: &a{i} {open}{}{close}\n", refs.join(", ")));
    }
    text
}

#[test]
fn billion_laughs_fail_fast_in_little_memory() {
    for seq in [true, false] {
        refused_within(
            &[(VALUES, billion_laughs(seq).as_bytes())],
            &[
                "ms-x/values.yaml:",
                &format!("aliases expand to more than {MAX_NODES} YAML nodes"),
            ],
            BOMB,
        );
    }
    // Merge keys expand aliases too.
    let mut text = String::from("a0: &a0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n");
    for i in 1..14 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i}\n  x: {{<<: *a{p}}}\n  y: {{<<: *a{p}}}\n  z: {{<<: *a{p}}}\n"
        ));
    }
    refused_within(
        &[(VALUES, text.as_bytes())],
        &["aliases expand to more than"],
        BOMB,
    );
}

#[test]
fn ten_thousand_levels_of_nesting_are_an_error_not_a_stack_overflow() {
    let n = 10_000;
    let depth = format!("nested deeper than {MAX_DEPTH} levels");
    for text in [
        format!("a: {}{}\n", "[".repeat(n), "]".repeat(n)),
        format!("a: {}x{}\n", "{b: ".repeat(n), "}".repeat(n)),
        format!("a:\n{}x\n", "- ".repeat(n)),
    ] {
        let err = refused(&[(VALUES, text.as_bytes())], &["ms-x/values.yaml:"]);
        assert!(
            err.contains(&depth) || err.contains("nested too deeply"),
            "{err}"
        );
    }
}

#[test]
fn file_and_guide_sizes_are_capped() {
    let big = vec![b'#'; MAX_FILE_BYTES as usize + 1];
    refused(
        &[(VALUES, &big)],
        &[&format!(
            "more than the {MAX_FILE_BYTES} a guide file may have"
        )],
    );
    // Five files under the file cap add up to more than the guide cap. (Mostly comment, so
    // the four files parsed before the fifth is refused cost little.)
    let each = (MAX_GUIDE_BYTES / 4) as usize - 1000;
    let filler = format!("#{}\nnote: 1\n", "x".repeat(each));
    let mut helmfile = String::from(
        "environments:\n  default: {}\n---\nreleases:\n  - name: ms\n    chart: llm-d-modelservice/llm-d-modelservice\n    values:\n",
    );
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..5 {
        helmfile.push_str(&format!("      - ms-x/v{i}.yaml\n"));
        files.push((format!("ms-x/v{i}.yaml"), filler.clone().into_bytes()));
    }
    files.push((VALUES.into(), b"decode: {}\n".to_vec()));
    files.push(("helmfile.yaml.gotmpl".into(), helmfile.into_bytes()));
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    refused_within(
        &files,
        &[&format!(
            "the guide's files add up to more than {MAX_GUIDE_BYTES} bytes"
        )],
        3 * FAST,
    );
}

/// Issue 13: the guide budget counts distinct files. One file of a quarter of the budget,
/// named five times by a release (as many environments name one shared file), converts;
/// five distinct files of that size (above) do not.
#[test]
fn the_guide_budget_counts_a_shared_file_once() {
    let each = (MAX_GUIDE_BYTES / 4) as usize - 1000;
    let filler = format!("#{}\nnote: 1\n", "x".repeat(each));
    let mut helmfile = String::from(
        "environments:\n  default: {}\n---\nreleases:\n  - name: ms\n    chart: llm-d-modelservice/llm-d-modelservice\n    values:\n",
    );
    for _ in 0..5 {
        helmfile.push_str("      - ms-x/shared.yaml\n");
    }
    let (dir, root) = guide(&[
        ("ms-x/shared.yaml", filler.as_bytes()),
        (VALUES, b"decode: {}\n"),
        ("helmfile.yaml.gotmpl", helmfile.as_bytes()),
    ]);
    let r = run_capped(
        dir.path(),
        &[root.to_str().expect("UTF-8 path"), "-n", "-q"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn documents_keys_and_nodes_are_counted() {
    refused(
        &[(VALUES, "---\n".repeat(1_000_000).as_bytes())],
        &["ms-x/values.yaml:2:1: a second YAML document starts here"],
    );
    let wide: String = (0..=MAX_KEYS).map(|i| format!("k{i}: {i}\n")).collect();
    refused(
        &[(VALUES, wide.as_bytes())],
        &[&format!("more than {MAX_KEYS} keys in one mapping")],
    );
    let long = format!("a: [{}]\n", vec!["x"; MAX_NODES + 1].join(","));
    refused(
        &[(VALUES, long.as_bytes())],
        &[&format!("more than {MAX_NODES} YAML nodes")],
    );
    // Many block scalars: each one's end is found without rescanning the file.
    let blocks: String = (0..9000).map(|i| format!("k{i}: >\n  x\n\n")).collect();
    let (dir, root) = guide(&[(VALUES, blocks.as_bytes())]);
    let r = run_capped(dir.path(), &[root.to_str().expect("path"), "-n", "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.took < 2 * FAST, "{:?}", r.took);
}

#[test]
fn duplicate_keys_say_which_and_where() {
    // Helm values: Helm keeps the last key silently, so the conversion does too, and says
    // which value was dropped (issue 10: read guides as Helm does).
    let (dir, root) = guide(&[(
        VALUES,
        b"decode:\n  replicas: 1\n  parallelism:\n    tensor: 2\n  replicas: 3\n",
    )]);
    let r = run_capped(dir.path(), &[root.to_str().expect("UTF-8 path"), "-n"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("decode.replicas (ms-x/values.yaml:2): replaced by ms-x/values.yaml:5"),
        "{}",
        r.stdout
    );
    // Kustomize files: `kubectl kustomize` refuses a duplicate key, and so does this.
    refused(
        &[
            ("kustomization.yaml", b"resources:\n- decode.yaml\n"),
            (
                "decode.yaml",
                b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n  replicas: 3\n",
            ),
        ],
        &[
            "decode.yaml:7:3: duplicate key \"replicas\" (first defined on line 6); keep one",
            "7 |   replicas: 3",
            "^",
        ],
    );
}

#[test]
fn encodings_binary_files_and_devices() {
    refused(
        &[(VALUES, b"a: caf\xe9\n")],
        &["not UTF-8 text (invalid byte at offset 6)"],
    );
    refused(
        &[(VALUES, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")],
        &["not UTF-8 text (invalid byte at offset 0)"],
    );
    refused(
        &[(VALUES, b"a: 1\n\0\0\0\x01binary")],
        &["ms-x/values.yaml:2:1: a NUL character: this looks like a binary file"],
    );
    refused(
        &[(VALUES, b"a: \x1b]0;pwned\x07\n")],
        &["ms-x/values.yaml:1:4: control character U+001B", "\\u{1b}"],
    );
    // Devices, as a guide, an experiment to check, or a treatment list.
    let dir = tempfile::tempdir().expect("temporary folder");
    for args in [
        &["/dev/zero", "-n", "-q"][..],
        &["check-experiment", "/dev/zero"],
        &[
            crate::common::crate_root()
                .join("examples/guides/small-scheduling")
                .to_str()
                .expect("path"),
            "-n",
            "--treatments",
            "/dev/zero",
            "varying",
            "decode_replicas",
            "from",
            "1",
            "to",
            "2",
        ],
    ] {
        let r = run_capped(dir.path(), args);
        assert_eq!(r.code, Some(4), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
        assert!(r.took < FAST);
    }
}

const SMALL: &str = "modelArtifacts:\n  name: Qwen/Qwen3-0.6B\ndecode:\n  replicas: 2\n  containers:\n  - name: vllm\n    args:\n      - \"--max-model-len\"\n      - \"8192\"\n";

/// The scenario of a values file, from stdout of a dry run.
fn scenario_of(text: &[u8]) -> String {
    let (dir, root) = guide(&[(VALUES, text)]);
    let r = run_capped(dir.path(), &[root.to_str().expect("path"), "-n"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    r.stdout
        .replace(dir.path().to_str().expect("UTF-8 path"), "TMP")
}

#[test]
fn byte_order_marks_and_crlf_line_endings_convert_as_plain_lf() {
    let plain = scenario_of(SMALL.as_bytes());
    assert!(plain.contains("export LLMDBENCH_DEPLOY_MODEL_LIST=Qwen/Qwen3-0.6B"));
    let bom = scenario_of(format!("\u{feff}{SMALL}").as_bytes());
    assert_eq!(bom, plain);
    let crlf = scenario_of(SMALL.replace('\n', "\r\n").as_bytes());
    assert_eq!(crlf, plain, "quoted lines lose their CR");
    refused(
        &[(VALUES, SMALL.replace('\n', "\r").as_bytes())],
        &["a carriage return without a line feed"],
    );
}

#[test]
fn tabs_in_indentation_are_named() {
    refused(
        &[(VALUES, b"decode:\n\treplicas: 2\n")],
        &["ms-x/values.yaml:2:", "replace the tab"],
    );
}

fn helmfile_guide(template: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "helmfile.yaml.gotmpl".into(),
            format!("environments:\n  default: {{}}\n---\n{template}").into_bytes(),
        ),
        (VALUES.into(), SMALL.as_bytes().to_vec()),
    ]
}

fn refused_helmfile(template: &str, needles: &[&str]) -> String {
    let files = helmfile_guide(template);
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    refused(&files, needles)
}

#[test]
fn helmfile_templates_are_bounded() {
    // Output doubling: each step is checked against the output cap.
    let mut t = String::from("{{ $x := \"0123456789abcdef\" }}");
    t.push_str(&"{{ $x = printf \"%s%s\" $x $x }}".repeat(40));
    refused_helmfile(&t, &["helmfile.yaml.gotmpl:", "larger than"]);
    let deep = format!(
        "{}x{}",
        "{{ if true }}".repeat(10_000),
        "{{ end }}".repeat(10_000)
    );
    refused_helmfile(&deep, &["nested deeper than"]);
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(10_000), ")".repeat(10_000));
    refused_helmfile(&parens, &["parentheses nested deeper than"]);
    // No template can call itself: define/template/block are refused, so recursion cannot
    // happen at all.
    for t in [
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
        "{{ block \"r\" . }}x{{ end }}",
        "{{ include \"r\" . }}",
        "{{ tpl \"{{ tpl . . }}\" . }}",
    ] {
        let (dir, root) = guide(
            &helmfile_guide(t)
                .iter()
                .map(|(p, c)| (p.as_str(), c.as_slice()))
                .collect::<Vec<_>>(),
        );
        let r = run_capped(dir.path(), &[root.to_str().expect("path"), "-n", "-q"]);
        assert!(r.took < FAST, "{t}: {:?}", r.took);
        assert!(
            matches!(r.code, Some(0 | 2 | 3 | 4)),
            "{t}: {:?} {}",
            r.code,
            r.stderr
        );
        assert!(!r.stderr.contains("overflow"), "{}", r.stderr);
    }
}

#[test]
fn reads_stay_inside_the_guides_repository() {
    let outside = tempfile::tempdir().expect("temporary folder");
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, "aws_secret_access_key: TOPSECRET\n").expect("write");
    // A values file that is a symbolic link out of the repository.
    let (dir, root) = guide(&[("gaie-x/values.yaml", b"a: 1\n")]);
    std::fs::create_dir_all(root.join("ms-x")).expect("folder");
    std::os::unix::fs::symlink(&secret, root.join(VALUES)).expect("symlink");
    let r = run_capped(dir.path(), &[root.to_str().expect("path"), "-n"]);
    assert_eq!(r.code, Some(4), "{}", r.stderr);
    assert!(
        r.stderr.contains("outside the guide's repository"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("TOPSECRET") && !r.stderr.contains("TOPSECRET"));
    // A helmfile climbing out with `../`.
    let climb = "../".repeat(40);
    let secret_rel = format!(
        "{climb}{}",
        secret.to_str().expect("path").trim_start_matches('/')
    );
    let template = format!(
        "releases:\n  - name: ms\n    chart: llm-d-modelservice/llm-d-modelservice\n    values:\n      - {secret_rel}\n"
    );
    let stderr = refused_helmfile(&template, &["outside the guide's repository"]);
    assert!(!stderr.contains("TOPSECRET"));
    // Naming the file itself is the user's choice, wherever it is.
    let r = run_capped(
        outside.path(),
        &[secret.to_str().expect("path"), "-n", "-q"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// Aliases let many values share the same long lines; the scenario quotes each line at most
/// 500 characters long and 20,000 lines in all, and aliases copy at most 16 MiB of text, so
/// what is shown stays proportional to the guide.
#[test]
fn output_stays_proportional_to_the_guide() {
    let val = "x".repeat(10_000);
    let mut text = String::from("base: &a\n");
    for i in 0..40 {
        text.push_str(&format!("  k{i}: {val}\n"));
    }
    for i in 0..38 {
        text.push_str(&format!("r{i}: *a\n"));
    }
    let (dir, root) = guide(&[(VALUES, text.as_bytes())]);
    let r = run_capped(dir.path(), &[root.to_str().expect("path"), "-n"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.len() < 4 * text.len(),
        "{} bytes shown for a guide of {}",
        r.stdout.len(),
        text.len()
    );
    assert!(r.took < FAST, "{:?}", r.took);
    // Past the copy budget, an error.
    let mut more = text.clone();
    for i in 38..60 {
        more.push_str(&format!("s{i}: *a\n"));
    }
    refused(
        &[(VALUES, more.as_bytes())],
        &["aliases copy more than 16777216 bytes of text"],
    );
}
