//! Behaviour through the real consumer (issue 10): every variant of every corpus guide is
//! converted in process, rendered by `../shared/tools/bench-render` through the setup code of
//! each bash-reading llm-d-benchmark era, and the Helm values it would deploy are checked
//! against expectations written from reading the guide (`tests/behaviour/<guide>.yaml`),
//! not against our own output.
//!
//! Data format (one file per guide):
//! ```yaml
//! facets: {model: Qwen/Qwen3-0.6B, decode.replicas: 2, ...}   # every variant
//! unexpressible: [{era: "2026-02-05", facet: F, why: ..., warning: text}]   # every variant
//! pending: [{era: "*", facet: F, why: ...}]                   # known gaps, strict
//! variants:
//!   default: {}
//!   xpu: {facets: {...}, unexpressible: [...], pending: [...]}
//!   standalone: {refused: "text of the refusal"}
//! ```
//! A variant's facets override the guide's key by key (`~` drops one). `era` is a bench
//! era or `*`. An unexpressible facet is not checked in that era; the conversion must warn
//! with `warning` in its text instead. A pending facet must still fail (strict: when it
//! passes the test fails until the entry is removed); it is reported, and the variant does
//! not count as matching. The facet names are the keys of [`check`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Condvar, Mutex, OnceLock};

use convert_guide::convert::{self, Request};
use convert_guide::read::yaml::{self, Node};
use convert_guide::{load::source, read::guide};

use crate::common::{corpus_guides, crate_root, require_tool, sh_words};

/// The llm-d-benchmark eras that still read bash scenarios.
const ERAS: &[&str] = &["2026-02-05", "2026-03-30"];

/// Renders running at once across all tests (the machine has 2 cores).
const SLOTS: usize = 2;

fn bench_dir(era: &str) -> PathBuf {
    crate_root()
        .join("../shared/corpus/llm-d-benchmark")
        .join(era)
}

fn bench_render() -> PathBuf {
    crate_root().join("../shared/tools/bench-render/bench-render")
}

// ---------------------------------------------------------------------------------------
// Expectations

#[derive(Debug, Clone)]
struct Exception {
    era: String,
    facet: String,
    why: String,
    /// Unexpressible only: text the conversion's warnings must contain.
    warning: Option<String>,
}

impl Exception {
    fn applies(&self, era: &str, facet: &str) -> bool {
        (self.era == "*" || self.era == era) && self.facet == facet
    }
}

#[derive(Debug, Clone, Default)]
struct Expect {
    facets: BTreeMap<String, Node>,
    unexpressible: Vec<Exception>,
    pending: Vec<Exception>,
    refused: Option<String>,
}

fn exceptions(node: Option<&Node>, file: &str) -> Vec<Exception> {
    let Some(items) = node.and_then(Node::as_seq) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|n| {
            let get = |k: &str| n.get(k).and_then(Node::as_str).map(str::to_string);
            let facet =
                get("facet").unwrap_or_else(|| panic!("{file}:{}: entry without facet", n.line));
            let why = get("why").unwrap_or_else(|| panic!("{file}:{}: entry without why", n.line));
            Exception {
                era: get("era").unwrap_or_else(|| "*".into()),
                facet,
                why,
                warning: get("warning"),
            }
        })
        .collect()
}

