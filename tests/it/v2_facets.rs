//! The facets the v2 render tests compare: the guide's own trees against the values the
//! llm-d-benchmark checkout renders (model, stages, image, flags, env, volumes, mounts,
//! accelerators, router, multinode, autoscaling), each matched, refused with the
//! scenario's reason, or different.

use std::collections::BTreeMap;
use std::path::Path;

use convert_guide::read::yaml::{self, Node};

use crate::common;

pub(crate) fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

pub(crate) fn parse(p: &Path) -> Node {
    let text = read(p);
    yaml::parse_one(&p.display().to_string(), &text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", p.display()))
        .root
}

/// The guide's value at a dotted path (first tree that has it).
pub(crate) fn guide_at<'a>(roots: &'a [Node], path: &str) -> Option<&'a Node> {
    roots.iter().find_map(|r| {
        let mut n = r;
        for part in path.split('.') {
            n = match part.parse::<usize>() {
                Ok(i) if n.as_seq().is_some() => n.as_seq()?.get(i)?,
                _ => n.get(part)?,
            };
        }
        Some(n)
    })
}

pub(crate) fn text(n: Option<&Node>) -> Option<String> {
    n.and_then(Node::as_str).map(str::to_string)
}

/// The facets of one case: name, outcome, detail.
pub(crate) struct Facets {
    /// The "Not mapped" section of the scenario: refusals with their reasons.
    refusals: Vec<String>,
    pub(crate) checked: Vec<(String, Outcome, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Matched,
    /// Differs, and the scenario says why (not expressible in v2).
    Refused,
    Differs,
}

impl Facets {
    pub(crate) fn new(scenario: &str) -> Facets {
        let refusals = scenario
            .split("# Not mapped:")
            .nth(1)
            .unwrap_or("")
            .lines()
            .map(str::to_string)
            .collect();
        Facets {
            refusals,
            checked: Vec::new(),
        }
    }
    /// `ok`, else refused when a "Not mapped" line names `needle`.
    pub(crate) fn check_or(&mut self, name: &str, ok: bool, needle: &str, detail: String) {
        let outcome = if ok {
            Outcome::Matched
        } else if !needle.is_empty() && self.refusals.iter().any(|l| l.contains(needle)) {
            Outcome::Refused
        } else {
            Outcome::Differs
        };
        self.checked.push((name.to_string(), outcome, detail));
    }
    pub(crate) fn check(&mut self, name: &str, ok: bool, detail: String) {
        self.check_or(name, ok, "", detail);
    }
    pub(crate) fn eq_or(
        &mut self,
        name: &str,
        guide: Option<String>,
        rendered: Option<String>,
        needle: &str,
    ) {
        if let Some(g) = guide {
            let ok = rendered.as_deref() == Some(g.as_str());
            self.check_or(
                name,
                ok,
                needle,
                format!("guide {g:?}, rendered {rendered:?}"),
            );
        }
    }
    pub(crate) fn eq(&mut self, name: &str, guide: Option<String>, rendered: Option<String>) {
        self.eq_or(name, guide, rendered, "");
    }
}

/// The rendered vLLM command words, `$VLLM_*` replaced by the container's env values.
pub(crate) fn command_words(container: &Node) -> Vec<String> {
    let script = container
        .get("args")
        .and_then(|a| a.as_seq())
        .and_then(|a| a.first())
        .and_then(Node::as_str)
        .unwrap_or("");
    let env: BTreeMap<String, String> = container
        .get("env")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((text(e.get("name"))?, text(e.get("value"))?)))
        .collect();
    common::sh_words(script)
        .into_iter()
        .map(|w| match w.strip_prefix('$') {
            Some(v) => env.get(v).cloned().unwrap_or(w),
            None => w,
        })
        .collect()
}

/// Flags llm-d-benchmark sets itself in the generated command.
pub(crate) const BENCH_FLAGS: &[&str] = &["--port", "--host", "--served-model-name", "--model"];

/// Flags whose presence is the guide's, and whose value llm-d-benchmark writes.
pub(crate) const BENCH_VALUES: &[&str] = &["--kv-events-config"];

