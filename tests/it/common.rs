//! Shared test helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use convert_guide::convert::{self, Conversion, Request};
use convert_guide::{load::source, read::guide};

/// The crate root (where Cargo.toml is).
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The llm-d guides of the corpus snapshot (`../shared/corpus/...` beside the crate).
pub fn corpus_guides() -> PathBuf {
    crate_root().join("../shared/corpus/llm-d/2026-02-05/guides")
}

/// The fake llm-d-benchmark checkout.
pub fn fixture_bench() -> PathBuf {
    crate_root().join("tests/fixtures/bench")
}

/// The corpus guides deployed with Helm (ms-*/ and gaie-*/ values, helmfile).
pub const HELM_GUIDES: &[&str] = &[
    "inference-scheduling",
    "pd-disaggregation",
    "precise-prefix-cache-aware",
    "simulated-accelerators",
    "workload-autoscaling",
];

/// One conversion input of the corpus tests.
#[derive(Debug, Clone)]
pub struct Case {
    /// Snapshot name: `scenario__<guide>` or `values__<guide>__<dir>__<file stem>`.
    pub label: String,
    pub input: PathBuf,
    /// The guide root: origins' `file` is relative to it.
    pub root: PathBuf,
    /// The helmfile environment (None: the default).
    pub variant: Option<String>,
}

/// Every Helm guide folder, every ms-*/gaie-* values file of them, and the bundled example.
pub fn corpus_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for g in HELM_GUIDES {
        let root = corpus_guides().join(g);
        cases.push(Case {
            label: format!("scenario__{g}"),
            input: root.clone(),
            root: root.clone(),
            variant: None,
        });
        let opened = source::open_local(&root).expect("open guide");
        for v in guide::variants(&opened).expect("variants") {
            // Variants the guide itself cannot render (see variants.rs) are left out.
            if v == "default" || guide::build(&opened, Some(&v)).is_err() {
                continue;
            }
            cases.push(Case {
                label: format!("variant__{g}__{v}"),
                input: root.clone(),
                root: root.clone(),
                variant: Some(v),
            });
        }
    }
    for file in values_files() {
        let dir = file.parent().expect("values file has a folder");
        let root = dir
            .parent()
            .expect("values folder has a guide")
            .to_path_buf();
        let name = |p: &Path| {
            p.file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 name")
                .to_string()
        };
        let stem = name(&file.with_extension(""));
        cases.push(Case {
            label: format!("values__{}__{}__{stem}", name(&root), name(dir)),
            input: file.clone(),
            root,
            variant: None,
        });
    }
    let example = crate_root().join("examples/guides/small-scheduling");
    cases.push(Case {
        label: "scenario__example-small-scheduling".into(),
        input: example.clone(),
        root: example,
        variant: None,
    });
    cases
}

/// `ms-*/*.yaml` and `gaie-*/*.yaml` of the Helm guides, sorted.
pub fn values_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for g in HELM_GUIDES {
        let root = corpus_guides().join(g);
        let dirs =
            std::fs::read_dir(&root).unwrap_or_else(|e| panic!("read {}: {e}", root.display()));
        for d in dirs {
            let d = d.expect("dir entry").path();
            let dname = d.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !(d.is_dir() && (dname.starts_with("ms-") || dname.starts_with("gaie-"))) {
                continue;
            }
            for f in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
                let f = f.expect("dir entry").path();
                if f.extension().is_some_and(|x| x == "yaml") {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

/// Convert with llm-d-benchmark's built-in defaults (no checkout above the cwd).
pub fn convert_builtin(input: &Path) -> Conversion {
    convert_variant(input, None)
}

/// Convert a case (its variant) with the built-in defaults.
pub fn convert_case(case: &Case) -> Conversion {
    convert_variant(&case.input, case.variant.as_deref())
}

pub fn convert_variant(input: &Path, variant: Option<&str>) -> Conversion {
    let cwd = tempfile::tempdir().expect("temp dir");
    convert::convert(&Request {
        input: input.to_path_buf(),
        cwd: cwd.path().to_path_buf(),
        variant: variant.map(str::to_string),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("convert {} {variant:?}: {e}", input.display()))
}

/// The guide model a case converts (the trees the mapper maps, and their files).
pub fn model_of(case: &Case) -> guide::Model {
    let opened = source::open_local(&case.input).expect("open");
    guide::build(&opened, case.variant.as_deref()).unwrap_or_else(|e| panic!("{}: {e}", case.label))
}

/// The modelservice values files a case uses, relative to its guide root.
pub fn ms_files(case: &Case) -> Vec<String> {
    model_of(case)
        .used
        .into_iter()
        .filter(|(c, _)| *c == convert_guide::read::helmfile::Chart::ModelService)
        .map(|(_, f)| f)
        .collect()
}

/// The text with the crate root's absolute path removed, for snapshots stable across machines.
pub fn stable(text: &str) -> String {
    text.replace(&format!("{}/", crate_root().display()), "")
}

/// `sh`-style word splitting (no expansion): quotes and backslashes removed, `;` its own word.
pub fn sh_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                words.extend(cur.take());
            }
            ';' => {
                words.extend(cur.take());
                words.push(";".into());
            }
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(n @ ('$' | '`' | '"' | '\\')) => w.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                w.push('\\');
                                w.push(n);
                            }
                            None => w.push('\\'),
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(n) => cur.get_or_insert_with(String::new).push(n),
                None => {}
            },
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    words
}

/// The corpus guides deployed with kustomize (overlays of manifests, no helmfile).
pub const KUSTOMIZE_GUIDES: &[&str] = &["wide-ep-lws", "tiered-prefix-cache"];

/// Every variant (overlay) of the kustomize guides, labelled `kustomize__<guide>.<variant>`.
pub fn kustomize_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for g in KUSTOMIZE_GUIDES {
        let root = corpus_guides().join(g);
        let opened = source::open_local(&root).expect("open guide");
        for v in guide::variants(&opened).expect("variants") {
            cases.push(Case {
                label: format!("kustomize__{g}.{v}"),
                input: root.clone(),
                root: root.clone(),
                variant: Some(v),
            });
        }
    }
    cases
}

/// Whether `tool` (bash, shellcheck, kubectl, python3, ...) can be run, for a test that
/// needs it. Every test that needs a tool asks here, so none passes by accident:
/// - present: `true`;
/// - missing with `CI=true` (or `CI=1`): the test FAILS (panics) naming the tool, since CI
///   (`.ci/run`) installs every tool the tests need;
/// - missing locally: prints `IGNORED: ...` with the reason and returns `false`, and the
///   caller returns early (stable Rust cannot mark a test ignored at run time; the line
///   says that it was).
pub fn require_tool(tool: &str, why: &str) -> bool {
    let probe: &[&str] = match tool {
        "kubectl" => &["version", "--client"],
        _ => &["--version"],
    };
    let found = std::process::Command::new(tool)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        v == "true" || v == "1"
    });
    assert!(
        !ci,
        "`{tool}` is not on PATH and CI is set: {why}; .ci/run must install it"
    );
    eprintln!("IGNORED: `{tool}` is not on PATH, so {why} (with CI=true this fails)");
    false
}

/// Copy the folder `from` to `to`, recursively (a guide to change in a test).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        }
    }
}

/// A repository `repo/` (with `.git`, so reads are confined to it) holding `files`; returns
/// the temporary folder and the repository root.
pub fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).expect("create .git");
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create folder");
        std::fs::write(&path, text).expect("write guide file");
    }
    (dir, root)
}
