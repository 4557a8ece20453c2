//! The llm-d-benchmark v2 scenario (`config/scenarios/guides/<name>.yaml`): one stack, only
//! the keys whose value differs from the checkout's `config/templates/values/defaults.yaml`,
//! each with the guide lines it came from; then the accounting of every other guide value.
//!
//! The keys written are those the 2026-05-01 templates read (`13_ms-values.yaml.j2`,
//! `12_gaie-values.yaml.j2`, `_macros.j2`); the mapping from model fields to keys is the
//! tables below.

use std::path::Path;

use crate::error::{Error, Result};
use crate::mapping::vllm::{one_line, sh_word};
use crate::model::{Deployment, Engine, Leaf, Sourced, Stage};
use crate::render::comment;
use crate::scenario::{Counts, Origin};
use crate::yaml::{self, Kind, Node, double_quoted};

/// The defaults file of a v2 checkout, relative to its root.
pub const DEFAULTS_FILE: &str = "config/templates/values/defaults.yaml";

/// Defaults of llm-d-benchmark 2026-05-01 this writer compares with when no checkout is
/// found (facts read from its `defaults.yaml`).
const BUILTIN_DEFAULTS: &[(&str, &str)] = &[
    ("model.name", "facebook/opt-125m"),
    ("model.size", "1Ti"),
    ("model.maxModelLen", "16384"),
    ("model.blockSize", "64"),
    ("model.gpuMemoryUtilization", "0.95"),
    ("storage.modelPvc.size", "300Gi"),
    ("images.vllm.repository", "ghcr.io/llm-d/llm-d-cuda"),
    ("images.vllm.tag", "v0.6.0"),
    (
        "images.routingSidecar.repository",
        "ghcr.io/llm-d/llm-d-routing-sidecar",
    ),
    ("images.routingSidecar.tag", "v0.7.1"),
    (
        "images.inferenceScheduler.repository",
        "ghcr.io/llm-d/llm-d-inference-scheduler",
    ),
    ("images.inferenceScheduler.tag", "v0.7.1"),
    ("accelerator.type", "nvidia"),
    ("accelerator.resource", "nvidia.com/gpu"),
    ("gateway.className", "istio"),
    ("inferenceExtension.replicas", "1"),
    (
        "inferenceExtension.pluginsConfigFile",
        "default-plugins.yaml",
    ),
    ("routing.servicePort", "8000"),
    ("routing.connector", "nixlv2"),
    ("routing.debugLevel", "3"),
    ("routing.proxy.enabled", "true"),
    ("routing.proxy.targetPort", "8200"),
    ("vllmCommon.flags.enforceEager", "true"),
    ("vllmCommon.flags.disableLogRequests", "true"),
    ("vllmCommon.flags.disableUvicornAccessLog", "true"),
    ("vllmCommon.kvTransfer.enabled", "false"),
    ("vllmCommon.kvTransfer.connector", "NixlConnector"),
    ("vllmCommon.kvTransfer.role", "kv_both"),
    ("vllmCommon.kvEvents.enabled", "false"),
    ("multinode.enabled", "false"),
    ("decode.enabled", "true"),
    ("decode.replicas", "1"),
    ("decode.parallelism.tensor", "1"),
    ("decode.parallelism.data", "1"),
    ("decode.parallelism.dataLocal", "1"),
    ("decode.parallelism.workers", "1"),
    ("decode.resources.limits.memory", "40Gi"),
    ("decode.resources.limits.cpu", "4"),
    ("decode.resources.requests.memory", "40Gi"),
    ("decode.resources.requests.cpu", "4"),
    ("prefill.enabled", "false"),
    ("prefill.replicas", "0"),
    ("harness.name", "inference-perf"),
    ("harness.profile", "sanity_random.yaml"),
];

/// The extended resource of each accelerator type (the modelservice chart's table).
const RESOURCE_OF_TYPE: &[(&str, &str)] = &[
    ("nvidia", "nvidia.com/gpu"),
    ("intel-i915", "gpu.intel.com/i915"),
    ("intel-xe", "gpu.intel.com/xe"),
    ("intel-gaudi", "habana.ai/gaudi"),
    ("amd", "amd.com/gpu"),
    ("google", "google.com/tpu"),
];

/// The defaults a scenario is compared with.
#[derive(Debug, Clone)]
pub struct V2Defaults {
    tree: Option<Node>,
    /// Said in the header: where the defaults came from.
    pub describe: String,
}

impl V2Defaults {
    /// The checkout's `defaults.yaml`.
    pub fn load(bench_dir: &Path) -> Result<V2Defaults> {
        let path = bench_dir.join(DEFAULTS_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Read {
            path: path.clone(),
            source: e,
        })?;
        let doc = yaml::parse_one(&path.display().to_string(), &text)?;
        Ok(V2Defaults {
            tree: Some(doc.root),
            describe: format!("{} of {}", DEFAULTS_FILE, bench_dir.display()),
        })
    }

    pub fn builtin() -> V2Defaults {
        V2Defaults {
            tree: None,
            describe: "built-in table of llm-d-benchmark 2026-05-01 defaults".into(),
        }
    }

    /// The default scalar at a dotted path, as text.
    pub fn get(&self, path: &str) -> Option<String> {
        match &self.tree {
            Some(t) => {
                let mut n = t;
                for part in path.split('.') {
                    n = n.get(part)?;
                }
                n.as_scalar().map(|s| s.value.clone())
            }
            None => BUILTIN_DEFAULTS
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, v)| v.to_string()),
        }
    }
}

/// What the scenario is for.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub name: &'a str,
    /// "Based on ..." text.
    pub origin: &'a str,
    pub variant: Option<&'a str>,
    pub harness: &'a str,
    pub profile: &'a str,
}

/// The files of a v2 conversion.
#[derive(Debug, Clone)]
pub struct V2Scenario {
    pub text: String,
    /// `config/specification/guides/<name>.yaml.j2`.
    pub specification: String,
    pub counts: Counts,
    pub warnings: Vec<String>,
    /// The guide's scalar values by key path (written or equal to the default): the centers
    /// of a one-factor-at-a-time experiment.
    pub values: std::collections::BTreeMap<String, String>,
}

/// A value to write.
#[derive(Debug, Clone)]
enum Val {
    /// A scalar typed as YAML reads it plain (number, boolean) when it is one.
    Typed(String),
    /// Always a string.
    Str(String),
    /// A literal block (`|`).
    Block(String),
    /// A guide subtree, written as it is.
    Tree(Node),
    List(Vec<Val>),
}

#[derive(Debug, Clone)]
struct Out {
    path: String,
    val: Val,
    origins: Vec<Origin>,
    note: Option<String>,
}

struct Writer<'a> {
    defaults: &'a V2Defaults,
    out: Vec<Out>,
    defaulted: Vec<(String, String, Origin)>,
    handled: Vec<(String, Origin, String)>,
    unmapped: Vec<(String, Origin, String)>,
    warnings: Vec<String>,
}