pub(crate) fn stage_facets(f: &mut Facets, roots: &[Node], ms: &Node, stage: &str, created: bool) {
    let g = |p: &str| guide_at(roots, &format!("{stage}.{p}"));
    let r = |p: &str| ms.get(stage).and_then(|s| s.at(p));
    f.eq(
        &format!("{stage}.create"),
        Some(created.to_string()),
        text(r("create")),
    );
    if !created {
        return;
    }
    f.eq(
        &format!("{stage}.replicas"),
        text(g("replicas")),
        text(r("replicas")),
    );
    for p in ["tensor", "data", "dataLocal", "workers"] {
        f.eq(
            &format!("{stage}.parallelism.{p}"),
            text(g(&format!("parallelism.{p}"))),
            text(r(&format!("parallelism.{p}"))),
        );
    }
    let container = r("containers[0]").cloned().unwrap_or_else(|| ms.clone());
    f.eq_or(
        &format!("{stage}.image"),
        text(g("containers.0.image")),
        text(container.get("image")),
        &format!("{stage}.containers.0.image"),
    );
    flag_facets(f, roots, ms, stage);
    setup_and_env_facets(f, roots, ms, stage);
    volume_facets(f, roots, ms, stage);
    stage_accelerator_facets(f, roots, ms, stage);
}

/// Each guide flag (other than those the benchmark sets) on the command line, with its value.
fn flag_facets(f: &mut Facets, roots: &[Node], ms: &Node, stage: &str) {
    let g = |p: &str| guide_at(roots, &format!("{stage}.{p}"));
    let r = |p: &str| ms.get(stage).and_then(|s| s.at(p));
    let container = r("containers[0]").cloned().unwrap_or_else(|| ms.clone());
    // Flags: each of the guide's (other than those the benchmark sets) is on the command line
    // with its value.
    let words = command_words(&container);
    if let Some(args) = g("containers.0.args").and_then(Node::as_seq) {
        let items: Vec<String> = args.iter().filter_map(|a| text(Some(a))).collect();
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            i += 1;
            let Some(flag) = item.strip_prefix("--") else {
                continue;
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => {
                    let v = items.get(i).filter(|v| !v.starts_with("--")).cloned();
                    if v.is_some() {
                        i += 1;
                    }
                    (format!("--{flag}"), v)
                }
            };
            let name = name.replace('_', "-");
            if BENCH_FLAGS.contains(&name.as_str()) || name.contains(' ') {
                continue;
            }
            // vLLM takes the last of a repeated flag.
            let at = words.iter().rposition(|w| w.replace('_', "-") == name);
            let ok = match (&value, at) {
                (_, None) => false,
                (None, Some(_)) => true,
                // The benchmark writes the KV events endpoint (its own EPP service).
                (Some(_), Some(_)) if BENCH_VALUES.contains(&name.as_str()) => true,
                (Some(v), Some(k)) => words.get(k + 1).is_some_and(|w| same_value(w, v)),
            };
            f.check_or(
                &format!("{stage}.flag {name}"),
                ok,
                &format!("{stage}.containers.0.args {name}"),
                format!("value {value:?}, command {}", words.join(" ")),
            );
        }
    }
}

/// Setup commands in the server's shell; every env variable with its value.
fn setup_and_env_facets(f: &mut Facets, roots: &[Node], ms: &Node, stage: &str) {
    let g = |p: &str| guide_at(roots, &format!("{stage}.{p}"));
    let r = |p: &str| ms.get(stage).and_then(|s| s.at(p));
    let container = r("containers[0]").cloned().unwrap_or_else(|| ms.clone());
    // Setup commands run before the server, in its shell.
    let script = container
        .get("args")
        .and_then(Node::as_seq)
        .and_then(|a| a.first())
        .and_then(Node::as_str)
        .unwrap_or("");
    for item in g("containers.0.scriptSetup")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        let t = text(Some(item)).unwrap_or_default();
        let t = t.trim().trim_end_matches(';');
        f.check_or(
            &format!("{stage}.setup {t}"),
            script.contains(t),
            &format!("{stage}.containers.0.scriptSetup"),
            script.to_string(),
        );
    }
    // Env: every guide variable, with its value (or valueFrom).
    let renv = container.get("env").and_then(Node::as_seq).unwrap_or(&[]);
    if let Some(env) = g("containers.0.env").and_then(Node::as_seq) {
        for e in env {
            let Some(name) = text(e.get("name")) else {
                continue;
            };
            let rendered: Vec<&Node> = renv
                .iter()
                .filter(|r| text(r.get("name")).as_deref() == Some(name.as_str()))
                .collect();
            let ok = match text(e.get("value")) {
                Some(v) => rendered
                    .iter()
                    .any(|r| text(r.get("value")).as_deref() == Some(v.as_str())),
                None => rendered.iter().any(|r| r.get("valueFrom").is_some()),
            };
            f.check_or(
                &format!("{stage}.env {name}"),
                ok,
                &format!("{stage}.containers.0.env {name}"),
                format!("{} rendered", rendered.len()),
            );
        }
    }
}

