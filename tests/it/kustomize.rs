//! Kustomize guides: the in-process build against `kubectl kustomize` (the oracle), and the
//! conversion of every overlay.

use std::path::{Path, PathBuf};
use std::process::Command;

use convert_guide::kustomize::{self, Options};
use convert_guide::source;
use convert_guide::yaml;

use crate::common;

/// Folders holding a kustomization under `root`, relative to it, sorted.
fn kustomization_dirs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "kustomization.yaml") {
                let rel = dir.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Every overlay of the corpus: (guides folder, overlay relative to it).
fn corpus_overlays() -> Vec<(PathBuf, String)> {
    let guides = common::corpus_guides();
    let mut out = Vec::new();
    for g in ["wide-ep-lws", "tiered-prefix-cache", "recipes"] {
        for d in kustomization_dirs(&guides.join(g)) {
            out.push((guides.clone(), format!("{g}/{d}")));
        }
    }
    out
}

/// Fixture overlays: each folder of tests/fixtures/kustomize with a kustomization at its root.
fn fixture_overlays() -> Vec<(PathBuf, String)> {
    let root = common::crate_root().join("tests/fixtures/kustomize");
    let mut out = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("kustomization.yaml").is_file())
        .collect();
    cases.sort();
    for c in cases {
        let name = c
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        out.push((root.clone(), name));
    }
    out
}

/// `kubectl kustomize DIR`, or `None` (with a notice) when kubectl is not installed.
fn kubectl(dir: &Path) -> Option<Result<String, String>> {
    let out = match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(o) => o,
        Err(_) => {
            eprintln!(
                "SKIPPED: `kubectl` is not on PATH; the kustomize builds are not compared with kubectl's"
            );
            return None;
        }
    };
    Some(if out.status.success() {
        Ok(String::from_utf8(out.stdout).expect("UTF-8"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    })
}

/// Our build of `rel` under `root`, as canonical data per resource.
fn ours(root: &Path, rel: &str) -> Result<Vec<String>, String> {
    let opened = source::open_local(root).expect("open");
    let build = kustomize::build(opened.source.as_ref(), rel, Options::default())
        .map_err(|e| e.to_string())?;
    Ok(build
        .resources
        .iter()
        .map(|r| kustomize::canonical(&r.node))
        .collect())
}

fn theirs(text: &str) -> Vec<String> {
    yaml::parse("kubectl", text)
        .expect("kubectl output is YAML")
        .iter()
        .filter(|d| !d.root.is_null())
        .map(|d| kustomize::canonical(&d.root))
        .collect()
}

fn compare(root: &Path, rel: &str) {
    let Some(expected) = kubectl(&root.join(rel)) else {
        return;
    };
    let got = ours(root, rel);
    match (expected, got) {
        (Ok(text), Ok(got)) => {
            let want = theirs(&text);
            assert_eq!(got.len(), want.len(), "{rel}: number of resources\n{text}");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{rel}: resource {i} differs from kubectl's\n{text}");
            }
        }
        (Err(why), Ok(_)) => panic!("{rel}: kubectl fails ({why}) but our build succeeds"),
        (Ok(_), Err(why)) => panic!("{rel}: our build fails: {why}"),
        (Err(_), Err(_)) => {}
    }
}

#[test]
fn corpus_overlays_build_as_kubectl_builds_them() {
    let overlays = corpus_overlays();
    assert_eq!(overlays.len(), 16, "{overlays:?}");
    for (root, rel) in overlays {
        compare(&root, &rel);
    }
}

#[test]
fn fixture_overlays_build_as_kubectl_builds_them() {
    for (root, rel) in fixture_overlays() {
        compare(&root, &rel);
    }
}
