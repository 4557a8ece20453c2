//! Template evaluation is bounded by work, not only by size: a helmfile whose template
//! repeats `toYaml` of a large environment and discards every result stops at the work
//! budget with the place of the action (exit 4), and converting every variant (`--all`,
//! `--list-variants`) shares one budget instead of spending one per environment.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const ENVIRONMENTS: [&str; 4] = ["default", "e1", "e2", "e3"];

/// A guide whose environments all load a 256 KiB values file, and whose template (the rest of
/// a 1 MiB helmfile) copies and `toYaml`s it over and over, keeping nothing.
fn hostile_guide() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("guide");
    std::fs::create_dir_all(root.join("ms-x")).expect("create guide");
    let big: String = (0..2_500)
        .map(|i| format!("key{i}: {}\n", "v".repeat(100)))
        .collect();
    std::fs::write(root.join("big.yaml"), big).expect("write values");
    std::fs::write(root.join("ms-x/values.yaml"), "decode:\n  replicas: 1\n")
        .expect("write values");
    let mut helmfile = String::from("environments:\n");
    for e in ENVIRONMENTS {
        helmfile.push_str(&format!("  {e}:\n    values:\n      - big.yaml\n"));
    }
    helmfile.push_str("---\n{{ $x := \"\" }}\n");
    let step = "{{ $x = toYaml .Values }}\n";
    let room = (1 << 20) - helmfile.len() - 20;
    helmfile.push_str(&step.repeat(room / step.len()));
    helmfile.push_str("releases: []\n");
    assert!(helmfile.len() <= 1 << 20, "a 1 MiB helmfile");
    std::fs::write(root.join("helmfile.yaml.gotmpl"), helmfile).expect("write helmfile");
    (dir, root)
}

fn run(cwd: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("convert-guide")
        .expect("binary")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run convert-guide");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The template line a "stopped" message names, checked to be one of the repeated actions.
fn stopped_at(message: &str) -> usize {
    let rest = message
        .split("helmfile.yaml.gotmpl:")
        .nth(1)
        .unwrap_or_else(|| panic!("no file:line in {message}"));
    let line: usize = rest
        .split(':')
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("no line in {message}"));
    // Lines 1-13 are the environments, 14 `---`, 15 the declaration, 16 the first copy.
    assert!(line > 16, "{message}");
    assert!(message.contains("template evaluation stopped"), "{message}");
    assert!(message.contains("bytes copied or produced"), "{message}");
    line
}

#[test]
fn a_template_repeating_to_yaml_of_a_large_environment_stops_at_the_work_budget() {
    let (dir, root) = hostile_guide();
    let (code, _, stderr) = run(dir.path(), &[root.to_str().expect("path"), "-n", "-q"]);
    assert_eq!(code, Some(4), "{stderr}");
    stopped_at(&stderr);
}

#[test]
fn every_variant_together_spends_one_budget() {
    let (dir, root) = hostile_guide();
    let root = root.to_str().expect("path");
    let (code, stdout, stderr) = run(dir.path(), &[root, "--list-variants"]);
    assert_eq!(code, Some(0), "{stderr}");
    for e in ENVIRONMENTS {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(e))
            .unwrap_or_else(|| panic!("no row for {e}: {stdout}"));
        // Each environment has a quarter of the budget: each stops earlier than one alone.
        stopped_at(row);
    }
    let out = tempfile::tempdir().expect("output folder");
    let (code, stdout, stderr) = run(
        dir.path(),
        &[
            root,
            "--all",
            "-n",
            "--out",
            out.path().to_str().expect("path"),
        ],
    );
    assert_eq!(code, Some(9), "{stdout}{stderr}");
    let shown = format!("{stdout}{stderr}");
    assert_eq!(
        shown.matches("template evaluation stopped").count(),
        ENVIRONMENTS.len(),
        "{shown}"
    );
}
