//! Issue 14: the error kind decides the exit code, and the library never answers "usage".
//! Exit 2 is for what the command line asks (flags, the words after the source, option
//! values); a file that cannot be used (a guide, a treatments list, a checkout) is exit 4
//! whoever named it. Each case checks the code and the message that says what to fix.

use std::path::Path;
use std::process::Command;

use crate::common::repo;

/// `convert-guide ARGS -n -q` from `cwd`: exit code and stderr.
fn run(cwd: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("convert-guide"))
        .args(args)
        .args(["-n", "-q"])
        .current_dir(cwd)
        .output()
        .expect("run convert-guide");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const VALUES: (&str, &str) = ("g/ms-g/values.yaml", "decode:\n  replicas: 2\n");

#[test]
fn a_helmfile_naming_a_missing_values_file_is_invalid_input() {
    let (dir, root) = repo(&[
        (
            "g/helmfile.yaml.gotmpl",
            "environments:\n  default: {}\n---\nreleases:\n  - name: ms-g\n    chart: llm-d-modelservice/llm-d-modelservice\n    values:\n      - ms-g/values.yaml\n      - ms-g/missing.yaml\n",
        ),
        VALUES,
    ]);
    let guide = root.join("g");
    let (code, err) = run(dir.path(), &[guide.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("the helmfile names values file ms-g/missing.yaml, which cannot be read"),
        "{err}"
    );
}

#[test]
fn a_kustomization_naming_a_folder_without_one_is_invalid_input() {
    let (dir, root) = repo(&[
        ("g/kustomization.yaml", "resources: [base]\n"),
        ("g/base/deployment.yaml", "kind: Deployment\n"),
    ]);
    let guide = root.join("g");
    let (code, err) = run(dir.path(), &[guide.to_str().expect("utf-8 path")]);
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("no kustomization.yaml in this folder"),
        "{err}"
    );
}

#[test]
fn a_checkout_without_profiles_is_invalid_input_and_a_folder_without_env_sh_is_usage() {
    let (dir, root) = repo(&[
        VALUES,
        ("bench/setup/env.sh", "export A=1\n"),
        ("bench/workload/profiles/h/notes.txt", "not a profile\n"),
    ]);
    let guide = root.join("g");
    let guide = guide.to_str().expect("utf-8 path");
    let bench = root.join("bench");
    let (code, err) = run(
        dir.path(),
        &[guide, "--bench-dir", bench.to_str().expect("utf-8 path")],
    );
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("holds no workload profiles"), "{err}");
    let (code, err) = run(dir.path(), &[guide, "--bench-dir", guide]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not an llm-d-benchmark checkout"), "{err}");
}

#[test]
fn what_the_command_line_asks_for_is_exit_2_with_its_message() {
    let (dir, root) = repo(&[VALUES]);
    let guide = root.join("g");
    let guide = guide.to_str().expect("utf-8 path");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--variant", "xpu"],
            "variant \"xpu\": this guide has no helmfile",
        ),
        (
            &["varying", "decode_replicas"],
            "`varying decode_replicas` then nothing",
        ),
        (&["with"], "`with` needs a harness"),
        (
            &["--vary", "decode_replicas=0..2/0"],
            "range step of decode_replicas is zero",
        ),
        (
            &["--design", "random", "--vary", "decode_replicas=1,2"],
            "unknown design \"random\"",
        ),
        (&["--harness", "nop", "with", "guidellm"], "not both"),
        (&["--name", "../x"], "invalid name \"../x\""),
        (
            &["--timeout", "0"],
            "--timeout 0: expected a positive number of seconds",
        ),
        (
            &["varying", "no_such_thing", "over", "1,2"],
            "unknown parameter \"no_such_thing\"",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec![guide];
        all.extend_from_slice(args);
        let (code, err) = run(dir.path(), &all);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn a_request_error_keeps_its_hint_on_the_next_line() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (code, err) = run(dir.path(), &["http://example.com/guides/x/values.yaml"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "error: http://example.com: plain http is refused\n  hint: use https (http is allowed only for loopback addresses such as 127.0.0.1)\n"
    );
}