/// Volumes (with a source) and mounts (name and path).
fn volume_facets(f: &mut Facets, roots: &[Node], ms: &Node, stage: &str) {
    let g = |p: &str| guide_at(roots, &format!("{stage}.{p}"));
    let r = |p: &str| ms.get(stage).and_then(|s| s.at(p));
    let container = r("containers[0]").cloned().unwrap_or_else(|| ms.clone());
    // Volumes and mounts, by name (and mount path).
    let rvol = r("volumes").and_then(Node::as_seq).unwrap_or(&[]);
    for v in g("volumes").and_then(Node::as_seq).unwrap_or(&[]) {
        let name = text(v.get("name")).unwrap_or_default();
        let ok = rvol.iter().any(|r| {
            text(r.get("name")).as_deref() == Some(name.as_str())
                && r.as_map().is_some_and(|m| m.len() > 1)
        });
        f.check_or(
            &format!("{stage}.volume {name}"),
            ok,
            &format!("{stage}.volumes"),
            String::new(),
        );
    }
    let rmounts = container
        .get("volumeMounts")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    for m in g("containers.0.volumeMounts")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        let name = text(m.get("name")).unwrap_or_default();
        let path = text(m.get("mountPath"));
        let ok = rmounts.iter().any(|r| {
            text(r.get("name")).as_deref() == Some(name.as_str())
                && text(r.get("mountPath")) == path
        });
        f.check(&format!("{stage}.mount {name}"), ok, String::new());
    }
}

/// No accelerator on a simulator or CPU stage; explicit accelerator limits.
fn stage_accelerator_facets(f: &mut Facets, roots: &[Node], ms: &Node, stage: &str) {
    let g = |p: &str| guide_at(roots, &format!("{stage}.{p}"));
    let r = |p: &str| ms.get(stage).and_then(|s| s.at(p));
    let container = r("containers[0]").cloned().unwrap_or_else(|| ms.clone());
    // A simulator or CPU stage requests no accelerator.
    let image = text(g("containers.0.image")).unwrap_or_default();
    let cpu = text(guide_at(roots, "accelerator.type")).as_deref() == Some("cpu");
    if image.contains("inference-sim") || cpu {
        let limits = container.get("resources").and_then(|r| r.get("limits"));
        let gpus: Vec<String> = limits
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter(|e| e.key.contains("gpu") || e.key.contains("tpu"))
            .map(|e| e.key.clone())
            .collect();
        f.check(
            &format!("{stage}.no accelerator"),
            gpus.is_empty(),
            format!("{gpus:?}"),
        );
    }
    // Accelerator: an explicit count in the guide is the rendered limit.
    for res in [
        "nvidia.com/gpu",
        "amd.com/gpu",
        "google.com/tpu",
        "gpu.intel.com/i915",
        "gpu.intel.com/xe",
    ] {
        let guide = g("containers.0.resources.limits").and_then(|l| l.get(res));
        let rendered = container
            .get("resources")
            .and_then(|l| l.get("limits"))
            .and_then(|l| l.get(res));
        f.eq(
            &format!("{stage}.accelerator {res}"),
            text(guide),
            text(rendered),
        );
    }
}

