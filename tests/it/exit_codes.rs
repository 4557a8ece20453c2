//! Issue 13: the documented exit codes hold for hostile guides. Exit 2 is for the command
//! line only; a guide that cannot be used (a kustomize cycle, a helmfile that renders
//! invalid YAML, a build over its file count) is invalid input, exit 4.

use std::path::Path;
use std::process::Command;

use crate::common::repo;

/// `convert-guide GUIDE -n -q` from `cwd`: exit code and stderr.
fn convert(cwd: &Path, guide: &Path) -> (Option<i32>, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("convert-guide"))
        .arg(guide)
        .args(["-n", "-q"])
        .current_dir(cwd)
        .output()
        .expect("run convert-guide");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_kustomize_cycle_is_invalid_input() {
    let (dir, root) = repo(&[
        ("g/kustomization.yaml", "resources: [a]\n"),
        ("g/a/kustomization.yaml", "resources: [../b]\n"),
        ("g/b/kustomization.yaml", "resources: [../a]\n"),
    ]);
    let (code, err) = convert(dir.path(), &root.join("g"));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("in a cycle"), "{err}");
}

#[test]
fn a_kustomize_build_over_the_file_count_is_invalid_input() {
    let names: Vec<String> = (0..2001).map(|i| format!("r{i}.yaml")).collect();
    let kustomization = format!("resources: [{}]\n", names.join(", "));
    let mut files: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("g/{n}"), "# no resource\n".to_string()))
        .collect();
    files.push(("g/kustomization.yaml".into(), kustomization));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (dir, root) = repo(&files);
    let (code, err) = convert(dir.path(), &root.join("g"));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("more than 2000 files"), "{err}");
}

#[test]
fn a_helmfile_rendering_invalid_yaml_is_invalid_input() {
    let (dir, root) = repo(&[
        (
            "g/helmfile.yaml.gotmpl",
            "environments:\n  default: {}\n---\nreleases:\n  - name: {{ \"[unclosed\" }}\n",
        ),
        ("g/ms-g/values.yaml", "decode:\n  replicas: 2\n"),
    ]);
    let (code, err) = convert(dir.path(), &root.join("g"));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("is not valid YAML"), "{err}");
}

#[test]
fn usage_errors_keep_exit_2() {
    let (dir, root) = repo(&[("g/ms-g/values.yaml", "decode:\n  replicas: 2\n")]);
    let out = Command::new(assert_cmd::cargo::cargo_bin("convert-guide"))
        .arg(root.join("g"))
        .args(["-n", "-q", "--harness", "no-such-harness"])
        .current_dir(dir.path())
        .output()
        .expect("run convert-guide");
    assert_eq!(out.status.code(), Some(2));
}