/// Flags of the generated `vllm serve` command, and where their value goes.
enum FlagTo {
    /// A scenario key (value of the flag).
    Key(&'static str),
    /// A boolean switch key set to true by the flag's presence.
    Switch(&'static str),
    /// Set by llm-d-benchmark itself.
    Bench(&'static str),
    /// `--kv-transfer-config` JSON.
    KvTransfer,
    /// The stage's `parallelism.tensor`.
    Tensor,
    /// `--kv-events-config` JSON: enabled; the endpoint is the benchmark's.
    KvEvents,
}

const FLAGS: &[(&str, FlagTo)] = &[
    ("--max-model-len", FlagTo::Key("model.maxModelLen")),
    ("--block-size", FlagTo::Key("model.blockSize")),
    (
        "--gpu-memory-utilization",
        FlagTo::Key("model.gpuMemoryUtilization"),
    ),
    ("--tensor-parallel-size", FlagTo::Tensor),
    (
        "--enforce-eager",
        FlagTo::Switch("vllmCommon.flags.enforceEager"),
    ),
    (
        "--no-enable-log-requests",
        FlagTo::Switch("vllmCommon.flags.disableLogRequests"),
    ),
    (
        "--disable-uvicorn-access-log",
        FlagTo::Switch("vllmCommon.flags.disableUvicornAccessLog"),
    ),
    (
        "--enable-prefix-caching",
        FlagTo::Switch("vllmCommon.flags.enablePrefixCaching"),
    ),
    (
        "--no-enable-prefix-caching",
        FlagTo::Switch("vllmCommon.flags.noPrefixCaching"),
    ),
    ("--kv-transfer-config", FlagTo::KvTransfer),
    ("--kv-events-config", FlagTo::KvEvents),
    (
        "--port",
        FlagTo::Bench("llm-d-benchmark sets the port (vllm.port behind the routing proxy)"),
    ),
    ("--host", FlagTo::Bench("llm-d-benchmark sets the host")),
    (
        "--served-model-name",
        FlagTo::Bench("llm-d-benchmark serves the model under model.name"),
    ),
    (
        "--model",
        FlagTo::Bench("llm-d-benchmark serves the model from its model volume"),
    ),
];

/// Switches the generated command passes unless their key is false: (key, flag).
const SWITCHES: &[(&str, &str)] = &[
    ("vllmCommon.flags.enforceEager", "--enforce-eager"),
    (
        "vllmCommon.flags.disableLogRequests",
        "--no-enable-log-requests",
    ),
    (
        "vllmCommon.flags.disableUvicornAccessLog",
        "--disable-uvicorn-access-log",
    ),
];

/// Guide paths llm-d-benchmark handles itself, by prefix (`*` matches one segment).
const HANDLED: &[(&str, &str)] = &[
    ("modelArtifacts.labels", "llm-d-benchmark sets the labels"),
    (
        "modelArtifacts.authSecretName",
        "llm-d-benchmark creates its own Hugging Face token secret (huggingface.secretName)",
    ),
    (
        "*.monitoring",
        "pod monitoring is not used in benchmark runs",
    ),
    ("*.containers.0.name", "llm-d-benchmark names the container"),
    (
        "*.containers.0.mountModelVolume",
        "llm-d-benchmark mounts its model volume (decode.mountModelVolume)",
    ),
    (
        "*.containers.0.startupProbe",
        "llm-d-benchmark sets the probes (decode.probes)",
    ),
    (
        "*.containers.0.livenessProbe",
        "llm-d-benchmark sets the probes (decode.probes)",
    ),
    (
        "*.containers.0.readinessProbe",
        "llm-d-benchmark sets the probes (decode.probes)",
    ),
    (
        "*.serviceAccountName",
        "llm-d-benchmark runs the pods under its own service account",
    ),
    (
        "inferenceExtension.monitoring",
        "EPP monitoring is not used in benchmark runs",
    ),
    (
        "inferencePool",
        "llm-d-benchmark creates the inference pool",
    ),
    (
        "manifests.*.*.apiVersion",
        "llm-d-benchmark creates the model-server workload",
    ),
    (
        "manifests.*.*.kind",
        "llm-d-benchmark creates the model-server workload",
    ),
    (
        "manifests.*.*.metadata",
        "llm-d-benchmark names and labels its resources",
    ),
    (
        "manifests.*.*.spec.selector",
        "llm-d-benchmark sets the selectors",
    ),
    (
        "routing.proxy.secure",
        "llm-d-benchmark sets routing.secure",
    ),
    (
        "chartVersions",
        "the checkout pins the chart versions (chartVersions)",
    ),
    (
        "routing.proxy.sidecar",
        "llm-d-benchmark deploys its own routing sidecar",
    ),
    (
        "resources.PodMonitor",
        "pod monitoring is not used in benchmark runs",
    ),
    (
        "resources.ServiceMonitor",
        "pod monitoring is not used in benchmark runs",
    ),
    (
        "resources.ServiceAccount",
        "llm-d-benchmark runs the pods under its own service account",
    ),
    (
        "inferenceExtension.extraContainerPorts",
        "llm-d-benchmark declares the EPP's ports (extProcPort, zmqPort)",
    ),
    (
        "inferenceExtension.extraServicePorts",
        "llm-d-benchmark declares the EPP's ports (extProcPort, zmqPort)",
    ),
];

impl<'a> Writer<'a> {
    /// Write `path: val` unless a scalar equals the default.
    fn put(&mut self, path: &str, val: Val, origins: Vec<Origin>, note: Option<String>) {
        if let Val::Typed(v) | Val::Str(v) = &val
            && let Some(d) = self.defaults.get(path)
            && same_scalar(&d, v)
        {
            for o in origins {
                self.defaulted.push((path.to_string(), v.clone(), o));
            }
            return;
        }
        if let Some(existing) = self.out.iter_mut().find(|o| o.path == path) {
            let same = match (&existing.val, &val) {
                (Val::Typed(a) | Val::Str(a), Val::Typed(b) | Val::Str(b)) => same_scalar(a, b),
                _ => false,
            };
            if same {
                existing.origins.extend(origins);
            } else {
                let why = format!(
                    "not expressible: {path} has one value, already written from another place of the guide"
                );
                for o in origins {
                    self.unmapped.push((path.to_string(), o, why.clone()));
                }
            }
            return;
        }
        self.out.push(Out {
            path: path.to_string(),
            val,
            origins,
            note,
        });
    }

    fn put_s(&mut self, path: &str, v: &Sourced<String>) {
        self.put(
            path,
            Val::Typed(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }

    fn handled(&mut self, what: &str, origin: &Origin, why: &str) {
        self.handled
            .push((what.to_string(), origin.clone(), why.to_string()));
    }

    fn unmapped(&mut self, what: &str, origin: &Origin, why: &str) {
        self.unmapped
            .push((what.to_string(), origin.clone(), why.to_string()));
    }
}

fn same_scalar(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

/// Write the v2 scenario of `d`.
pub fn scenario(d: &Deployment, defaults: &V2Defaults, meta: &Meta<'_>) -> V2Scenario {
    let mut w = Writer {
        defaults,
        out: Vec::new(),
        defaulted: Vec::new(),
        handled: Vec::new(),
        unmapped: Vec::new(),
        warnings: Vec::new(),
    };
    model(&mut w, d);
    images(&mut w, d);
    for stage in [&d.decode, &d.prefill] {
        stage_keys(&mut w, d, stage);
    }
    generated_flags(&mut w, d);
    routing(&mut w, d);
    router(&mut w, d);
    coupled(&mut w, d);
    for (path, v) in &d.autoscaling {
        w.unmapped(
            path,
            &v.origin,
            "not carried to v2 by this version: autoscaling (wva.*) is set up by the benchmark's own WVA options",
        );
    }
    for leaf in &d.rest {
        rest_leaf(&mut w, leaf);
    }
    w.put("harness.name", Val::Str(meta.harness.into()), vec![], None);
    w.put(
        "harness.profile",
        Val::Str(meta.profile.into()),
        vec![],
        None,
    );
    let counts = Counts {
        mapped: w.out.iter().map(|o| o.origins.len()).sum(),
        defaulted: w.defaulted.len(),
        framework: w.handled.len(),
        unmapped: w.unmapped.len(),
    };
    let text = render(&w, d, defaults, meta, &counts);
    let mut values: std::collections::BTreeMap<String, String> = w
        .defaulted
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    for o in &w.out {
        if let Val::Typed(v) | Val::Str(v) = &o.val {
            values.insert(o.path.clone(), v.clone());
        }
    }
    V2Scenario {
        text,
        specification: specification(meta.name),
        counts,
        warnings: w.warnings,
        values,
    }
}

fn model(w: &mut Writer<'_>, d: &Deployment) {
    let m = &d.model;
    let id = m.hf_id.as_ref().or(m.name.as_ref());
    let Some(id) = id else {
        w.warnings.push(
            "the guide names no model (modelArtifacts.name): llm-d-benchmark will deploy its default".into(),
        );
        return;
    };
    let served = m.name.as_ref().unwrap_or(id);
    // Name, path, id and short name go together: a name alone would serve the default weights.
    let origins = vec![id.origin.clone()];
    w.put(
        "model.name",
        Val::Str(served.value.clone()),
        vec![served.origin.clone()],
        None,
    );
    w.put(
        "model.huggingfaceId",
        Val::Str(id.value.clone()),
        origins.clone(),
        None,
    );
    w.put(
        "model.path",
        Val::Str(format!("models/{}", id.value)),
        origins.clone(),
        Some("the model volume holds the weights at models/<Hugging Face id>".into()),
    );
    let short: String = id
        .value
        .chars()
        .map(|c| {
            if c == '/' || c == '.' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    w.put("model.shortName", Val::Str(short), origins, None);
    if served.value != id.value {
        w.warnings.push(format!(
            "the guide serves {} under the name {}; llm-d-benchmark serves model.name",
            id.value, served.value
        ));
    }
    if let Some(size) = &m.size {
        w.put_s("model.size", size);
        w.put_s("storage.modelPvc.size", size);
    }
    if let Some(uri) = &m.uri
        && m.hf_id.is_none()
    {
        w.handled(
            "modelArtifacts.uri",
            &uri.origin,
            "llm-d-benchmark downloads the model into its own volume (modelservice.uriProtocol)",
        );
    }
    if let Some(s) = &m.auth_secret {
        w.handled(
            "modelArtifacts.authSecretName",
            &s.origin,
            "llm-d-benchmark creates its own Hugging Face token secret (huggingface.secretName)",
        );
    }
}

/// `repo[:tag]` split at the tag's colon (not a registry port's).
fn split_image(image: &str) -> (String, Option<String>) {
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(c) => (
            image[..slash + c].to_string(),
            Some(image[slash + c + 1..].to_string()),
        ),
        None => (image.to_string(), None),
    }
}

fn put_image(w: &mut Writer<'_>, key: &str, image: &Sourced<String>) {
    let (repo, tag) = split_image(&image.value);
    w.put(
        &format!("images.{key}.repository"),
        Val::Str(repo),
        vec![image.origin.clone()],
        None,
    );
    if let Some(tag) = tag {
        w.put(
            &format!("images.{key}.tag"),
            Val::Str(tag),
            vec![image.origin.clone()],
            None,
        );
    }
}

fn images(w: &mut Writer<'_>, d: &Deployment) {
    let decode = d.decode.image.as_ref().filter(|_| d.decode.created());
    let prefill = d.prefill.image.as_ref().filter(|_| d.prefill.created());
    let Some(first) = decode.or(prefill) else {
        return;
    };
    put_image(w, "vllm", first);
    if let (Some(a), Some(b)) = (decode, prefill)
        && a.value != b.value
    {
        w.unmapped(
            "prefill.containers.0.image",
            &b.origin,
            "not expressible: both stages run images.vllm",
        );
    }
}

fn stage_keys(w: &mut Writer<'_>, d: &Deployment, s: &Stage) {
    let k = s.kind.key();
    let key = |rest: &str| format!("{k}.{rest}");
    let created = s.created();
    let create_origin: Vec<Origin> = s.create.iter().map(|c| c.origin.clone()).collect();
    w.put(
        &key("enabled"),
        Val::Typed(created.to_string()),
        create_origin,
        None,
    );
    if !created {
        for (what, o) in stage_origins(s) {
            w.handled(
                &format!("{k}.{what}"),
                &o,
                &format!("the guide does not create the {k} stage"),
            );
        }
        return;
    }
    if let Some(r) = &s.replicas {
        w.put_s(&key("replicas"), r);
    }
    let p = &s.parallelism;
    for (name, v) in [
        ("tensor", &p.tensor),
        ("data", &p.data),
        ("dataLocal", &p.data_local),
        ("workers", &p.workers),
    ] {
        if let Some(v) = v {
            w.put_s(&key(&format!("parallelism.{name}")), v);
        }
    }
    if let Some(a) = &s.accelerator {
        if a.resource != w.defaults.get("accelerator.resource").unwrap_or_default() {
            let o: Vec<Origin> = a
                .limit
                .iter()
                .chain(&a.request)
                .map(|v| v.origin.clone())
                .collect();
            w.put(
                "accelerator.resource",
                Val::Str(a.resource.clone()),
                o,
                None,
            );
        }
        if let Some(l) = &a.limit {
            w.put(
                &key(&format!("resources.limits.{}", a.resource)),
                Val::Str(l.value.clone()),
                vec![l.origin.clone()],
                None,
            );
        }
        if let Some(r) = &a.request {
            w.put(
                &key(&format!("resources.requests.{}", a.resource)),
                Val::Str(r.value.clone()),
                vec![r.origin.clone()],
                None,
            );
        }
    }
    let cpu_only = d.engine == Engine::Simulator
        || d.accelerator_type
            .as_ref()
            .is_some_and(|t| t.value == "cpu");
    if s.accelerator.is_none() && cpu_only {
        // Without it the template requests parallelism.tensor x dataLocal accelerators.
        let o = d
            .accelerator_type
            .iter()
            .map(|t| t.origin.clone())
            .collect();
        w.put(
            &key("accelerator.count"),
            Val::Typed("0".into()),
            o,
            Some(format!(
                "the {} stage runs on CPU ({} engine)",
                k,
                d.engine.name()
            )),
        );
    }
    let mut network: Option<(String, &Sourced<String>)> = None;
    for (res, v) in &s.resources {
        let name = res.split_once('.').map_or(res.as_str(), |(_, n)| n);
        match name {
            "cpu" | "memory" => w.put(
                &key(&format!("resources.{res}")),
                Val::Str(v.value.clone()),
                vec![v.origin.clone()],
                None,
            ),
            "ephemeral-storage" => w.put(
                &key("ephemeralStorage"),
                Val::Str(v.value.clone()),
                vec![v.origin.clone()],
                None,
            ),
            other => match &network {
                Some((n, _)) if n != other => w.unmapped(
                    &format!("{k}.containers.0.resources.{res}"),
                    &v.origin,
                    "not expressible: a stage requests one network resource (networkResource)",
                ),
                _ => {
                    w.put(
                        &key("networkResource"),
                        Val::Str(other.to_string()),
                        vec![v.origin.clone()],
                        None,
                    );
                    w.put(
                        &key("networkNr"),
                        Val::Str(v.value.clone()),
                        vec![v.origin.clone()],
                        None,
                    );
                    network = Some((other.to_string(), v));
                }
            },
        }
    }
    command(w, d, s);
    setup(w, s);
    if let Some(p) = &s.pull_policy {
        w.put_s(&key("vllm.imagePullPolicy"), p);
    }
    for (name, v) in &s.container_extra {
        w.put(
            &key(&format!("extraContainerConfig.{name}")),
            Val::Tree(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }
    let env: Vec<&Sourced<Node>> = s.env.iter().filter(|e| env_ok(w, k, e)).collect();
    if !env.is_empty() {
        w.put(
            &key("extraEnvVars"),
            Val::List(env.iter().map(|e| Val::Tree(e.value.clone())).collect()),
            env.iter().map(|e| e.origin.clone()).collect(),
            None,
        );
    }
    let mut volumes = Vec::new();
    let mut origins = Vec::new();
    for v in &s.volumes {
        match typed_volume(&v.value) {
            Some(n) => {
                volumes.push(Val::Tree(n));
                origins.push(v.origin.clone());
            }
            None => w.unmapped(
                &format!("{k}.volumes"),
                &v.origin,
                "not expressible: llm-d-benchmark writes configMap, emptyDir, persistentVolumeClaim, secret and hostPath volumes only",
            ),
        }
    }
    if !volumes.is_empty() {
        w.put(&key("additionalVolumes"), Val::List(volumes), origins, None);
    }
    if !s.mounts.is_empty() {
        w.put(
            &key("additionalVolumeMounts"),
            Val::List(
                s.mounts
                    .iter()
                    .map(|m| Val::Tree(m.value.clone()))
                    .collect(),
            ),
            s.mounts.iter().map(|m| m.origin.clone()).collect(),
            None,
        );
    }
    if !s.init_containers.is_empty() {
        w.put(
            &key("initContainers"),
            Val::List(
                s.init_containers
                    .iter()
                    .map(|m| Val::Tree(m.value.clone()))
                    .collect(),
            ),
            s.init_containers.iter().map(|m| m.origin.clone()).collect(),
            None,
        );
    }
    if !s.ports.is_empty() {
        w.put(
            &key("ports"),
            Val::List(s.ports.iter().map(|m| Val::Tree(m.value.clone())).collect()),
            s.ports.iter().map(|m| m.origin.clone()).collect(),
            None,
        );
    }
    // `<stage>.nodeSelector` and `<stage>.tolerations` are pasted by `toyaml | indent(4)`,
    // which leaves the first line unindented (invalid values); the node selector goes to
    // the affinity both stages share instead.
    for (name, v) in &s.node_selector {
        let path = format!("affinity.nodeSelector.{name}");
        if let Some(earlier) = w.out.iter().find(|o| o.path == path)
            && !matches!(&earlier.val, Val::Str(e) if *e == v.value)
        {
            w.unmapped(
                &format!("{k}.nodeSelector.{name}"),
                &v.origin,
                "not expressible: both stages share one affinity.nodeSelector",
            );
            continue;
        }
        w.put("affinity.enabled", Val::Typed("true".into()), vec![], None);
        w.put(
            &path,
            Val::Str(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }
    if let Some(t) = &s.tolerations {
        w.unmapped(
            &format!("{k}.tolerations"),
            &t.origin,
            "not expressible: llm-d-benchmark pastes <stage>.tolerations with its first line unindented, which breaks the values",
        );
    }
    if let Some(a) = &s.affinity {
        w.unmapped(
            &format!("{k}.affinity"),
            &a.origin,
            "not expressible: llm-d-benchmark builds node affinity from affinity.nodeSelector for all stages",
        );
    }
    for (name, p) in &s.probes {
        w.handled(
            &format!("{k}.containers.0.{name}"),
            &p.origin,
            "llm-d-benchmark sets the probes (<stage>.probes)",
        );
    }
}

/// Everything of a stage, for the accounting of a stage that is not created.
fn stage_origins(s: &Stage) -> Vec<(String, Origin)> {
    let mut out = Vec::new();
    let one = |out: &mut Vec<(String, Origin)>, what: &str, v: &Option<Sourced<String>>| {
        if let Some(v) = v {
            out.push((what.to_string(), v.origin.clone()));
        }
    };
    one(&mut out, "replicas", &s.replicas);
    one(&mut out, "parallelism.tensor", &s.parallelism.tensor);
    one(&mut out, "containers.0.image", &s.image);
    let lists = [
        ("containers.0.env", &s.env),
        ("volumes", &s.volumes),
        ("containers.0.volumeMounts", &s.mounts),
        ("containers.0.ports", &s.ports),
        ("containers.0.scriptSetup", &s.setup),
        ("initContainers", &s.init_containers),
    ];
    for (what, items) in lists {
        for e in items {
            out.push((what.into(), e.origin.clone()));
        }
    }
    for (name, v) in &s.container_extra {
        out.push((format!("containers.0.{name}"), v.origin.clone()));
    }
    for (name, v) in &s.resources {
        out.push((format!("containers.0.resources.{name}"), v.origin.clone()));
    }
    if let Some(c) = &s.command {
        for f in &c.flags {
            out.push((format!("containers.0.args {}", f.name), f.origin.clone()));
        }
    }
    out
}

/// An env entry llm-d-benchmark can write: `value:` without `"`, or a `valueFrom`.
fn env_ok(w: &mut Writer<'_>, stage: &str, e: &Sourced<Node>) -> bool {
    let name = e.value.get("name").and_then(Node::as_str).unwrap_or("?");
    if let Some(v) = e.value.get("value").and_then(Node::as_str)
        && (v.contains('"') || v.contains('\n') || v.contains('\\'))
    {
        w.unmapped(
            &format!("{stage}.containers.0.env {name}"),
            &e.origin,
            "not expressible: llm-d-benchmark pastes env values inside double quotes unescaped",
        );
        return false;
    }
    true
}

/// A guide volume with the `type:` key llm-d-benchmark's template dispatches on.
fn typed_volume(v: &Node) -> Option<Node> {
    const TYPES: &[&str] = &[
        "configMap",
        "emptyDir",
        "persistentVolumeClaim",
        "secret",
        "hostPath",
    ];
    let entries = v.as_map()?;
    let t = entries.iter().find(|e| TYPES.contains(&e.key.as_str()))?;
    let mut n = v.clone();
    if let Kind::Map(entries) = &mut n.kind {
        let mut typ = t.value.clone();
        typ.kind = Kind::Scalar(yaml::Scalar {
            value: t.key.clone(),
            plain: true,
        });
        entries.insert(
            1.min(entries.len()),
            yaml::Entry {
                key: "type".into(),
                line: t.line,
                value: typ,
            },
        );
        // An empty `emptyDir: {}` must stay a map the template can ask for keys.
    }
    Some(n)
}

/// How a stage starts: the command llm-d-benchmark generates (`vllm serve`, with the guide's
/// flags as model, vllmCommon and additionalFlags keys), or the guide's own command line.
fn is_generated(d: &Deployment, s: &Stage) -> bool {
    let Some(c) = &s.command else {
        return false;
    };
    let mode = c.mode.as_ref().map(|m| m.value.as_str());
    d.engine == Engine::Vllm
        && c.script.is_none()
        && matches!(mode, Some("vllmServe" | "imageDefault") | None)
        && (c.program.is_empty() || c.program.iter().any(|p| p.value == "serve"))
}

/// The stage's own command when llm-d-benchmark cannot generate it.
fn command(w: &mut Writer<'_>, d: &Deployment, s: &Stage) {
    let k = s.kind.key();
    let Some(c) = &s.command else {
        return;
    };
    if is_generated(d, s) {
        return;
    }
    let mode = c.mode.as_ref().map(|m| m.value.as_str());
    if mode == Some("imageDefault") {
        let m = c
            .mode
            .as_ref()
            .map(|m| m.origin.clone())
            .into_iter()
            .collect();
        w.put(
            &format!("{k}.vllm.modelCommand"),
            Val::Str("imageDefault".into()),
            m,
            None,
        );
        for f in &c.flags {
            w.unmapped(
                &format!("{k}.containers.0.args {}", f.name),
                &f.origin,
                "not expressible: with modelCommand imageDefault llm-d-benchmark passes no arguments",
            );
        }
        return;
    }
    // Custom command: the guide's command line, after llm-d-benchmark's preprocess step.
    let mut words: Vec<String> = c.program.iter().map(|p| sh_word(&p.value)).collect();
    words.extend(c.positional.iter().map(|p| sh_word(&p.value)));
    for f in &c.flags {
        words.push(flag_word(f));
    }
    let line = match &c.script {
        Some(script) => script.value.clone(),
        None => words.join(" "),
    };
    let mut origins: Vec<Origin> = c.program.iter().map(|p| p.origin.clone()).collect();
    origins.extend(c.flags.iter().map(|f| f.origin.clone()));
    origins.extend(c.script.iter().map(|s| s.origin.clone()));
    origins.dedup();
    w.put(
        &format!("{k}.vllm.customCommand"),
        Val::Block(line),
        origins,
        Some(format!(
            "the guide's {} command, run after llm-d-benchmark's preprocess script",
            d.engine.name()
        )),
    );
}

/// The guide's setup commands run after llm-d-benchmark's preprocess script, in the same
/// shell as the server (variables they set reach its command line).
fn setup(w: &mut Writer<'_>, s: &Stage) {
    if s.setup.is_empty() {
        return;
    }
    let mut lines = vec![
        w.defaults
            .get("vllmCommon.preprocessScript")
            .unwrap_or_else(|| "/bin/true".into()),
    ];
    let mut origins = Vec::new();
    for item in &s.setup {
        match item.value.as_str().filter(|t| !t.contains(['\n', '\r', '\0'])) {
            Some(t) => {
                lines.push(t.trim().trim_end_matches(';').to_string());
                origins.push(item.origin.clone());
            }
            None => w.unmapped(
                &format!("{}.containers.0.scriptSetup", s.kind.key()),
                &item.origin,
                "not expressible: a setup command must fit on one line of the command llm-d-benchmark runs",
            ),
        }
    }
    if !origins.is_empty() {
        w.put(
            &format!("{}.vllm.customPreprocessCommand", s.kind.key()),
            Val::Str(lines.join("; ")),
            origins,
            Some("llm-d-benchmark's preprocess script, then the guide's setup commands".into()),
        );
    }
}

/// `--flag value` as one additionalFlags word (the value shell-quoted).
fn flag_word(f: &crate::model::Flag) -> String {
    match &f.value {
        // JSON written over several lines goes on one line (same value).
        Some(v) => format!(
            "{} {}",
            f.name,
            sh_word(&one_line(v).unwrap_or_else(|| v.clone()))
        ),
        None => f.name.clone(),
    }
}

/// A flag value bound for a key both stages share.
struct Shared<'d> {
    key: &'static str,
    /// The key's values: (key, value) pairs it sets.
    sets: Vec<(String, String)>,
    flag: &'d crate::model::Flag,
}

/// The flags of the stages whose command llm-d-benchmark generates. A flag whose key is
/// shared (model.*, vllmCommon.*) goes there when every such stage passes the same value;
/// otherwise each stage passes it in its additionalFlags (vLLM takes the last of a repeated
/// flag, and additionalFlags come last).
fn generated_flags(w: &mut Writer<'_>, d: &Deployment) {
    let stages: Vec<&Stage> = [&d.decode, &d.prefill]
        .into_iter()
        .filter(|s| s.created() && is_generated(d, s))
        .collect();
    let mut extra: Vec<Vec<&crate::model::Flag>> = vec![Vec::new(); stages.len()];
    let mut shared: Vec<Vec<Shared<'_>>> = Vec::new();
    for (i, s) in stages.iter().enumerate() {
        let k = s.kind.key();
        let mut mine = Vec::new();
        let Some(c) = &s.command else {
            continue;
        };
        if c.mode.as_ref().is_some_and(|m| m.value == "imageDefault") {
            let o = c.mode.as_ref().map(|m| m.origin.clone());
            if let Some(o) = o {
                w.handled(
                    &format!("{k}.containers.0.modelCommand"),
                    &o,
                    "the image's default command is vllm serve; llm-d-benchmark generates it with the guide's flags",
                );
            }
        }
        for p in &c.positional {
            w.handled(
                &format!("{k}.containers.0.args"),
                &p.origin,
                "llm-d-benchmark serves the model from its model volume",
            );
        }
        for f in &c.flags {
            let what = format!("{k}.containers.0.args {}", f.name);
            let rule = FLAGS.iter().find(|(n, _)| *n == f.name).map(|(_, r)| r);
            let one = |key: &'static str, v: &str| Shared {
                key,
                sets: vec![(key.to_string(), v.to_string())],
                flag: f,
            };
            match rule {
                Some(FlagTo::Key(key)) => match &f.value {
                    Some(v) => mine.push(one(key, v)),
                    None => extra[i].push(f),
                },
                Some(FlagTo::Switch(key)) => mine.push(one(key, "true")),
                Some(FlagTo::Bench(why)) => w.handled(&what, &f.origin, why),
                Some(FlagTo::Tensor) => {
                    let given = s.parallelism.tensor.as_ref().map(|t| t.value.as_str());
                    match (&f.value, given) {
                        (Some(v), None) => {
                            w.put(
                                &format!("{k}.parallelism.tensor"),
                                Val::Typed(v.clone()),
                                vec![f.origin.clone()],
                                None,
                            );
                        }
                        (Some(v), Some(g)) if same_scalar(v, g) => w.handled(
                            &what,
                            &f.origin,
                            "the command passes the stage's parallelism.tensor",
                        ),
                        _ => extra[i].push(f),
                    }
                }
                Some(FlagTo::KvEvents) => {
                    let s = one("vllmCommon.kvEvents.enabled", "true");
                    mine.push(s);
                }
                Some(FlagTo::KvTransfer) => match kv_transfer(f) {
                    Some(sets) => mine.push(Shared {
                        key: "vllmCommon.kvTransfer",
                        sets,
                        flag: f,
                    }),
                    None => extra[i].push(f),
                },
                None => extra[i].push(f),
            }
        }
        shared.push(mine);
    }
    // Shared keys: written once when every generated stage agrees.
    let mut keys: Vec<&'static str> = shared.iter().flatten().map(|s| s.key).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let per: Vec<Option<&Shared<'_>>> = shared
            .iter()
            .map(|m| m.iter().find(|s| s.key == key))
            .collect();
        let agree = per
            .iter()
            .all(|p| p.is_some_and(|p| Some(&p.sets) == per[0].map(|f| &f.sets)));
        if agree {
            let origins: Vec<Origin> = per
                .iter()
                .flatten()
                .map(|p| p.flag.origin.clone())
                .collect();
            let note = (key == "vllmCommon.kvEvents.enabled").then(|| {
                "llm-d-benchmark writes the endpoint (its EPP service) and topic".to_string()
            });
            if let Some(first) = per[0] {
                for (k, v) in &first.sets {
                    w.put(k, Val::Typed(v.clone()), origins.clone(), note.clone());
                }
            }
        } else {
            for (i, p) in per.iter().enumerate() {
                if let Some(p) = p {
                    extra[i].push(p.flag);
                }
            }
        }
    }
    // Switches the generated command adds unless turned off, that not every stage passes.
    for (key, flag) in SWITCHES {
        let everywhere =
            !stages.is_empty() && shared.iter().all(|m| m.iter().any(|s| s.key == *key));
        if !everywhere && w.defaults.get(key).as_deref() == Some("true") && !stages.is_empty() {
            w.put(
                key,
                Val::Typed("false".into()),
                Vec::new(),
                Some(format!(
                    "the guide's command does not pass {flag} in every stage"
                )),
            );
        }
    }
    for (i, s) in stages.iter().enumerate() {
        if extra[i].is_empty() {
            continue;
        }
        let mut flags = extra[i].clone();
        flags.sort_by_key(|f| (f.origin.file.clone(), f.origin.first));
        flags.dedup_by(|a, b| a.name == b.name && a.value == b.value);
        w.put(
            &format!("{}.vllm.additionalFlags", s.kind.key()),
            Val::List(flags.iter().map(|f| Val::Str(flag_word(f))).collect()),
            flags.iter().map(|f| f.origin.clone()).collect(),
            None,
        );
    }
}

/// `--kv-transfer-config` as vllmCommon.kvTransfer keys, when it holds only the connector
/// and the role (the template writes those two and extraConfig; anything else goes on the
/// command line as written).
fn kv_transfer(f: &crate::model::Flag) -> Option<Vec<(String, String)>> {
    let json: serde_json::Value = serde_json::from_str(f.value.as_deref()?).ok()?;
    let map = json.as_object()?;
    if map.keys().any(|k| k != "kv_connector" && k != "kv_role") {
        return None;
    }
    let mut sets = vec![(
        "vllmCommon.kvTransfer.enabled".to_string(),
        "true".to_string(),
    )];
    for (field, key) in [("kv_connector", "connector"), ("kv_role", "role")] {
        sets.push((
            format!("vllmCommon.kvTransfer.{key}"),
            map.get(field)?.as_str()?.to_string(),
        ));
    }
    Some(sets)
}

fn routing(w: &mut Writer<'_>, d: &Deployment) {
    let n = &d.networking;
    if let Some(p) = &n.service_port {
        w.put_s("routing.servicePort", p);
    }
    let p = &n.proxy;
    if let Some(e) = &p.enabled {
        w.put(
            "routing.proxy.enabled",
            Val::Typed(e.value.to_string()),
            vec![e.origin.clone()],
            None,
        );
    }
    if let Some(c) = &p.connector {
        w.put_s("routing.connector", c);
    }
    if let Some(l) = &p.debug_level {
        w.put_s("routing.debugLevel", l);
    }
    if let Some(t) = &p.target_port {
        w.put_s("routing.proxy.targetPort", t);
    }
    if let Some(i) = &p.image {
        put_image(w, "routingSidecar", i);
    }
    if let Some(m) = &d.multinode {
        w.put(
            "multinode.enabled",
            Val::Typed(m.value.to_string()),
            vec![m.origin.clone()],
            None,
        );
    }
    if let Some(t) = &d.accelerator_type {
        w.put_s("accelerator.type", t);
        // The template names the accelerator resource `accelerator.resource` (default the
        // NVIDIA one); a stage's explicit request already set it.
        let stated = [&d.decode, &d.prefill]
            .iter()
            .any(|s| s.created() && s.accelerator.is_some());
        if !stated && let Some((_, resource)) = RESOURCE_OF_TYPE.iter().find(|(k, _)| *k == t.value)
        {
            w.put(
                "accelerator.resource",
                Val::Str((*resource).to_string()),
                vec![t.origin.clone()],
                Some(format!(
                    "the extended resource of accelerator type {}",
                    t.value
                )),
            );
        }
    }
    if let Some(g) = &d.gateway_class {
        w.put_s("gateway.className", g);
    }
    for (path, v) in &d.gateway_settings {
        if path == "logLevel" || path.starts_with("resources.") {
            w.put(
                &format!("gateway.{path}"),
                Val::Str(v.value.clone()),
                vec![v.origin.clone()],
                None,
            );
        } else {
            w.unmapped(
                &format!("gateway.gatewayParameters.{path}"),
                &v.origin,
                "not expressible: llm-d-benchmark sets the gateway's log level and resources only",
            );
        }
    }
}

fn router(w: &mut Writer<'_>, d: &Deployment) {
    let r = &d.router;
    if let Some(f) = &r.plugins_file {
        w.put_s("inferenceExtension.pluginsConfigFile", f);
    }
    for (file, text) in &r.plugins_custom {
        w.put(
            &format!("inferenceExtension.pluginsCustomConfig.{file}"),
            Val::Block(text.value.clone()),
            vec![text.origin.clone()],
            None,
        );
    }
    for (flag, v) in &r.flags {
        w.put(
            &format!("inferenceExtension.flags.{flag}"),
            Val::Str(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }
    if let Some(i) = &r.image {
        put_image(w, "inferenceScheduler", i);
    }
    if let Some(n) = &r.replicas {
        w.put_s("inferenceExtension.replicas", n);
    }
    for s in &r.sidecars {
        w.unmapped(
            "inferenceExtension.sidecars",
            &s.origin,
            "not expressible: the EPP takes one sidecar (inferenceExtension.sidecar), the tokenizer",
        );
    }
}

fn coupled(w: &mut Writer<'_>, d: &Deployment) {
    let c = &d.coupled;
    for (what, v) in [
        ("block size", &c.block_size),
        ("hash seed", &c.hash_seed),
        ("served model", &c.served_model),
    ] {
        if let Some(v) = v {
            for x in &v.conflicts {
                w.warnings.push(format!(
                    "the guide's {what} differs between places: {} at {}:{} but {} at {}:{}",
                    v.value,
                    v.origins.first().map_or("", |o| o.file.as_str()),
                    v.origins.first().map_or(0, |o| o.first),
                    x.value,
                    x.origin.file,
                    x.origin.first
                ));
            }
        }
    }
}

/// Guide paths no v2 key can carry, by prefix, with the reason.
const REFUSED: &[(&str, &str)] = &[(
    "provider",
    "not expressible: llm-d-benchmark pastes inferenceExtension.inferencePoolProviderConfig with toyaml|indent(6, false), which leaves its first line unindented (invalid values)",
)];

/// Guide scalars with a v2 key of their own: (guide path prefix, key prefix); `{stage}`
/// is decode or prefill, and the rest of the guide path follows the key prefix.
const DIRECT: &[(&str, &str)] = &[
    (
        "inferenceExtension.extProcPort",
        "inferenceExtension.extProcPort",
    ),
    (
        "inferenceExtension.image.pullPolicy",
        "images.inferenceScheduler.pullPolicy",
    ),
    ("routing.proxy.zapLogLevel", "routing.proxy.zapLogLevel"),
    ("routing.proxy.zapEncoder", "routing.proxy.zapEncoder"),
    ("{stage}.podAnnotations", "annotations.{stage}.pod"),
    (
        "{stage}.extraConfig.terminationGracePeriodSeconds",
        "{stage}.terminationGracePeriodSeconds",
    ),
    (
        "{stage}.extraConfig.enableServiceLinks",
        "{stage}.enableServiceLinks",
    ),
    ("{stage}.schedulerName", "{stage}.schedulerName"),
];

/// The v2 key of a guide scalar by [`DIRECT`].
fn direct_key(path: &str) -> Option<String> {
    for (from, to) in DIRECT {
        for stage in ["decode", "prefill"] {
            let from = from.replace("{stage}", stage);
            let rest = if path == from {
                Some("")
            } else {
                path.strip_prefix(&format!("{from}."))
            };
            if let Some(rest) = rest {
                let to = to.replace("{stage}", stage);
                return Some(if rest.is_empty() {
                    to
                } else {
                    format!("{to}.{rest}")
                });
            }
        }
    }
    None
}

fn rest_leaf(w: &mut Writer<'_>, leaf: &Leaf) {
    if let (Some(key), Some(v)) = (direct_key(&leaf.path), leaf.node.as_str()) {
        if key.starts_with("annotations.") && v.contains(['"', '\\', '\n', '\r']) {
            w.unmapped(
                &leaf.path,
                &leaf.origin,
                "not expressible: llm-d-benchmark pastes annotation values inside double quotes unescaped",
            );
            return;
        }
        let val = if leaf.node.as_scalar().is_some_and(|s| s.plain) {
            Val::Typed(v.to_string())
        } else {
            Val::Str(v.to_string())
        };
        w.put(&key, val, vec![leaf.origin.clone()], None);
        return;
    }
    let segs: Vec<&str> = leaf.path.split('.').collect();
    for (prefix, why) in REFUSED {
        if segs.first() == Some(prefix) {
            w.unmapped(&leaf.path, &leaf.origin, why);
            return;
        }
    }
    for (pattern, why) in HANDLED {
        let pat: Vec<&str> = pattern.split('.').collect();
        if pat.len() <= segs.len() && pat.iter().zip(&segs).all(|(p, s)| *p == "*" || p == s) {
            w.handled(&leaf.path, &leaf.origin, why);
            return;
        }
    }
    w.unmapped(
        &leaf.path,
        &leaf.origin,
        "not expressible: no llm-d-benchmark v2 scenario key carries this value",
    );
}

// ---------------------------------------------------------------------------------------
// Text

/// A nested map of the values written, in first-written order.
#[derive(Default)]
struct Tree {
    entries: Vec<(String, Branch)>,
}

enum Branch {
    Leaf(usize),
    Map(Tree),
}

impl Tree {
    fn insert(&mut self, segs: &[&str], i: usize) {
        let Some((first, rest)) = segs.split_first() else {
            return;
        };
        let pos = self.entries.iter().position(|(k, _)| k == first);
        if rest.is_empty() {
            if pos.is_none() {
                self.entries.push((first.to_string(), Branch::Leaf(i)));
            }
            return;
        }
        let at = match pos {
            Some(p) => p,
            None => {
                self.entries
                    .push((first.to_string(), Branch::Map(Tree::default())));
                self.entries.len() - 1
            }
        };
        if let Branch::Map(t) = &mut self.entries[at].1 {
            t.insert(rest, i);
        }
    }
}

/// Keys are split at dots, except the dots of a resource or label name after `limits`,
/// `requests`, `nodeSelector`, `pluginsCustomConfig` and `flags`.
fn segments(path: &str) -> Vec<&str> {
    const OPAQUE: &[&str] = &[
        "limits",
        "requests",
        "nodeSelector",
        "pluginsCustomConfig",
        "flags",
        "pod",
    ];
    let mut out = Vec::new();
    let mut rest = path;
    while let Some((head, tail)) = rest.split_once('.') {
        out.push(head);
        rest = tail;
        if OPAQUE.contains(&head) {
            break;
        }
    }
    out.push(rest);
    out
}

fn render(
    w: &Writer<'_>,
    d: &Deployment,
    defaults: &V2Defaults,
    meta: &Meta<'_>,
    counts: &Counts,
) -> String {
    let mut s = String::new();
    let line = |s: &mut String, t: &str| {
        s.push_str(&comment(t));
        s.push('\n');
    };
    line(
        &mut s,
        &format!(
            "{} WELL LIT PATH (llm-d-benchmark v2 scenario)",
            meta.name.to_uppercase()
        ),
    );
    line(&mut s, &format!("Based on {}", meta.origin));
    if let Some(v) = meta.variant {
        line(&mut s, &format!("Variant: {v}"));
    }
    line(
        &mut s,
        &format!(
            "Generated by convert-guide {}, the llm-d-benchmark guide converter",
            env!("CARGO_PKG_VERSION")
        ),
    );
    line(&mut s, &format!("Defaults: {}", defaults.describe));
    line(&mut s, &format!("Engine: {}", d.engine.name()));
    line(&mut s, &format!("Guide values: {counts}"));
    line(
        &mut s,
        "Only values that differ from the defaults are written.",
    );
    for warning in &w.warnings {
        line(&mut s, &format!("WARNING: {warning}"));
    }
    s.push_str("\nscenario:\n  - name: ");
    s.push_str(&scalar_str(meta.name));
    s.push('\n');
    let mut tree = Tree::default();
    for (i, o) in w.out.iter().enumerate() {
        tree.insert(&segments(&o.path), i);
    }
    write_tree(&mut s, &tree, &w.out, 4);
    s.push_str(&format!(
        "    workDir: {}\n",
        scalar_str(&format!("~/data/{}", meta.name))
    ));
    accounting(&mut s, w);
    s
}

fn write_tree(s: &mut String, t: &Tree, outs: &[Out], indent: usize) {
    let pad = " ".repeat(indent);
    for (key, b) in &t.entries {
        let k = yaml::scalar(key, yaml::Reading::String);
        match b {
            Branch::Map(sub) => {
                s.push_str(&format!("{pad}{k}:\n"));
                write_tree(s, sub, outs, indent + 2);
            }
            Branch::Leaf(i) => {
                let o = &outs[*i];
                for origin in &o.origins {
                    let range = if origin.first == origin.last {
                        origin.first.to_string()
                    } else {
                        format!("{}-{}", origin.first, origin.last)
                    };
                    s.push_str(&pad);
                    s.push_str(&comment(&format!("{}:{range}", origin.file)));
                    s.push('\n');
                    for l in origin.lines.iter().take(12) {
                        s.push_str(&pad);
                        s.push_str(&comment(&format!("  | {l}")));
                        s.push('\n');
                    }
                }
                if let Some(n) = &o.note {
                    s.push_str(&pad);
                    s.push_str(&comment(&format!("note: {n}")));
                    s.push('\n');
                }
                s.push_str(&format!("{pad}{k}:"));
                write_val(s, &o.val, indent);
            }
        }
    }
}

/// The value after `key:` (a space and a scalar, or a newline and a block).
fn write_val(s: &mut String, v: &Val, indent: usize) {
    match v {
        Val::Typed(t) => {
            s.push(' ');
            s.push_str(&scalar_typed(t));
            s.push('\n');
        }
        Val::Str(t) => {
            s.push(' ');
            s.push_str(&scalar_str(t));
            s.push('\n');
        }
        Val::Block(t) => block(s, t, indent + 2),
        Val::Tree(n) => {
            s.push('\n');
            write_node(s, n, indent + 2);
        }
        Val::List(items) => {
            s.push('\n');
            let pad = " ".repeat(indent + 2);
            for item in items {
                match item {
                    Val::Tree(n) => write_item(s, n, indent + 2),
                    Val::Str(t) => s.push_str(&format!("{pad}- {}\n", scalar_str(t))),
                    Val::Typed(t) => s.push_str(&format!("{pad}- {}\n", scalar_typed(t))),
                    other => {
                        s.push_str(&format!("{pad}-"));
                        write_val(s, other, indent + 2);
                    }
                }
            }
        }
    }
}

/// ` |` and the text indented, or a quoted scalar when a block cannot hold it.
fn block(s: &mut String, text: &str, indent: usize) {
    let ok = !text.is_empty()
        && !text.starts_with([' ', '\t', '\n'])
        && !text
            .chars()
            .any(|c| (c.is_control() && c != '\n') || crate::error::is_deceptive(c));
    if !ok {
        s.push(' ');
        s.push_str(&double_quoted(text));
        s.push('\n');
        return;
    }
    let chomp = if text.ends_with('\n') { "" } else { "-" };
    s.push_str(&format!(" |{chomp}\n"));
    let pad = " ".repeat(indent);
    for l in text.trim_end_matches('\n').split('\n') {
        if l.is_empty() {
            s.push('\n');
        } else {
            s.push_str(&pad);
            s.push_str(l);
            s.push('\n');
        }
    }
}

fn scalar_str(s: &str) -> String {
    yaml::scalar(s, yaml::Reading::String)
}

/// A number or boolean plain, anything else as a string.
fn scalar_typed(s: &str) -> String {
    let number = s.parse::<i64>().is_ok()
        || (s.parse::<f64>().is_ok_and(f64::is_finite) && s.contains('.') && !s.starts_with('.'));
    if number || s == "true" || s == "false" {
        s.to_string()
    } else {
        scalar_str(s)
    }
}

fn node_scalar(sc: &yaml::Scalar) -> String {
    if sc.plain {
        if sc.is_null() {
            return "null".into();
        }
        scalar_typed(&sc.value)
    } else {
        scalar_str(&sc.value)
    }
}

/// A map or list node's entries at `indent`.
fn write_node(s: &mut String, n: &Node, indent: usize) {
    let pad = " ".repeat(indent);
    match &n.kind {
        Kind::Map(entries) => {
            for e in entries {
                let k = scalar_str(&e.key);
                match &e.value.kind {
                    Kind::Scalar(sc) => s.push_str(&format!("{pad}{k}: {}\n", node_scalar(sc))),
                    Kind::Map(m) if m.is_empty() => s.push_str(&format!("{pad}{k}: {{}}\n")),
                    Kind::Seq(q) if q.is_empty() => s.push_str(&format!("{pad}{k}: []\n")),
                    _ => {
                        s.push_str(&format!("{pad}{k}:\n"));
                        write_node(s, &e.value, indent + 2);
                    }
                }
            }
        }
        Kind::Seq(items) => {
            for i in items {
                write_item(s, i, indent);
            }
        }
        Kind::Scalar(sc) => s.push_str(&format!("{pad}{}\n", node_scalar(sc))),
    }
}

/// `- item` at `indent`.
fn write_item(s: &mut String, n: &Node, indent: usize) {
    let pad = " ".repeat(indent);
    match &n.kind {
        Kind::Scalar(sc) => s.push_str(&format!("{pad}- {}\n", node_scalar(sc))),
        Kind::Map(m) if m.is_empty() => s.push_str(&format!("{pad}- {{}}\n")),
        Kind::Seq(q) if q.is_empty() => s.push_str(&format!("{pad}- []\n")),
        _ => {
            let mut inner = String::new();
            write_node(&mut inner, n, indent + 2);
            // The first line's indentation becomes the dash.
            let body = inner.get(indent + 2..).unwrap_or("");
            s.push_str(&format!("{pad}- {body}"));
        }
    }
}

fn accounting(s: &mut String, w: &Writer<'_>) {
    let section = |s: &mut String, title: &str, items: &[(String, Origin, String)]| {
        if items.is_empty() {
            return;
        }
        s.push('\n');
        s.push_str(&comment(title));
        s.push('\n');
        for (what, o, why) in items {
            s.push_str(&comment(&format!(
                "  {what} ({}:{}): {why}",
                o.file, o.first
            )));
            s.push('\n');
        }
    };
    if !w.defaulted.is_empty() {
        s.push('\n');
        s.push_str(&comment(
            "Guide values equal to the llm-d-benchmark default (not written):",
        ));
        s.push('\n');
        for (key, v, o) in &w.defaulted {
            s.push_str(&comment(&format!(
                "  {key} ({v:?}) from {}:{}",
                o.file, o.first
            )));
            s.push('\n');
        }
    }
    section(
        s,
        "Handled by llm-d-benchmark itself (not written):",
        &w.handled,
    );
    section(
        s,
        "Not mapped: no llm-d-benchmark v2 setting carries these guide values:",
        &w.unmapped,
    );
}

/// The specification that ties defaults, templates and this scenario together.
pub fn specification(name: &str) -> String {
    format!(
        "# Specification of the {name} scenario, generated by convert-guide.\n\
         {{% set base_dir = base_dir | default('../') -%}}\n\
         base_dir: {{{{ base_dir }}}}\n\n\
         values_file:\n  path: {{{{ base_dir }}}}/{DEFAULTS_FILE}\n\n\
         template_dir:\n  path: {{{{ base_dir }}}}/config/templates/jinja\n\n\
         scenario_file:\n  path: {{{{ base_dir }}}}/config/scenarios/guides/{name}.yaml\n"
    )
}

/// Where the v2 files of `name` go under a checkout (or `--out`): the scenario, the
/// specification and the experiment.
pub fn targets(base: &Path, name: &str) -> [std::path::PathBuf; 3] {
    [
        base.join("config/scenarios/guides")
            .join(format!("{name}.yaml")),
        base.join("config/specification/guides")
            .join(format!("{name}.yaml.j2")),
        base.join("workload/experiments")
            .join(format!("{name}.yaml")),
    ]
}