/// The accelerator type, and the resource the decode container requests for it.
pub(crate) fn accelerator_facets(f: &mut Facets, roots: &[Node], ms: &Node) {
    const RESOURCE: &[(&str, &str)] = &[
        ("nvidia", "nvidia.com/gpu"),
        ("intel-i915", "gpu.intel.com/i915"),
        ("intel-xe", "gpu.intel.com/xe"),
        ("intel-gaudi", "habana.ai/gaudi"),
        ("amd", "amd.com/gpu"),
        ("google", "google.com/tpu"),
    ];
    let Some(t) = text(guide_at(roots, "accelerator.type")) else {
        return;
    };
    f.eq(
        "accelerator.type",
        Some(t.clone()),
        text(ms.at("accelerator.type")),
    );
    let Some((_, res)) = RESOURCE.iter().find(|(k, _)| *k == t) else {
        return;
    };
    let created = ms.at("decode.create").and_then(Node::as_bool) == Some(true);
    if created {
        let limits = ms.at("decode.containers[0].resources.limits");
        f.check(
            &format!("decode.accelerator resource {res}"),
            limits.and_then(|l| l.get(res)).is_some(),
            format!(
                "limits {:?}",
                limits
                    .and_then(Node::as_map)
                    .map(|m| m.iter().map(|e| e.key.clone()).collect::<Vec<_>>())
            ),
        );
    }
}

/// `32000` and `"32000"`, or JSON written with other spacing, are the same value.
pub(crate) fn same_value(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Multinode (LeaderWorkerSet) and the workload variant autoscaler: the guide's values in
/// the rendered modelservice values and WVA files.
pub(crate) fn scaling_facets(f: &mut Facets, roots: &[Node], ms: &Node, stack: &Path) {
    f.eq(
        "multinode",
        text(guide_at(roots, "multinode")),
        text(ms.get("multinode")),
    );
    if text(guide_at(roots, "wva.enabled")).as_deref() != Some("true") {
        return;
    }
    let file = |name: &str| {
        let p = stack.join(name);
        p.is_file().then(|| parse(&p))
    };
    let (values, hpa) = (file("19_wva-values.yaml"), file("28_wva-hpa.yaml"));
    f.check(
        "wva rendered",
        values.is_some() && hpa.is_some() && file("27_wva-variantautoscaling.yaml").is_some(),
        String::new(),
    );
    let (Some(values), Some(hpa)) = (values, hpa) else {
        return;
    };
    for (guide, rendered, node) in [
        ("wva.metrics.enabled", "wva.metrics.enabled", &values),
        ("wva.metrics.port", "wva.metrics.port", &values),
        ("wva.metrics.secure", "wva.metrics.secure", &values),
        ("wva.prometheus.baseURL", "wva.prometheus.baseURL", &values),
        ("hpa.minReplicas", "spec.minReplicas", &hpa),
        ("hpa.maxReplicas", "spec.maxReplicas", &hpa),
        (
            "hpa.targetAverageValue",
            "spec.metrics[0].external.target.averageValue",
            &hpa,
        ),
    ] {
        f.eq_or(
            &format!("autoscaling {guide}"),
            text(guide_at(roots, guide)),
            text(node.at(rendered)),
            guide,
        );
    }
}

pub(crate) fn gaie_facets(f: &mut Facets, roots: &[Node], gaie: &Node) {
    let r = |p: &str| gaie.at(&format!("inferenceExtension.{p}"));
    f.eq(
        "router.pluginsConfigFile",
        text(guide_at(roots, "inferenceExtension.pluginsConfigFile")),
        text(r("pluginsConfigFile")),
    );
    if let Some(custom) =
        guide_at(roots, "inferenceExtension.pluginsCustomConfig").and_then(Node::as_map)
    {
        for e in custom {
            let g = e.value.as_str().map(str::trim);
            let rendered = r("pluginsCustomConfig")
                .and_then(|c| c.get(&e.key))
                .and_then(Node::as_str)
                .map(str::trim);
            f.check(
                &format!("router.plugins {}", e.key),
                g.is_some() && g == rendered,
                String::new(),
            );
        }
    }
}