fn facet_map(node: Option<&Node>) -> BTreeMap<String, Node> {
    node.and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .map(|e| (e.key.clone(), e.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Each variant's expectations: the guide's, overridden by the variant's.
fn load_expectations(guide: &str) -> BTreeMap<String, Expect> {
    let file = crate_root().join(format!("tests/behaviour/{guide}.yaml"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (write the guide's expectations)", file.display()));
    let shown = format!("tests/behaviour/{guide}.yaml");
    let doc = yaml::parse_one(&shown, &text).unwrap_or_else(|e| panic!("{e}"));
    let root = &doc.root;
    let shared = facet_map(root.get("facets"));
    let shared_unexpressible = exceptions(root.get("unexpressible"), &shown);
    let shared_pending = exceptions(root.get("pending"), &shown);
    let variants = root
        .get("variants")
        .and_then(Node::as_map)
        .unwrap_or_else(|| panic!("{shown}: no `variants:` map"));
    let mut out = BTreeMap::new();
    for v in variants {
        let mut facets = shared.clone();
        for (k, n) in facet_map(v.value.get("facets")) {
            if n.is_null() {
                facets.remove(&k);
            } else {
                facets.insert(k, n);
            }
        }
        let mut unexpressible = shared_unexpressible.clone();
        unexpressible.extend(exceptions(v.value.get("unexpressible"), &shown));
        let mut pending = shared_pending.clone();
        pending.extend(exceptions(v.value.get("pending"), &shown));
        let refused = v
            .value
            .get("refused")
            .and_then(Node::as_str)
            .map(str::to_string);
        out.insert(
            v.key.clone(),
            Expect {
                facets,
                unexpressible,
                pending,
                refused,
            },
        );
    }
    out
}

// ---------------------------------------------------------------------------------------
// Rendering

/// A counting semaphore shared by every test of this file.
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

static RENDER_SLOTS: Slots = Slots {
    free: Mutex::new(SLOTS),
    cv: Condvar::new(),
};

fn with_slot<T>(f: impl FnOnce() -> T) -> T {
    {
        let mut free = RENDER_SLOTS.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = RENDER_SLOTS
                .cv
                .wait(free)
                .unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }
    let out = f();
    *RENDER_SLOTS.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    RENDER_SLOTS.cv.notify_one();
    out
}

/// bench-render installs its Python packages on first use: do that once, alone, before
/// any render (`.ci/run` pre-warms it too).
fn warm() -> &'static Result<(), String> {
    static WARM: OnceLock<Result<(), String>> = OnceLock::new();
    WARM.get_or_init(|| {
        let out = Command::new(bench_render())
            .arg("--help")
            .output()
            .map_err(|e| format!("run {}: {e}", bench_render().display()))?;
        let venv_ok = String::from_utf8_lossy(&out.stdout).contains("--scenario")
            || String::from_utf8_lossy(&out.stderr).contains("--scenario");
        if venv_ok {
            Ok(())
        } else {
            Err(format!(
                "bench-render could not prepare its Python environment:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    })
}

/// What llm-d-benchmark would deploy for one variant in one era.
struct Rendered {
    ms: Node,
    gaie: Node,
    env: serde_json::Map<String, serde_json::Value>,
    bench: PathBuf,
    warnings: Vec<String>,
}

/// Parse rendered Helm values as Helm reads them: a key written twice keeps its last
/// value (step 08 writes `inferenceExtension.flags` twice).
fn parse_last_wins(file: &str, text: &str) -> Result<Node, String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..64 {
        let joined = lines.join("\n");
        match yaml::parse_one(file, &joined) {
            Ok(doc) => return Ok(doc.root),
            Err(e) => {
                let msg = e.to_string();
                let Some(first) = msg
                    .split("first defined on line ")
                    .nth(1)
                    .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| (1..=lines.len()).contains(n))
                else {
                    return Err(msg);
                };
                let indent = |l: &str| l.len() - l.trim_start().len();
                let start = first - 1;
                let own = indent(&lines[start]);
                let mut end = start + 1;
                while end < lines.len()
                    && (lines[end].trim().is_empty() || indent(&lines[end]) > own)
                {
                    end += 1;
                }
                lines.drain(start..end);
            }
        }
    }
    Err(format!("{file}: too many duplicate keys"))
}

/// Convert `variant` against `era`'s checkout and render it. `Err` holds the reason.
fn render(guide: &str, variant: &str, era: &str) -> Result<Rendered, String> {
    render_input(&corpus_guides().join(guide), variant, era)
}

/// [`render`] for any guide folder or values file.
fn render_input(input: &Path, variant: &str, era: &str) -> Result<Rendered, String> {
    let tmp = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let conversion = convert::convert(&Request {
        input: input.to_path_buf(),
        cwd: tmp.path().to_path_buf(),
        bench_dir: Some(bench_dir(era)),
        variant: (variant != guide::DEFAULT_VARIANT).then(|| variant.to_string()),
        ..Default::default()
    })
    .map_err(|e| format!("convert: {e}"))?;
    let scenario = tmp.path().join(format!("{}.sh", conversion.name));
    std::fs::write(&scenario, &conversion.scenario_text)
        .map_err(|e| format!("write {}: {e}", scenario.display()))?;
    let out = tmp.path().join("out");
    let run = with_slot(|| {
        Command::new(bench_render())
            .arg("--bench")
            .arg(bench_dir(era))
            .arg("--scenario")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .output()
    })
    .map_err(|e| format!("run bench-render: {e}"))?;
    if !run.status.success() {
        let stderr = String::from_utf8_lossy(&run.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "bench-render failed ({}): {}",
            run.status,
            tail.join(" | ")
        ));
    }
    let read = |name: &str| {
        std::fs::read_to_string(out.join(name)).map_err(|e| format!("read rendered {name}: {e}"))
    };
    let ms = parse_last_wins("ms-values.yaml", &read("ms-values.yaml")?)?;
    let gaie = parse_last_wins("gaie-values.yaml", &read("gaie-values.yaml")?)?;
    let env = match serde_json::from_str(&read("env.json")?) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => return Err("env.json is not a JSON object".into()),
    };
    Ok(Rendered {
        ms,
        gaie,
        env,
        bench: bench_dir(era),
        warnings: conversion.warning_texts(),
    })
}

// ---------------------------------------------------------------------------------------
// Facets

/// A scalar as Helm would read it: booleans lower-cased, null as `none`.
fn scalar_text(n: Option<&Node>) -> String {
    match n.and_then(Node::as_scalar) {
        None => match n {
            None => "none".into(),
            Some(_) => "<not a scalar>".into(),
        },
        Some(s) if s.is_null() => "none".into(),
        Some(s) => match (s.plain, s.value.as_str()) {
            (true, "True" | "TRUE" | "true") => "true".into(),
            (true, "False" | "FALSE" | "false") => "false".into(),
            (_, v) => v.trim().to_string(),
        },
    }
}

fn expected_list(n: &Node) -> Vec<String> {
    match n.as_seq() {
        Some(items) => items.iter().map(|i| scalar_text(Some(i))).collect(),
        None => vec![scalar_text(Some(n))],
    }
}

fn same_scalar(facet: &str, want: &Node, got: String) -> Result<(), String> {
    let want = scalar_text(Some(want));
    if want == got {
        Ok(())
    } else {
        Err(format!("{facet}: want {want:?}, rendered {got:?}"))
    }
}

fn contains_all(facet: &str, want: &Node, got: &[String]) -> Result<(), String> {
    let missing: Vec<String> = expected_list(want)
        .into_iter()
        .filter(|w| !got.contains(w))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("{facet}: missing {missing:?}; rendered {got:?}"))
    }
}

/// `--flag`, `--flag value` or `--flag=value` among the tokens; the value compared
/// without whitespace (JSON arguments).
fn find_flag(tokens: &[String], flag: &str) -> Option<Option<String>> {
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    // vLLM reads `_` and `-` alike in flag names.
    let dashes = |s: &str| match s.split_once('=') {
        Some((f, v)) => format!("{}={v}", f.replace('_', "-")),
        None if s.starts_with("--") => s.replace('_', "-"),
        None => s.to_string(),
    };
    let flag = dashes(flag);
    let flag = flag.as_str();
    let tokens: Vec<String> = tokens.iter().map(|t| dashes(t)).collect();
    for (i, t) in tokens.iter().enumerate() {
        if t == flag {
            let next = tokens.get(i + 1).filter(|n| !n.starts_with("--"));
            return Some(next.map(|n| squash(n)));
        }
        if let Some(v) = t.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            return Some(Some(squash(v)));
        }
    }
    None
}

fn check_flags(facet: &str, want: &Node, tokens: &[String]) -> Result<(), String> {
    let mut problems = Vec::new();
    for w in expected_list(want) {
        let (flag, value) = match w.split_once(' ') {
            Some((f, v)) => (
                f.to_string(),
                Some(v.split_whitespace().collect::<String>()),
            ),
            None => (w.clone(), None),
        };
        match (find_flag(tokens, &flag), value) {
            (None, _) => problems.push(format!("{flag} absent")),
            (Some(got), Some(v)) if got.as_deref() != Some(v.as_str()) => {
                problems.push(format!("{flag}: want {v:?}, rendered {got:?}"))
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{facet}: {}", problems.join("; ")))
    }
}

/// The words of the container's command line (custom: the shell line; otherwise the
/// argument items, each split as step 09 renders it).
fn arg_tokens(container: Option<&Node>) -> Vec<String> {
    let Some(args) = container.and_then(|c| c.get("args")) else {
        return Vec::new();
    };
    match args.as_seq() {
        Some(items) => items
            .iter()
            .filter_map(Node::as_str)
            .flat_map(sh_words)
            .collect(),
        None => args.as_str().map(sh_words).unwrap_or_default(),
    }
}

/// Quantity in GiB (`500Gi`, `1Ti`, `300G`).
fn gib(q: &str) -> Option<f64> {
    let units = [
        ("Ki", 1.0 / 1024.0 / 1024.0),
        ("Mi", 1.0 / 1024.0),
        ("Gi", 1.0),
        ("Ti", 1024.0),
        ("K", 1e3 / 1073741824.0),
        ("M", 1e6 / 1073741824.0),
        ("G", 1e9 / 1073741824.0),
        ("T", 1e12 / 1073741824.0),
    ];
    for (u, f) in units {
        if let Some(n) = q.strip_suffix(u) {
            return n.trim().parse::<f64>().ok().map(|n| n * f);
        }
    }
    q.trim().parse::<f64>().ok().map(|n| n / 1073741824.0)
}

/// An image reference without the registry Docker implies (`docker.io/`, `library/`).
/// A container's env as the pod gets it: a name listed twice keeps its last entry (as
/// Kubernetes does); a value from elsewhere reads `<valueFrom>`.
fn env_of(env: Option<&Node>) -> BTreeMap<String, String> {
    let mut got = BTreeMap::new();
    for e in env.and_then(Node::as_seq).unwrap_or_default() {
        let value = if e.get("valueFrom").is_some() {
            "<valueFrom>".to_string()
        } else {
            scalar_text(e.get("value"))
        };
        got.insert(scalar_text(e.get("name")), value);
    }
    got
}

fn image_ref(s: &str) -> String {
    let s = s.strip_prefix("docker.io/").unwrap_or(s);
    s.strip_prefix("library/").unwrap_or(s).to_string()
}

const NON_ACCELERATOR: &[&str] = &["cpu", "memory", "ephemeral-storage"];

fn stage_facet(
    r: &Rendered,
    stage: &str,
    facet: &str,
    full: &str,
    want: &Node,
) -> Result<(), String> {
    let st = r.ms.get(stage);
    let container = st.and_then(|s| s.at("containers[0]"));
    let cget = |k: &str| container.and_then(|c| c.at(k));
    let limits = cget("resources.limits");
    let accelerator = limits.and_then(Node::as_map).and_then(|m| {
        m.iter().find(|e| {
            !NON_ACCELERATOR.contains(&e.key.as_str()) && !e.key.starts_with("hugepages-")
        })
    });
    match facet {
        // h10b: the KV-events publisher names this deployment's EPP service (step 09:
        // `<fullnameOverride>-gaie-epp`) and the model it serves.
        "kv_events" => {
            let tokens = arg_tokens(container);
            let json = find_flag(&tokens, "--kv-events-config")
                .flatten()
                .ok_or(format!("{full}: no --kv-events-config value"))?;
            let v: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| format!("{full}: not JSON ({e}): {json}"))?;
            let endpoint = v["endpoint"].as_str().unwrap_or_default();
            let host = endpoint
                .trim_start_matches("tcp://")
                .split(['.', ':'])
                .next()
                .unwrap_or_default();
            let service = format!("{}-gaie-epp", scalar_text(r.ms.get("fullnameOverride")));
            let model = scalar_text(r.ms.at("modelArtifacts.name"));
            let topic = v["topic"].as_str().unwrap_or_default();
            let want_t = scalar_text(Some(want));
            let host_ok = match want_t.as_str() {
                "bind" => host == "*",
                _ => host == service,
            };
            if host_ok && topic.ends_with(&format!("@{model}")) {
                Ok(())
            } else {
                Err(format!(
                    "{full}: endpoint {endpoint} / topic {topic}: want the service {service} ({want_t}) and the model {model}"
                ))
            }
        }
        // h10b: vLLM listens where the pod's traffic arrives: behind the routing sidecar on
        // the metrics port, without it on the service port.
        "port_routed" => {
            let tokens = arg_tokens(container);
            let got = find_flag(&tokens, "--port").flatten().unwrap_or_default();
            // 2026-02-05 writes no `enabled`: the chart's default (the sidecar) applies.
            let proxy = scalar_text(r.ms.at("routing.proxy.enabled")) != "false";
            let port = if proxy && stage == "decode" {
                r.env
                    .get("LLMDBENCH_VLLM_COMMON_METRICS_PORT")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            } else {
                scalar_text(r.ms.at("routing.servicePort"))
            };
            same_scalar(full, want, (got == port).to_string())
        }
        "create" => same_scalar(full, want, scalar_text(st.and_then(|s| s.get("create")))),
        "replicas" => same_scalar(full, want, scalar_text(st.and_then(|s| s.get("replicas")))),
        "tensor" | "data" | "workers" => same_scalar(
            full,
            want,
            scalar_text(st.and_then(|s| s.at(&format!("parallelism.{facet}")))),
        ),
        "data_local" => same_scalar(
            full,
            want,
            scalar_text(st.and_then(|s| s.at("parallelism.dataLocal"))),
        ),
        "image" => {
            let got = image_ref(&scalar_text(cget("image")));
            let w = image_ref(&scalar_text(Some(want)));
            if got == w {
                Ok(())
            } else {
                Err(format!("{full}: want {w:?}, rendered {got:?}"))
            }
        }
        "model_command" => same_scalar(full, want, scalar_text(cget("modelCommand"))),
        "accelerator" => same_scalar(
            full,
            want,
            accelerator.map_or("none".into(), |e| e.key.clone()),
        ),
        "accelerator_count" => same_scalar(
            full,
            want,
            accelerator.map_or("none".into(), |e| scalar_text(Some(&e.value))),
        ),
        "cpu_limit" => same_scalar(full, want, scalar_text(limits.and_then(|l| l.get("cpu")))),
        "memory_limit" => same_scalar(
            full,
            want,
            scalar_text(limits.and_then(|l| l.get("memory"))),
        ),
        "flags" => check_flags(full, want, &arg_tokens(container)),
        "flags_absent" => {
            let tokens = arg_tokens(container);
            let present: Vec<String> = expected_list(want)
                .into_iter()
                .filter(|f| find_flag(&tokens, f).is_some())
                .collect();
            if present.is_empty() {
                Ok(())
            } else {
                Err(format!("{full}: present {present:?}"))
            }
        }
        "served_name" => {
            let tokens = arg_tokens(container);
            let served = match find_flag(&tokens, "--served-model-name") {
                Some(Some(v)) => v,
                _ if scalar_text(cget("modelCommand")) == "custom" => tokens
                    .iter()
                    .position(|t| t == "serve")
                    .and_then(|i| tokens.get(i + 1))
                    .cloned()
                    .unwrap_or_else(|| "none".into()),
                _ => scalar_text(r.ms.at("modelArtifacts.name")),
            };
            same_scalar(full, want, served)
        }
        "env" => {
            let got = env_of(cget("env"));
            let mut problems = Vec::new();
            for e in want.as_map().unwrap_or_default() {
                let w = scalar_text(Some(&e.value));
                let g = got.get(&e.key).cloned().unwrap_or_else(|| "none".into());
                if w != g {
                    problems.push(format!("{}: want {w:?}, rendered {g:?}", e.key));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(format!("{full}: {}", problems.join("; ")))
            }
        }
        // The transports UCX may use: the pod's UCX_TLS, else UCX's own default (`all`).
        "ucx_tls" => {
            let got = env_of(cget("env")).remove("UCX_TLS");
            same_scalar(full, want, got.unwrap_or_else(|| "all".into()))
        }
        "volumes" => {
            let got: Vec<String> = st
                .and_then(|s| s.get("volumes"))
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .map(|v| scalar_text(v.get("name")))
                .collect();
            contains_all(full, want, &got)
        }
        "mounts" => {
            let got: Vec<String> = cget("volumeMounts")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .map(|v| scalar_text(v.get("mountPath")))
                .collect();
            contains_all(full, want, &got)
        }
        "ports" => {
            // The chart's own `ports`, or those merged in through the container's extraConfig.
            let got: Vec<String> = ["ports", "extraConfig.ports"]
                .iter()
                .flat_map(|k| cget(k).and_then(Node::as_seq).unwrap_or_default())
                .map(|p| scalar_text(p.get("containerPort")))
                .collect();
            contains_all(full, want, &got)
        }
        "affinity" => {
            let mut got = Vec::new();
            if let Some(types) = st.and_then(|s| s.get("acceleratorTypes")) {
                let key = scalar_text(types.get("labelKey"));
                for v in types
                    .get("labelValues")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    got.push(format!("{key}={}", scalar_text(Some(v))));
                }
            }
            for path in ["nodeSelector", "extraConfig.nodeSelector"] {
                for e in st
                    .and_then(|s| s.at(path))
                    .and_then(Node::as_map)
                    .unwrap_or_default()
                {
                    got.push(format!("{}={}", e.key, scalar_text(Some(&e.value))));
                }
            }
            contains_all(full, want, &got)
        }
        "startup_seconds_min" => {
            let probe = cget("extraConfig.startupProbe");
            let num = |k: &str| {
                probe
                    .and_then(|p| p.get(k))
                    .and_then(Node::as_str)
                    .and_then(|v| v.parse::<u64>().ok())
            };
            let got = num("initialDelaySeconds").unwrap_or(0)
                + num("failureThreshold").unwrap_or(3) * num("periodSeconds").unwrap_or(10);
            let min = scalar_text(Some(want)).parse::<u64>().unwrap_or(u64::MAX);
            if probe.is_none() || got >= min {
                Ok(())
            } else {
                Err(format!(
                    "{full}: the startup probe allows {got}s, the guide's server needs at least {min}s"
                ))
            }
        }
        _ => Err(format!("{full}: unknown facet (see tests/it/behaviour.rs)")),
    }
}

/// The plugin types of the EPP's plugin configuration: the custom config step 08 wrote, or
/// the bench preset of that name.
fn plugin_types(r: &Rendered) -> Result<Vec<String>, String> {
    let ie = r.gaie.get("inferenceExtension");
    let file = scalar_text(ie.and_then(|i| i.get("pluginsConfigFile")));
    let text = match ie
        .and_then(|i| i.at("pluginsCustomConfig"))
        .and_then(|c| c.get(&file))
    {
        Some(n) => n.as_str().unwrap_or_default().to_string(),
        None => {
            let preset = r.bench.join("setup/presets/gaie").join(&file);
            std::fs::read_to_string(&preset)
                .map_err(|e| format!("plugins config {file}: neither custom nor a preset ({e})"))?
        }
    };
    let doc = yaml::parse_one(&file, &text).map_err(|e| format!("plugins config: {e}"))?;
    Ok(doc
        .root
        .get("plugins")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|p| scalar_text(p.get("type")))
        .collect())
}

fn check(r: &Rendered, facet: &str, want: &Node) -> Result<(), String> {
    if let Some((stage @ ("decode" | "prefill"), rest)) = facet.split_once('.') {
        return stage_facet(r, stage, rest, facet, want);
    }
    let ie = r.gaie.get("inferenceExtension");
    match facet {
        "model" => same_scalar(facet, want, scalar_text(r.ms.at("modelArtifacts.name"))),
        "multinode" => same_scalar(facet, want, scalar_text(r.ms.get("multinode"))),
        // The chart deploys the routing sidecar unless `enabled: false` (2026-02-05 never
        // writes the key).
        "routing_proxy" => {
            let got = scalar_text(r.ms.at("routing.proxy.enabled"));
            let got = if got == "none" {
                "true".to_string()
            } else {
                got
            };
            same_scalar(facet, want, got)
        }
        "model_size_min" => {
            let got = scalar_text(r.ms.at("modelArtifacts.size"));
            let want_t = scalar_text(Some(want));
            match (gib(&got), gib(&want_t)) {
                (Some(g), Some(w)) if g >= w => Ok(()),
                _ => Err(format!(
                    "{facet}: the model volume is {got}, the model needs at least {want_t}"
                )),
            }
        }
        "gateway_class" => same_scalar(
            facet,
            want,
            r.env
                .get("LLMDBENCH_VLLM_MODELSERVICE_GATEWAY_CLASS_NAME")
                .and_then(|v| v.as_str())
                .unwrap_or("none")
                .to_string(),
        ),
        "gaie.plugins_file" => same_scalar(
            facet,
            want,
            scalar_text(ie.and_then(|i| i.get("pluginsConfigFile"))),
        ),
        "gaie.plugins" => {
            let got: BTreeSet<String> = plugin_types(r)?.into_iter().collect();
            let want_set: BTreeSet<String> = expected_list(want).into_iter().collect();
            if got == want_set {
                Ok(())
            } else {
                Err(format!("{facet}: want {want_set:?}, rendered {got:?}"))
            }
        }
        "gaie.flags" => {
            let flags = ie.and_then(|i| i.get("flags"));
            let mut problems = Vec::new();
            for e in want.as_map().unwrap_or_default() {
                let w = scalar_text(Some(&e.value));
                let g = scalar_text(flags.and_then(|f| f.get(&e.key)));
                if w != g {
                    problems.push(format!("{}: want {w:?}, rendered {g:?}", e.key));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(format!("{facet}: {}", problems.join("; ")))
            }
        }
        // h10b: the scheduler's copies of vLLM values equal vLLM's (blockSize = decode's
        // --block-size, the tokenizer's modelName = the served model).
        "gaie.coupled" => {
            let file = scalar_text(ie.and_then(|i| i.get("pluginsConfigFile")));
            let text = ie
                .and_then(|i| i.at("pluginsCustomConfig"))
                .and_then(|c| c.get(&file))
                .and_then(Node::as_str)
                .ok_or(format!("{facet}: no custom plugins config {file}"))?;
            let doc = yaml::parse_one(&file, text).map_err(|e| format!("{facet}: {e}"))?;
            let mut values: BTreeMap<String, String> = BTreeMap::new();
            doc.root.walk(|n| {
                for e in n.as_map().unwrap_or_default() {
                    if e.value.as_scalar().is_some() {
                        values.insert(e.key.clone(), scalar_text(Some(&e.value)));
                    }
                }
            });
            let tokens = arg_tokens(r.ms.at("decode.containers[0]"));
            let mut problems = Vec::new();
            for key in expected_list(want) {
                let vllm = match key.as_str() {
                    "blockSize" => find_flag(&tokens, "--block-size").flatten(),
                    "modelName" => Some(scalar_text(r.ms.at("modelArtifacts.name"))),
                    other => return Err(format!("{facet}: unknown coupled key {other}")),
                };
                if values.get(&key) != vllm.as_ref() {
                    problems.push(format!("{key} is {:?}, vLLM's {vllm:?}", values.get(&key)));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(format!("{facet}: {}", problems.join("; ")))
            }
        }
        "gaie.sidecar" => same_scalar(
            facet,
            want,
            scalar_text(ie.and_then(|i| i.at("sidecar.enabled"))),
        ),
        "gaie.image" => {
            let img = ie.and_then(|i| i.get("image"));
            let part = |k: &str| scalar_text(img.and_then(|i| i.get(k)));
            same_scalar(
                facet,
                want,
                format!("{}/{}:{}", part("hub"), part("name"), part("tag")),
            )
        }
        "warnings" => {
            let missing: Vec<String> = expected_list(want)
                .into_iter()
                .filter(|w| !has_warning(&r.warnings, w))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("{facet}: no warning mentions {missing:?}"))
            }
        }
        _ => Err(format!(
            "{facet}: unknown facet (see tests/it/behaviour.rs)"
        )),
    }
}

fn has_warning(warnings: &[String], text: &str) -> bool {
    let text = text.to_lowercase();
    warnings.iter().any(|w| w.to_lowercase().contains(&text))
}

// ---------------------------------------------------------------------------------------
// One guide

#[derive(Default)]
struct Outcome {
    failures: Vec<String>,
    pending: Vec<String>,
    /// Facets compared with the rendered values.
    checked: usize,
    /// Facets this era cannot express (warned about instead of compared).
    warned: usize,
    /// The variant was refused with the expected reason.
    refused: bool,
}

fn evaluate(guide: &str, variant: &str, era: &str, expect: &Expect) -> Outcome {
    let mut out = Outcome::default();
    let rendered = render(guide, variant, era);
    if let Some(reason) = &expect.refused {
        match rendered {
            Err(e) if e.starts_with("convert: ") && e.contains(reason.as_str()) => {
                out.refused = true
            }
            Err(e) => out
                .failures
                .push(format!("refusal expected ({reason:?}), got: {e}")),
            Ok(_) => out
                .failures
                .push(format!("refusal expected ({reason:?}), but it converted")),
        }
        return out;
    }
    let r = match rendered {
        Ok(r) => r,
        Err(e) => {
            out.failures.push(e);
            return out;
        }
    };
    for (facet, want) in &expect.facets {
        if let Some(u) = expect.unexpressible.iter().find(|u| u.applies(era, facet)) {
            let warning = u.warning.as_deref().unwrap_or(facet);
            if !has_warning(&r.warnings, warning) {
                out.failures.push(format!(
                    "{facet}: unexpressible in this era ({}), but no warning mentions {warning:?}",
                    u.why
                ));
            }
            out.warned += 1;
            continue;
        }
        out.checked += 1;
        let result = check(&r, facet, want);
        match (
            expect.pending.iter().find(|p| p.applies(era, facet)),
            result,
        ) {
            (None, Ok(())) => {}
            (None, Err(e)) => out.failures.push(e),
            (Some(p), Err(e)) => out.pending.push(format!("{e} (pending: {})", p.why)),
            (Some(p), Ok(())) => out.failures.push(format!(
                "{facet}: passes now, remove its `pending` entry ({})",
                p.why
            )),
        }
    }
    for u in &expect.unexpressible {
        if !expect.facets.contains_key(&u.facet) {
            out.failures
                .push(format!("unexpressible {}: no such facet expected", u.facet));
        }
    }
    out
}

fn run_guide(guide: &str) {
    if !(require_tool("bash", "the scenarios cannot be rendered by bench-render")
        && require_tool("python3", "bench-render cannot run llm-d-benchmark's steps"))
    {
        return;
    }
    if let Err(e) = warm() {
        panic!("{e}");
    }
    let expectations = load_expectations(guide);
    let opened = source::open_local(&corpus_guides().join(guide)).expect("open corpus guide");
    let variants: BTreeSet<String> = guide::variants(&opened)
        .expect("variants")
        .into_iter()
        .collect();
    let listed: BTreeSet<String> = expectations.keys().cloned().collect();
    assert_eq!(
        variants, listed,
        "tests/behaviour/{guide}.yaml must list exactly the guide's variants"
    );

    let mut work: Vec<(String, String)> = Vec::new();
    for v in &variants {
        for era in ERAS {
            work.push((v.clone(), era.to_string()));
        }
    }
    let queue = Mutex::new(work);
    let results: Mutex<BTreeMap<(String, String), Outcome>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..SLOTS {
            s.spawn(|| {
                loop {
                    let Some((v, era)) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop()
                    else {
                        break;
                    };
                    let outcome = evaluate(guide, &v, &era, &expectations[&v]);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert((v, era), outcome);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());

    let mut report = String::new();
    let mut summary = Vec::new();
    for era in ERAS {
        let of_era: Vec<_> = results.iter().filter(|((_, e), _)| e == era).collect();
        let matching = of_era
            .iter()
            .filter(|(_, o)| o.failures.is_empty() && o.pending.is_empty())
            .count();
        let checked: usize = of_era.iter().map(|(_, o)| o.checked).sum();
        let warned: usize = of_era.iter().map(|(_, o)| o.warned).sum();
        let refused = of_era.iter().filter(|(_, o)| o.refused).count();
        summary.push(format!(
            "{era}: {matching}/{} match ({checked} facets equal, {warned} unexpressible and warned, {refused} refused as expected)",
            of_era.len()
        ));
    }
    for ((v, era), o) in &results {
        for p in &o.pending {
            report.push_str(&format!("  PENDING {guide}.{v} @{era}: {p}\n"));
        }
    }
    let mut failed = String::new();
    for ((v, era), o) in &results {
        for f in &o.failures {
            failed.push_str(&format!("  {guide}.{v} @{era}: {f}\n"));
        }
    }
    eprintln!(
        "BEHAVIOUR {guide}: {} ({} variants)\n{report}",
        summary.join(", "),
        variants.len()
    );
    assert!(
        failed.is_empty(),
        "{guide}: rendered values differ from the guide:\n{failed}"
    );
}

macro_rules! guide_tests {
    ($($name:ident => $guide:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_guide($guide);
            }
        )*
    };
}

guide_tests! {
    inference_scheduling => "inference-scheduling",
    pd_disaggregation => "pd-disaggregation",
    precise_prefix_cache_aware => "precise-prefix-cache-aware",
    simulated_accelerators => "simulated-accelerators",
    workload_autoscaling => "workload-autoscaling",
    wide_ep_lws => "wide-ep-lws",
    tiered_prefix_cache => "tiered-prefix-cache",
}

/// The facet checks themselves can fail (a harness that cannot fail is no test).
#[test]
fn facet_checks_detect_differences() {
    let ms = parse_last_wins(
        "ms.yaml",
        "decode:\n  replicas: 2\n  containers:\n  - image: a\n    args:\n    - --tensor-parallel-size 4\n",
    )
    .expect("parse");
    let gaie = parse_last_wins(
        "gaie.yaml",
        "inferenceExtension:\n  flags:\n    a: 1\n  flags:\n    v: \"2\"\n",
    )
    .expect("duplicate keys: the last wins");
    let r = Rendered {
        ms,
        gaie,
        env: serde_json::Map::new(),
        bench: PathBuf::new(),
        warnings: vec!["the gateway class agentgateway is not installed".into()],
    };
    let node = |t: &str| yaml::parse_one("t", t).expect("parse").root;
    assert!(check(&r, "decode.replicas", &node("2")).is_ok());
    assert!(check(&r, "decode.replicas", &node("3")).is_err());
    assert!(check(&r, "decode.flags", &node("[--tensor-parallel-size 4]")).is_ok());
    assert!(check(&r, "decode.flags", &node("[--tensor-parallel-size 8]")).is_err());
    assert!(check(&r, "decode.flags_absent", &node("[--tensor-parallel-size]")).is_err());
    assert!(check(&r, "gaie.flags", &node("{v: 2}")).is_ok());
    assert!(check(&r, "gaie.flags", &node("{a: 1}")).is_err());
    assert!(check(&r, "warnings", &node("[agentgateway]")).is_ok());
    assert!(check(&r, "warnings", &node("[kgateway]")).is_err());
    // No UCX_TLS in the pod: UCX uses all its transports.
    assert!(check(&r, "decode.ucx_tls", &node("all")).is_ok());
    assert!(check(&r, "decode.ucx_tls", &node("tcp")).is_err());
    assert!(check(&r, "no-such-facet", &node("1")).is_err());
    assert!(check(&r, "prefill.create", &node("true")).is_err());
}

/// Names llm-d-benchmark would read as something else are refused, with a warning (issue 13).
#[test]
fn names_the_bench_would_misread_are_refused() {
    let convert_fixture = |rel: &str| {
        let cwd = tempfile::tempdir().expect("temp dir");
        convert::convert(&Request {
            input: crate_root().join("tests/fixtures").join(rel),
            cwd: cwd.path().to_path_buf(),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let c = convert_fixture("plugins-file-outside-presets/gaie-x/values.yaml");
    assert!(
        c.scenario
            .export("LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE")
            .is_none()
    );
    assert!(
        has_warning(&c.warning_texts(), "not a plain file name"),
        "{:?}",
        c.warnings
    );
    assert!(c.scenario_text.contains("# WARNING: GAIE plugins"));
    let c = convert_fixture("model-name-list/values.yaml");
    assert!(c.scenario.export("LLMDBENCH_DEPLOY_MODEL_LIST").is_none());
    assert!(
        has_warning(&c.warning_texts(), "holds `,` or `:`"),
        "{:?}",
        c.warnings
    );
}

/// A stage's init containers reach the rendered stage where the checkout has a setting for
/// them (2026-03-30), and are listed as not passed on where it has none (2026-02-05).
#[test]
fn init_containers_follow_the_era() {
    if !(require_tool("bash", "the scenarios cannot be rendered by bench-render")
        && require_tool("python3", "bench-render cannot run llm-d-benchmark's steps"))
    {
        return;
    }
    if let Err(e) = warm() {
        panic!("{e}");
    }
    let input = crate_root().join("tests/fixtures/init-containers/values.yaml");
    let r = render_input(&input, guide::DEFAULT_VARIANT, "2026-03-30").expect("render 2026-03-30");
    let init =
        r.ms.at("decode.initContainers")
            .expect("decode.initContainers rendered");
    let first = init
        .as_seq()
        .and_then(|s| s.first().cloned())
        .expect("one init container");
    assert_eq!(scalar_text(first.get("name")), "warm-cache");
    assert_eq!(scalar_text(first.get("image")), "busybox:1.36");
    assert!(
        r.ms.at("prefill.initContainers").is_none(),
        "prefill has none"
    );

    let r = render_input(&input, guide::DEFAULT_VARIANT, "2026-02-05").expect("render 2026-02-05");
    assert!(r.ms.at("decode.initContainers").is_none());
    let cwd = tempfile::tempdir().expect("temp dir");
    let c = convert::convert(&Request {
        input,
        cwd: cwd.path().to_path_buf(),
        bench_dir: Some(bench_dir("2026-02-05")),
        ..Default::default()
    })
    .expect("convert");
    assert!(
        c.scenario_text
            .contains("defines no LLMDBENCH_VLLM_MODELSERVICE_DECODE_INIT_CONTAINER_CONFIG"),
        "the 2026-02-05 scenario names the init containers it cannot pass on"
    );
}
