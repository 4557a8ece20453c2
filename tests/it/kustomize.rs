//! Kustomize guides: the in-process build against `kubectl kustomize` (the oracle), and the
//! conversion of every overlay.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use convert_guide::load::source;
use convert_guide::read::kustomize::{self, Options};
use convert_guide::read::yaml;

use crate::common;

/// Folders holding a kustomization under `root`, relative to it, sorted.
pub(crate) fn kustomization_dirs(root: &Path) -> Vec<String> {
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
    if !crate::common::require_tool(
        "kubectl",
        "the kustomize builds are not compared with kubectl's",
    ) {
        return None;
    }
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl kustomize");
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

pub(crate) fn compare(root: &Path, rel: &str) {
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

/// Error fixtures: each folder of tests/fixtures/kustomize-errors fails to build, with the
/// message in its `expect.txt`; kubectl fails too, unless the folder says `kubectl-succeeds`
/// (a kustomize feature this build refuses, clearly) or `no-kubectl` (it would need a network).
#[test]
fn error_fixtures_fail_clearly() {
    let root = common::crate_root().join("tests/fixtures/kustomize-errors");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("expect.txt").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "{cases:?}");
    for case in cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let expected = std::fs::read_to_string(case.join("expect.txt")).expect("expect.txt");
        let err = match ours(&root, &name) {
            Ok(_) => panic!("{name}: our build succeeds, expected {expected:?}"),
            Err(e) => e,
        };
        assert!(err.contains(expected.trim()), "{name}: {err}");
        // Errors name a file and line, or the folder, and never panic.
        assert!(err.contains(':'), "{name}: {err}");
        if case.join("no-kubectl").exists() {
            continue;
        }
        if let Some(theirs) = kubectl(&case) {
            let kubectl_ok = theirs.is_ok();
            assert_eq!(
                kubectl_ok,
                case.join("kubectl-succeeds").exists(),
                "{name}: kubectl {}",
                if kubectl_ok { "succeeds" } else { "fails" }
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Builds keep provenance

/// Every scalar of every corpus build cites lines of a real file, and (but for values a
/// kustomization's transformers wrote, such as `images`) those lines show it.
#[test]
fn built_values_cite_the_lines_that_hold_them() {
    for (root, rel) in corpus_overlays() {
        let opened = source::open_local(&root).expect("open");
        let build = kustomize::build(opened.source.as_ref(), &rel, Options::default())
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut seen = std::collections::HashSet::new();
        for r in &build.resources {
            r.node.walk(|n| {
                assert!(seen.insert(n.id), "{rel}: node id {} twice", n.id);
                let doc = &build.sources[n.src];
                let lines = doc.lines(n.line, n.end_line);
                assert!(
                    n.line >= 1 && n.line <= n.end_line && lines.len() == n.end_line - n.line + 1,
                    "{rel}: {}:{}-{} is not in the file",
                    doc.file,
                    n.line,
                    n.end_line
                );
                let Some(value) = n.as_str() else {
                    return;
                };
                let first = value.lines().next().unwrap_or("").trim().replace('\\', "");
                let first = first.as_str();
                // Quoted YAML escapes quotes and backslashes.
                let shown = lines.join("\n").replace('\\', "");
                let transformer =
                    doc.file.ends_with("kustomization.yaml") && !shown.contains(first);
                assert!(
                    shown.contains(first) || (transformer && shown.contains("name")),
                    "{rel}: {first:?} not on {}:{}-{}: {shown:?}",
                    doc.file,
                    n.line,
                    n.end_line
                );
            });
        }
    }
}

/// A value a patch set cites the patch, not the base.
#[test]
fn patched_values_cite_the_patch() {
    let guides = common::corpus_guides();
    let opened = source::open_local(&guides).expect("open");
    let build = kustomize::build(
        opened.source.as_ref(),
        "wide-ep-lws/manifests/modelserver/gke-a4",
        Options::default(),
    )
    .expect("build");
    let decode = build
        .resources
        .iter()
        .find(|r| r.id().name == "wide-ep-llm-d-decode")
        .expect("decode");
    let env = decode
        .node
        .at("spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].env")
        .and_then(yaml::Node::as_seq)
        .expect("env");
    let kv = env
        .iter()
        .find(|e| e.get("name").and_then(yaml::Node::as_str) == Some("KV_CACHE_MEMORY_BYTES"))
        .expect("the gke-a4 env entry");
    let doc = &build.sources[kv.src];
    assert_eq!(
        doc.file,
        "wide-ep-lws/manifests/modelserver/gke-a4/kustomization.yaml"
    );
    assert_eq!((kv.line, kv.end_line), (15, 16));
    let privileged = decode
        .node
        .at("spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].securityContext.privileged")
        .expect("privileged");
    assert_eq!(
        build.sources[privileged.src].file,
        "wide-ep-lws/manifests/modelserver/gke/kustomization.yaml"
    );
    assert_eq!(privileged.line, 72);
    // The base's value of a replaced volume is reported as replaced, citing the patch.
    assert!(
        build.overridden.iter().any(|o| o
            .path
            .ends_with("spec.leaderWorkerTemplate.workerTemplate.spec.volumes[1]")
            && build.sources[o.by.src]
                .file
                .ends_with("gke/kustomization.yaml")),
        "{:?}",
        build.overridden.iter().map(|o| &o.path).collect::<Vec<_>>()
    );
}

/// Remote resources go through the fetcher convert-guide gives (the remote sources); here an
/// in-memory source stands in for GitHub.
#[test]
fn remote_resources_use_the_fetcher() {
    struct Memory(Vec<(&'static str, &'static str)>);
    impl convert_guide::load::source::Source for Memory {
        fn origin(&self) -> String {
            "memory".into()
        }
        fn read(&self, rel: &str) -> convert_guide::Result<String> {
            self.0
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| convert_guide::Error::NotFound { path: rel.into() })
        }
        fn list(&self, rel: &str) -> convert_guide::Result<Vec<String>> {
            let prefix = if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
            let mut out: Vec<String> = self
                .0
                .iter()
                .filter_map(|(p, _)| p.strip_prefix(&prefix))
                .map(|rest| match rest.split_once('/') {
                    Some((dir, _)) => format!("{dir}/"),
                    None => rest.to_string(),
                })
                .collect();
            out.sort();
            out.dedup();
            Ok(out)
        }
    }
    let local = Memory(vec![(
        "kustomization.yaml",
        "resources:\n- https://github.com/o/r//deploy?ref=v1\nnamePrefix: x-\n",
    )]);
    let asked = std::cell::RefCell::new(Vec::new());
    let fetch = |url: &str| -> convert_guide::Result<source::Opened> {
        asked.borrow_mut().push(url.to_string());
        Ok(source::Opened {
            name: "deploy".into(),
            source: Box::new(Memory(vec![
                ("kustomization.yaml", "resources: [d.yaml]\n"),
                (
                    "d.yaml",
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
                ),
            ])),
            entry: source::Entry::Folder,
        })
    };
    let build = kustomize::build(
        &local,
        "",
        Options {
            fetch: Some(&fetch),
        },
    )
    .expect("build");
    assert_eq!(
        asked.borrow().as_slice(),
        ["https://github.com/o/r/tree/v1/deploy"]
    );
    assert_eq!(build.resources.len(), 1);
    assert_eq!(build.resources[0].id().name, "x-cm");
    let src = build.resources[0].node.get("kind").map_or(0, |n| n.src);
    assert!(
        build.sources[src]
            .file
            .starts_with("https://github.com/o/r/tree/v1/deploy")
    );
    let err = kustomize::build(&local, "", Options::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("remote resources are fetched only when converting"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// Conversions of every variant

use convert_guide::convert::{self, Conversion};
use convert_guide::model::scenario::Value;
use convert_guide::read::guide;

use crate::common::Case;
use crate::corpus::{all_origins, file_lines};

fn conversions() -> Vec<(Case, Conversion)> {
    common::kustomize_cases()
        .into_iter()
        .map(|c| {
            let conv = common::convert_case(&c);
            (c, conv)
        })
        .collect()
}

#[test]
fn variants_are_the_overlays_that_run_a_model() {
    let names = |g: &str| {
        let opened = source::open_local(&common::corpus_guides().join(g)).expect("open");
        guide::overlays(&opened)
            .expect("overlays")
            .into_iter()
            .map(|o| format!("{} {}", o.name, o.dir))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("wide-ep-lws"),
        [
            "default manifests/modelserver/base",
            "coreweave manifests/modelserver/coreweave",
            "gke manifests/modelserver/gke",
            "gke-a4 manifests/modelserver/gke-a4",
        ]
    );
    // cpu/manifests/vllm/base runs vLLM without a model: a base, not a variant.
    assert_eq!(
        names("tiered-prefix-cache"),
        [
            "cpu-lmcache-connector cpu/manifests/vllm/lmcache-connector",
            "cpu-offloading-connector cpu/manifests/vllm/offloading-connector",
            "storage-llm-d-fs-connector storage/manifests/vllm/llm-d-fs-connector",
            "storage-lmcache-connector storage/manifests/vllm/lmcache-connector",
        ]
    );
    let opened =
        source::open_local(&common::corpus_guides().join("tiered-prefix-cache")).expect("open");
    let rows = convert::list_variants(&opened).expect("list");
    let gaie: Vec<String> = rows
        .iter()
        .map(|(v, used)| {
            let used = used.as_ref().unwrap_or_else(|e| panic!("{v}: {e}"));
            used.iter()
                .find(|(c, _)| *c == convert_guide::read::helmfile::Chart::Gaie)
                .map(|(_, f)| f.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        gaie,
        [
            "cpu/manifests/inferencepool/values.yaml",
            "cpu/manifests/inferencepool/values.yaml",
            "../recipes/inferencepool/values.yaml",
            "cpu/manifests/inferencepool/values.yaml",
        ]
    );
}

#[test]
fn names_carry_the_variant() {
    let got: Vec<String> = conversions().into_iter().map(|(_, c)| c.name).collect();
    assert_eq!(
        got,
        [
            "wide-ep-lws",
            "wide-ep-lws.coreweave",
            "wide-ep-lws.gke",
            "wide-ep-lws.gke-a4",
            "tiered-prefix-cache.cpu-lmcache-connector",
            "tiered-prefix-cache.cpu-offloading-connector",
            "tiered-prefix-cache.storage-llm-d-fs-connector",
            "tiered-prefix-cache.storage-lmcache-connector",
        ]
    );
}

#[test]
fn scenario_snapshots_per_variant() {
    for (case, conv) in conversions() {
        insta::assert_snapshot!(case.label.as_str(), common::stable(&conv.scenario_text));
    }
}

#[test]
fn origins_quote_the_real_lines() {
    for (case, conv) in conversions() {
        let mut cache = HashMap::new();
        for (what, o) in all_origins(&conv.scenario) {
            let ctx = format!(
                "{}: {what} from {}:{}-{}",
                case.label, o.file, o.first, o.last
            );
            assert!(o.first >= 1 && o.first <= o.last, "{ctx}: bad range");
            let lines = file_lines(&case.root, &o.file, &mut cache);
            assert!(o.last <= lines.len(), "{ctx}: past the end of the file");
            assert_eq!(o.lines, lines[o.first - 1..o.last].to_vec(), "{ctx}");
        }
        // An export without a note shows its value in the lines it cites (or an env entry,
        // a flag, an image split in parts).
        for e in &conv.scenario.exports {
            if let (Value::Text(v), None) = (&e.value, &e.note) {
                if e.origins.is_empty() || v == "docker.io" {
                    continue;
                }
                assert!(
                    e.origins.iter().any(|o| o.lines.iter().any(|l| l.contains(v.as_str())
                        // A key set by a JSON 6902 path is escaped there (rdma~1ib).
                        || l.contains(&v.replace('~', "~0").replace('/', "~1"))))
                        || e.var.contains("_IMAGE_")
                        // multinode: the workload is a LeaderWorkerSet.
                        || e.origins.iter().any(|o| o.lines.iter().any(|l| l.contains("kind: LeaderWorkerSet")))
                        || e.var.ends_with("PARALLELISM"),
                    "{}: {}={v:?} not in {:?}",
                    case.label,
                    e.var,
                    e.origins
                );
            }
        }
    }
}

#[test]
fn rendered_provenance_comments_quote_the_real_lines() {
    for (case, conv) in conversions() {
        crate::corpus::check_rendered_provenance(&case.label, &case.root, &conv);
    }
}

/// Every leaf of the built manifests and of the GAIE values is mapped, at its default,
/// handled by the benchmark, or quoted as unmapped; and node ids never repeat (fates are
/// recorded per node).
#[test]
fn every_manifest_leaf_is_accounted_for() {
    for (case, conv) in conversions() {
        let model = common::model_of(&case);
        let mut ids = std::collections::HashSet::new();
        for root in &model.roots {
            root.walk(|n| {
                assert!(
                    ids.insert((n.src, n.id)),
                    "{}: node {:?} twice",
                    case.label,
                    (n.src, n.id)
                );
            });
        }
        let all = crate::corpus::model_leaves(&model);
        let c = conv.scenario.counts;
        assert_eq!(
            c.mapped + c.defaulted + c.framework + c.unmapped,
            all.len(),
            "{}: counts {c} vs {} leaves",
            case.label,
            all.len()
        );
        let s = &conv.scenario;
        assert_eq!(
            crate::corpus::unmapped_leaves(s, &all),
            c.unmapped,
            "{}: unmapped leaves vs count",
            case.label
        );
        // Every resource of the build is somewhere in the tree.
        let root = &model.roots[0];
        assert!(root.get("decode").is_some(), "{}", case.label);
        assert!(root.get("manifests").is_some(), "{}", case.label);
    }
}

// ---------------------------------------------------------------------------------------
// The scenarios in bash

use crate::bash;

/// `REPLACE_ENV_<VAR>` tokens as llm-d-benchmark fills them (here with a plain word).
fn fill_tokens(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("REPLACE_ENV_") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "REPLACE_ENV_".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push('7');
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The decode (else prefill) workload's vLLM container of a variant's build.
fn built_container(case: &Case, stage: &str) -> Option<yaml::Node> {
    let opened = source::open_local(&case.root).expect("open");
    let overlay = guide::overlays(&opened)
        .expect("overlays")
        .into_iter()
        .find(|o| Some(&o.name) == case.variant.as_ref())?;
    let build = kustomize::build(opened.source.as_ref(), &overlay.dir, Options::default()).ok()?;
    build.resources.iter().find_map(|r| {
        let id = r.id();
        let template = match id.kind.as_str() {
            "LeaderWorkerSet" => r.node.at("spec.leaderWorkerTemplate.workerTemplate"),
            "Deployment" => r.node.at("spec.template"),
            _ => None,
        }?;
        let role = template
            .at("metadata.labels")
            .and_then(|l| l.get("llm-d.ai/role"))
            .and_then(yaml::Node::as_str);
        (role.unwrap_or("decode") == stage).then(|| template.at("spec.containers[0]").cloned())?
    })
}

#[test]
fn scenarios_source_cleanly_and_keep_every_value() {
    if !bash::have_bash() {
        return;
    }
    for (case, conv) in conversions() {
        let label = case.label.as_str();
        let s = bash::source_scenario(label, &conv.scenario_text);
        bash::check_exports(label, &conv, &s);
        bash::check_plugins(label, &conv, &s);
        for stage in ["decode", "prefill"] {
            let up = stage.to_ascii_uppercase();
            let var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_ARGS");
            let Some(container) = built_container(&case, stage) else {
                assert!(conv.scenario.export(&var).is_none(), "{label}: {stage}");
                continue;
            };
            // The command file: one line, llm-d-benchmark's vllm serve, valid shell once the
            // benchmark has filled its tokens.
            let content = bash::file_content(&s, label, &var);
            let line = content.strip_suffix('\n').expect("final newline");
            assert!(!line.contains('\n'), "{label}: {stage}: {content:?}");
            assert!(
                line.contains(
                    "vllm serve /model-cache/models/REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL"
                ),
                "{label}: {line}"
            );
            let syntax = std::process::Command::new("bash")
                .arg("-n")
                .arg("-c")
                .arg(fill_tokens(line))
                .output()
                .expect("bash -n");
            assert!(
                syntax.status.success(),
                "{label}: {stage}: {line}\n{}",
                String::from_utf8_lossy(&syntax.stderr)
            );
            assert_eq!(
                bash::var(
                    &s,
                    label,
                    &format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_MODEL_COMMAND")
                ),
                "custom",
                "{label}"
            );
            // The env file holds the container's env entries: the guide's values, or the
            // token of the llm-d-benchmark variable that carries them.
            let env_var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_ENVVARS_TO_YAML");
            let env_text = bash::file_content(&s, label, &env_var);
            let env_doc = yaml::parse_one("env", &env_text).expect("env YAML");
            let written = env_doc.root.as_seq().expect("env list");
            for entry in container
                .get("env")
                .and_then(yaml::Node::as_seq)
                .unwrap_or_default()
            {
                let name = entry
                    .get("name")
                    .and_then(yaml::Node::as_str)
                    .expect("name");
                if name == "VLLM_NIXL_SIDE_CHANNEL_HOST" {
                    continue;
                }
                let got = written
                    .iter()
                    .find(|w| w.get("name").and_then(yaml::Node::as_str) == Some(name))
                    .unwrap_or_else(|| panic!("{label}: {stage}: env {name} missing"));
                let want = entry.get("value").and_then(yaml::Node::as_str);
                let have = got.get("value").and_then(yaml::Node::as_str);
                match (want, have) {
                    (Some(w), Some(h)) if h.starts_with("REPLACE_ENV_") => {
                        // Exported, or equal to the default (which the fixture may not define).
                        let carried = &h["REPLACE_ENV_".len()..];
                        if conv.scenario.export(carried).is_some() {
                            assert_eq!(bash::var(&s, label, carried), w, "{label}: {name}");
                        } else {
                            assert!(
                                conv.scenario
                                    .defaulted
                                    .iter()
                                    .any(|(v, d, _)| v == carried && d == w),
                                "{label}: {name} -> {carried}"
                            );
                        }
                    }
                    (w, h) => assert_eq!(w, h, "{label}: {stage}: env {name}"),
                }
            }
        }
        // Replicas as built.
        if let Some(decode) = built_container(&case, "decode") {
            let _ = decode;
            let want = if label.contains("tiered") { "2" } else { "1" };
            assert_eq!(
                bash::var(&s, label, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
                want,
                "{label}"
            );
        }
    }
}

fn command(conv: &Conversion, var: &str) -> String {
    match conv.scenario.export(var).map(|e| &e.value) {
        Some(Value::Command(lines)) => lines.join(" "),
        other => panic!("{var}: {other:?}"),
    }
}

#[test]
fn wide_ep_lws_commands_keep_the_run_time_words() {
    for (case, conv) in conversions()
        .into_iter()
        .filter(|(c, _)| c.label.contains("wide-ep"))
    {
        let label = &case.label;
        let decode = command(&conv, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS");
        for want in [
            "REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_PREPROCESS; find /dev/shm -type f -delete; START_RANK=$(( ${LWS_WORKER_INDEX:-0} * DP_SIZE_LOCAL )); vllm serve",
            "--data-parallel-address ${LWS_LEADER_ADDRESS}",
            "--data-parallel-start-rank $START_RANK",
            "--data-parallel-size REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_PARALLELISM",
            "--kv_transfer_config '{\"kv_connector\":\"NixlConnector\", \"kv_role\":\"kv_both\", \"kv_load_failure_policy\":\"fail\"}'",
        ] {
            assert!(decode.contains(want), "{label}: {want} not in {decode}");
        }
        let kv = if label.ends_with("gke-a4") {
            "--kv-cache-memory-bytes 63000000000"
        } else {
            "--kv-cache-memory-bytes=${KV_CACHE_MEMORY_BYTES-}"
        };
        assert!(decode.contains(kv), "{label}: {decode}");
        let text = |var: &str| match conv.scenario.export(var).map(|e| &e.value) {
            Some(Value::Text(t)) => t.clone(),
            other => panic!("{label}: {var}: {other:?}"),
        };
        assert_eq!(text("LLMDBENCH_VLLM_MODELSERVICE_MULTINODE"), "true");
        assert_eq!(
            text("LLMDBENCH_VLLM_MODELSERVICE_DECODE_NUM_WORKERS_PARALLELISM"),
            "2"
        );
        assert_eq!(
            text("LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_PARALLELISM"),
            "16"
        );
        assert_eq!(
            text("LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_LOCAL_PARALLELISM"),
            "8"
        );
        assert_eq!(
            text("LLMDBENCH_DEPLOY_MODEL_LIST"),
            "deepseek-ai/DeepSeek-R1-0528"
        );
        let prefill = command(&conv, "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_EXTRA_ARGS");
        assert!(
            prefill.contains("--port REPLACE_ENV_LLMDBENCH_VLLM_COMMON_INFERENCE_PORT"),
            "{prefill}"
        );
        assert!(
            !prefill.contains("DeepSeek-R1-0528 "),
            "the model word is the benchmark's: {prefill}"
        );
    }
}

#[test]
fn tiered_prefix_cache_offloading_sweeps_cpu_blocks() {
    let (_, conv) = conversions()
        .into_iter()
        .find(|(c, _)| c.label.ends_with("cpu-offloading-connector"))
        .expect("variant");
    let decode = command(&conv, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS");
    assert!(
        decode.contains("\"kv_connector_extra_config\":{\"num_cpu_blocks\":REPLACE_ENV_LLMDBENCH_VLLM_COMMON_NUM_CPU_BLOCKS}"),
        "{decode}"
    );
    assert_eq!(
        conv.scenario
            .export("LLMDBENCH_VLLM_COMMON_NUM_CPU_BLOCKS")
            .map(|e| &e.value),
        Some(&Value::Text("41000".into()))
    );
}

// ---------------------------------------------------------------------------------------
// Command line

fn cli(cwd: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("convert-guide")
        .expect("binary")
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run convert-guide")
}

#[test]
fn list_variants_shows_overlays_and_gaie_values() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let guide = common::corpus_guides().join("wide-ep-lws");
    let out = cli(
        cwd.path(),
        &[guide.to_str().expect("path"), "--list-variants"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            [
                "default",
                "manifests/modelserver/base",
                "manifests/inferencepool.values.yaml"
            ],
            [
                "coreweave",
                "manifests/modelserver/coreweave",
                "manifests/inferencepool.values.yaml"
            ],
            [
                "gke",
                "manifests/modelserver/gke",
                "manifests/inferencepool.values.yaml"
            ],
            [
                "gke-a4",
                "manifests/modelserver/gke-a4",
                "manifests/inferencepool.values.yaml"
            ],
        ]
    );
}

#[test]
fn all_converts_every_overlay() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let guides = common::corpus_guides();
    let out = cli(cwd.path(), &[guides.to_str().expect("path"), "--all", "-n"]);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for name in [
        "wide-ep-lws.sh",
        "wide-ep-lws.coreweave.sh",
        "wide-ep-lws.gke.sh",
        "wide-ep-lws.gke-a4.sh",
        "tiered-prefix-cache.cpu-lmcache-connector.sh",
        "tiered-prefix-cache.cpu-offloading-connector.sh",
        "tiered-prefix-cache.storage-llm-d-fs-connector.sh",
        "tiered-prefix-cache.storage-lmcache-connector.sh",
    ] {
        assert!(
            text.contains(&format!("scenarios/guides/{name}")),
            "{name} not in\n{text}"
        );
    }
    // Only the folders that are no guides are skipped, each with why (issue 11: every
    // folder has a row).
    for line in text.lines().filter(|l| l.contains("skipped")) {
        assert!(
            ["benchmark ", "prereq ", "recipes "]
                .iter()
                .any(|f| line.starts_with(f))
                && line.contains("skipped: not a deployable guide"),
            "{line}"
        );
    }
    for line in text
        .lines()
        .filter(|l| l.starts_with("wide-ep") || l.starts_with("tiered"))
    {
        assert!(!line.contains("FAILED"), "{line}");
    }
}

/// Hostile input fails with an error, never a crash: deep patches, many resources, a
/// pattern that would make a backtracking matcher spin.
#[test]
fn hostile_kustomizations_fail_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |p: &str, t: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, t).expect("write");
    };
    let build = |sub: &str| {
        let opened = source::open_local(dir.path()).expect("open");
        kustomize::build(opened.source.as_ref(), sub, Options::default()).map(|b| b.resources.len())
    };
    // A strategic-merge patch 300 maps deep.
    let mut deep = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
    for i in 0..300 {
        deep.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    deep.push_str(&format!("{}v: 1\n", "  ".repeat(300)));
    write("deep/p.yaml", &deep);
    write(
        "deep/r.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    write(
        "deep/kustomization.yaml",
        "resources: [r.yaml]\npatches:\n- path: p.yaml\n",
    );
    let err = build("deep")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("deeper than"), "{err}");
    // More resources than a build takes.
    let many: String = (0..2100)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"))
        .collect();
    write("many/r.yaml", &many);
    write("many/kustomization.yaml", "resources: [r.yaml]\n");
    let err = build("many")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("more than 2000 resources"), "{err}");
    // A target pattern with nested repetition over a long name.
    let name = "a".repeat(3000);
    write(
        "regex/r.yaml",
        &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"),
    );
    write(
        "regex/kustomization.yaml",
        "resources: [r.yaml]\npatches:\n- target: {name: \"(a*)*b\"}\n  patch: |-\n    - {op: add, path: /data, value: {}}\n",
    );
    let started = std::time::Instant::now();
    assert_eq!(build("regex").ok(), Some(1));
    assert!(started.elapsed().as_secs() < 5);
}

// ---------------------------------------------------------------------------------------
// No input makes the shell reader or the builder panic

mod never_panic {
    use convert_guide::shell;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn shell_scripts(script in r#"[a-z$(){}'"\\ \n;&|#=*/%+-0-9]{0,80}"#) {
            if let Ok(commands) = shell::parse(&script) {
                let env = |n: &str| (n == "a").then(|| "3".to_string());
                for c in commands {
                    for w in &c.words {
                        let _ = shell::expand(w, &env);
                        let _ = shell::variables(w);
                    }
                }
            }
            let _ = shell::arithmetic(&script, &|_| Some("2".into()));
        }

        #[test]
        fn kustomizations(patch in r#"[a-z/~{}\[\]:, \n$-]{0,60}"#, path in "[a-z/~0-9-]{0,20}") {
            let dir = tempfile::tempdir().expect("temp dir");
            let write = |p: &str, t: &str| std::fs::write(dir.path().join(p), t).expect("write");
            write("r.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n");
            let k = format!(
                "resources: [r.yaml]\npatches:\n- target: {{kind: ConfigMap, name: \"{path}\"}}\n  patch: |-\n    - {{op: add, path: /{path}, value: 1}}\n- patch: {patch:?}\n"
            );
            write("kustomization.yaml", &k);
            let opened = convert_guide::load::source::open_local(dir.path()).expect("open");
            let _ = convert_guide::read::kustomize::build(
                opened.source.as_ref(),
                "",
                convert_guide::read::kustomize::Options::default(),
            );
        }
    }
}

/// An overlay folder given directly converts to the same values as the guide's variant (its
/// GAIE values found up the tree), only its paths are relative to the overlay.
#[test]
fn an_overlay_given_directly_converts_as_the_variant() {
    let guide = common::corpus_guides().join("wide-ep-lws");
    let direct = common::convert_builtin(&guide.join("manifests/modelserver/gke"));
    let (_, variant) = conversions()
        .into_iter()
        .find(|(c, _)| c.label.ends_with("wide-ep-lws.gke"))
        .expect("gke");
    assert_eq!(direct.name, "gke");
    assert_eq!(direct.scenario.counts, variant.scenario.counts);
    let values = |c: &Conversion| {
        c.scenario
            .exports
            .iter()
            .filter(|e| e.var != "LLMDBENCH_CONTROL_WORK_DIR")
            .map(|e| (e.var.clone(), format!("{:?}", e.value)))
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&direct), values(&variant));
}
