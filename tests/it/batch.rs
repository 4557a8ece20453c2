//! Issue 13: batch semantics of `--all`. Variants that map to one output name are refused
//! together; one unreadable or escaping entry is reported and the rest convert; a scenario
//! and its experiment are written both or neither.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VALUES: &str = "modelArtifacts:\n  name: Qwen/Qwen3-0.6B\ndecode:\n  replicas: 2\n";

/// Files under `dir`.
fn write(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folder");
        std::fs::write(&path, text).expect("write");
    }
}

/// `convert-guide SOURCE --all --out OUT ARGS` from `cwd`.
fn all(cwd: &Path, source: &Path, out: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("convert-guide"))
        .arg(source)
        .arg("--all")
        .arg("--out")
        .arg(out)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run convert-guide")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scenarios(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join("scenarios/guides"))
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn colliding_output_names_are_refused_together() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let guides = dir.path().join("guides");
    let helmfile = "environments:\n  default: {}\n  GKE: {}\n  gke: {}\n---\nreleases:\n  - name: ms\n    chart: llm-d-modelservice/llm-d-modelservice\n    values:\n      - ms-v/values.yaml\n";
    write(
        &guides,
        &[
            ("My Guide/ms-a/values.yaml", VALUES),
            ("my-guide/ms-b/values.yaml", VALUES),
            ("variants/ms-v/values.yaml", VALUES),
            ("variants/helmfile.yaml.gotmpl", helmfile),
            ("fine/ms-f/values.yaml", VALUES),
        ],
    );
    let out = dir.path().join("out");
    let r = all(dir.path(), &guides, &out, &["--yes"]);
    let (stdout, stderr) = (text(&r.stdout), text(&r.stderr));
    assert_eq!(r.status.code(), Some(9), "{stdout}\n{stderr}");
    // Each colliding item fails and names the other.
    assert!(
        stdout.contains("output name \"my-guide\" is shared by"),
        "{stdout}"
    );
    assert!(
        stdout.contains("output name \"variants.gke\" is shared by"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("FAILED").count(), 4, "{stdout}");
    // Neither of a colliding pair is written; the others are.
    assert_eq!(scenarios(&out), ["fine.sh", "variants.sh"], "{stdout}");
}

#[cfg(unix)]
#[test]
fn an_entry_escaping_the_repository_is_reported_and_the_rest_convert() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let guides = dir.path().join("guides");
    write(&guides, &[("good/ms-g/values.yaml", VALUES)]);
    // A guide outside the repository, reached through a symbolic link.
    write(dir.path(), &[("elsewhere/evil/ms-e/values.yaml", VALUES)]);
    std::os::unix::fs::symlink(dir.path().join("elsewhere/evil"), guides.join("evil"))
        .expect("symlink");
    // An entry that cannot be read at all.
    write(&guides, &[("locked/ms-l/values.yaml", VALUES)]);
    let locked = guides.join("locked");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000))
        .expect("chmod");
    let readable_anyway = std::fs::read_dir(&locked).is_ok(); // root reads everything
    let out = dir.path().join("out");
    let r = all(dir.path(), &guides, &out, &["--yes"]);
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod back");
    let (stdout, stderr) = (text(&r.stdout), text(&r.stderr));
    assert_eq!(r.status.code(), Some(9), "{stdout}\n{stderr}");
    let evil = stdout
        .lines()
        .find(|l| l.starts_with("evil "))
        .unwrap_or_else(|| panic!("no row for evil:\n{stdout}"));
    assert!(
        evil.contains("FAILED") && evil.contains("outside the guide's repository"),
        "{evil}"
    );
    let mut expected: Vec<PathBuf> = vec!["good.sh".into()];
    if readable_anyway {
        expected.push("locked.sh".into());
    } else {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("locked ") && l.contains("FAILED")),
            "{stdout}"
        );
    }
    let got: Vec<PathBuf> = scenarios(&out).into_iter().map(PathBuf::from).collect();
    assert_eq!(got, expected, "{stdout}");
}

#[test]
fn all_writes_a_scenario_and_its_experiment_both_or_neither() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let guides = dir.path().join("guides");
    write(&guides, &[("g/ms-g/values.yaml", VALUES)]);
    let out = dir.path().join("out");
    let sweep = [
        "--yes",
        "varying",
        "decode_replicas",
        "from",
        "1",
        "to",
        "2",
    ];
    let r = all(dir.path(), &guides, &out, &sweep);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let scenario = out.join("scenarios/guides/g.sh");
    let experiment = out.join("experiments/g.yaml");
    assert!(scenario.is_file() && experiment.is_file());
    // The experiment was edited and the scenario removed: without --force the experiment
    // is kept, so the scenario is not written alone.
    std::fs::write(&experiment, "# edited by hand\n").expect("edit");
    std::fs::remove_file(&scenario).expect("remove");
    let r = all(dir.path(), &guides, &out, &sweep);
    let stderr = text(&r.stderr);
    assert_eq!(r.status.code(), Some(9), "{stderr}");
    assert!(stderr.contains("its pair not written"), "{stderr}");
    assert!(
        !scenario.exists(),
        "the scenario was written without its experiment"
    );
    assert_eq!(
        std::fs::read_to_string(&experiment).expect("experiment"),
        "# edited by hand\n"
    );
}
