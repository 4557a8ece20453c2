//! From built manifests to the values the mapping rules know: one tree shaped like the
//! llm-d-modelservice chart's values (`multinode`, `modelArtifacts.name`, `routing.proxy`,
//! `decode` and `prefill` with replicas, parallelism, containers, volumes, pod settings),
//! made of the manifests' own nodes so every value cites the file and line it came from (the
//! patch that last set it, when a patch did).
//!
//! The vLLM container's shell script is read ([`crate::shell`], in `values/command.rs`): a plain
//! `[exec] vllm serve MODEL FLAGS`, after setup commands, becomes `modelCommand: vllmServe`
//! with the model, the flags as separate `args` (values of `$VAR`, `${VAR}` and `$((...))` from
//! the container's env, citing the env entry), and the setup commands as `scriptSetup`, kept
//! verbatim in the command line. A word that depends on the pod at run time
//! (`$LWS_LEADER_ADDRESS`) stays shell text: an args item `{shell: TEXT}`. Any other script is
//! kept whole (`modelCommand: custom`).
//!
//! Nothing is dropped: what is not moved into that shape stays under
//! `manifests.<Kind>.<name>` (the rest of each model-server workload) and
//! `resources.<Kind>.<name>` (every other resource), where the rules account for it.

mod command;

use super::{Build, Resource};
use crate::read::yaml::{Doc, Entry, Kind, Node, Scalar};
use crate::shell::{self, Command, Word};
use command::EnvCtx;

/// The stages of llm-d-benchmark's modelservice deployment.
const STAGES: [&str; 2] = ["decode", "prefill"];

/// Kinds that run model servers, and where their pod template is.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template"]),
    ("StatefulSet", &["spec", "template"]),
    (
        "LeaderWorkerSet",
        &["spec", "leaderWorkerTemplate", "workerTemplate"],
    ),
];

/// Pod fields with a place in the modelservice values (the rest go to `extraConfig`).
const POD_FIELDS: &[&str] = &[
    "volumes",
    "schedulerName",
    "nodeSelector",
    "affinity",
    "tolerations",
    "serviceAccountName",
    "initContainers",
];

/// What the extraction found.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The values tree.
    pub root: Node,
    /// The model the decode (else prefill) stage serves, if its command names one.
    pub model: Option<String>,
    pub warnings: Vec<String>,
}

/// Turn a build's resources into the values tree (the resources are moved out of `build`).
pub fn extract(build: &mut Build) -> Extracted {
    let resources = std::mem::take(&mut build.resources);
    let mut x = Extractor {
        sources: &build.sources,
        next_id: build.next_id,
        warnings: Vec::new(),
    };
    let (stages, others, extra_workloads) = by_stage(resources, &mut x.warnings);

    x.claims(&stages, &others);
    let mut top: Vec<Entry> = Vec::new();
    let mut manifests: Vec<Entry> = Vec::new();
    let mut model = None;
    let mut proxy: Option<Vec<Entry>> = None;
    let mut stage_entries = Vec::new();
    for (stage, r) in stages {
        let out = x.stage(stage, r, model.is_none(), &mut proxy);
        if model.is_none() {
            model = out.model.as_ref().map(|(m, _)| m.clone());
            if let Some((_, entry)) = out.model {
                top.push(x.map_entry("modelArtifacts", entry.line, vec![entry]));
            }
        }
        if let Some(multinode) = out.multinode
            && !top.iter().any(|e| e.key == "multinode")
        {
            top.insert(0, multinode);
        }
        stage_entries.push(out.values);
        manifests.push(out.leftover);
    }
    if let Some(p) = proxy {
        top.push(routing(&mut x, p));
    }
    top.extend(stage_entries);
    for r in extra_workloads {
        manifests.push(keyed(r));
    }
    if !manifests.is_empty() {
        top.push(x.grouped("manifests", manifests));
    }
    if !others.is_empty() {
        let entries = others.into_iter().map(keyed).collect();
        top.push(x.grouped("resources", entries));
    }
    build.next_id = x.next_id;
    let line = top.first().map_or(1, |e| e.line);
    let src = top.first().map_or(0, |e| e.value.src);
    let root = Node {
        id: usize::MAX - 3,
        src,
        line,
        end_line: line,
        column: 1,
        kind: Kind::Map(top),
    };
    Extracted {
        root,
        model,
        warnings: x.warnings,
    }
}

/// Model-server workloads by stage (the `llm-d.ai/role` label, then the first stage left,
/// in order), the other resources, and the workloads beyond one per stage (left whole,
/// with a warning).
#[allow(clippy::type_complexity)]
fn by_stage(
    resources: Vec<Resource>,
    warnings: &mut Vec<String>,
) -> (Vec<(&'static str, Resource)>, Vec<Resource>, Vec<Resource>) {
    let mut stages: Vec<(&'static str, Resource)> = Vec::new();
    let mut others: Vec<Resource> = Vec::new();
    let mut pending: Vec<Resource> = Vec::new();
    for r in resources {
        if pod_path(&r).is_some() && vllm_container(&r).is_some() {
            pending.push(r);
        } else {
            others.push(r);
        }
    }
    // Stages by the llm-d.ai/role label, then by name; a second workload for a stage stays
    // whole under `manifests` (llm-d-benchmark deploys one per stage).
    let mut unassigned = Vec::new();
    for r in pending {
        let role = role_of(&r);
        match role.filter(|s| !stages.iter().any(|(t, _)| t == s)) {
            Some(stage) => stages.push((stage, r)),
            None => unassigned.push(r),
        }
    }
    let mut extra_workloads = Vec::new();
    for r in unassigned {
        match STAGES.iter().find(|s| !stages.iter().any(|(t, _)| t == *s)) {
            Some(stage) if role_of(&r).is_none() => stages.push((stage, r)),
            _ => {
                warnings.push(format!(
                    "{}: a second model-server workload for its stage; llm-d-benchmark deploys one decode and one prefill stage, so it is left unconverted",
                    r.id()
                ));
                extra_workloads.push(r);
            }
        }
    }
    stages.sort_by_key(|(s, _)| STAGES.iter().position(|t| t == s));
    (stages, others, extra_workloads)
}

/// `routing`: the sidecar's own port is the inference port (`routing.servicePort`), the
/// rest of its settings `routing.proxy`.
fn routing(x: &mut Extractor<'_>, mut p: Vec<Entry>) -> Entry {
    // The sidecar's own port is the inference port: `routing.servicePort`.
    let port = p
        .iter()
        .position(|e| e.key == "servicePort")
        .map(|i| p.remove(i));
    let line = p.first().map_or(1, |e| e.line);
    let mut routing: Vec<Entry> = port.into_iter().collect();
    if !p.is_empty() {
        routing.push(x.map_entry("proxy", line, p));
    }
    let line = routing.first().map_or(line, |e| e.line);
    x.map_entry("routing", line, routing)
}

/// `Kind` -> `name` -> the resource, as an entry `Kind: {name: resource}` to be grouped.
fn keyed(r: Resource) -> Entry {
    let id = r.id();
    let name = if id.namespace.is_empty() {
        id.name.clone()
    } else {
        format!("{}/{}", id.namespace, id.name)
    };
    let line = r.node.line;
    let kind = id.kind;
    Entry {
        key: kind,
        line,
        value: Node {
            kind: Kind::Map(vec![Entry {
                key: name,
                line,
                value: r.node.clone(),
            }]),
            ..r.node
        },
    }
}

fn pod_path(r: &Resource) -> Option<&'static [&'static str]> {
    let kind = r.id().kind;
    WORKLOADS.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
}

fn child<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    path.iter().try_fold(node, |n, k| n.get(k))
}

/// Index of the container that runs vLLM: one whose command mentions vllm, else one named vllm.
fn vllm_container(r: &Resource) -> Option<usize> {
    let path = pod_path(r)?;
    let containers = child(&r.node, path)?.at("spec.containers")?.as_seq()?;
    let mentions = |c: &Node| {
        ["command", "args"].iter().any(|k| {
            c.get(k).is_some_and(|v| {
                let mut found = false;
                v.walk(|n| {
                    if n.as_str().is_some_and(|s| s.contains("vllm")) {
                        found = true;
                    }
                });
                found
            })
        })
    };
    containers.iter().position(mentions).or_else(|| {
        containers
            .iter()
            .position(|c| c.get("name").and_then(Node::as_str) == Some("vllm"))
    })
}

/// The stage a workload serves: its `llm-d.ai/role` label (on it or its pods), else its name.
fn role_of(r: &Resource) -> Option<&'static str> {
    let labels = [
        r.node.at("metadata.labels"),
        pod_path(r)
            .and_then(|p| child(&r.node, p))
            .and_then(|t| t.at("metadata.labels")),
    ];
    for l in labels.into_iter().flatten() {
        match l.get("llm-d.ai/role").and_then(Node::as_str) {
            Some("decode") => return Some("decode"),
            Some("prefill") => return Some("prefill"),
            _ => {}
        }
    }
    let name = r.id().name;
    if name.contains("prefill") {
        Some("prefill")
    } else if name.contains("decode") {
        Some("decode")
    } else {
        None
    }
}

struct Extractor<'s> {
    sources: &'s [Doc],
    next_id: usize,
    warnings: Vec<String>,
}

/// What one stage gives.
struct StageOut {
    values: Entry,
    leftover: Entry,
    multinode: Option<Entry>,
    /// The model, and the `name:` entry for `modelArtifacts`.
    model: Option<(String, Entry)>,
}

/// Remove the entry at `path` (keys of maps), and maps it leaves empty.
fn take(node: &mut Node, path: &[&str]) -> Option<Entry> {
    let (last, parents) = path.split_last()?;
    let mut cur = &mut *node;
    for p in parents {
        let Kind::Map(entries) = &mut cur.kind else {
            return None;
        };
        cur = &mut entries.iter_mut().find(|e| e.key == *p)?.value;
    }
    let Kind::Map(entries) = &mut cur.kind else {
        return None;
    };
    let pos = entries.iter().position(|e| e.key == *last)?;
    let taken = entries.remove(pos);
    if entries.is_empty() && !parents.is_empty() {
        take(node, parents);
    }
    Some(taken)
}

impl Extractor<'_> {
    /// Volumes that mount a PersistentVolumeClaim the build does not create: llm-d-benchmark
    /// does not create it either, so the user must.
    fn claims(&mut self, stages: &[(&'static str, Resource)], others: &[Resource]) {
        for (stage, r) in stages {
            let Some(template) = pod_path(r).and_then(|p| child(&r.node, p)) else {
                continue;
            };
            for v in template
                .at("spec.volumes")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                let Some(claim) = v
                    .at("persistentVolumeClaim.claimName")
                    .and_then(Node::as_str)
                else {
                    continue;
                };
                let built = others.iter().any(|o| {
                    let id = o.id();
                    id.kind == "PersistentVolumeClaim" && id.name == claim
                });
                if !built {
                    let volume = v.get("name").and_then(Node::as_str).unwrap_or("?");
                    self.warnings.push(format!(
                        "{stage}: volume {volume} mounts PersistentVolumeClaim {claim}, which neither this overlay nor llm-d-benchmark creates: create it in the benchmark namespace first"
                    ));
                }
            }
        }
    }

    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn scalar(&mut self, value: &str, at: &Node, line: usize, end_line: usize) -> Node {
        Node {
            id: self.id(),
            src: at.src,
            line,
            end_line: end_line.max(line),
            column: 1,
            kind: Kind::Scalar(Scalar {
                value: value.to_string(),
                plain: false,
            }),
        }
    }

    fn map_entry(&mut self, key: &str, line: usize, entries: Vec<Entry>) -> Entry {
        let src = entries.first().map_or(0, |e| e.value.src);
        let end = entries
            .iter()
            .map(|e| e.value.end_line)
            .max()
            .unwrap_or(line);
        Entry {
            key: key.to_string(),
            line,
            value: Node {
                id: self.id(),
                src,
                line,
                end_line: end,
                column: 1,
                kind: Kind::Map(entries),
            },
        }
    }

    fn seq(&mut self, items: Vec<Node>, at: &Node) -> Node {
        let line = items.first().map_or(at.line, |n| n.line);
        let end = items.iter().map(|n| n.end_line).max().unwrap_or(line);
        Node {
            id: self.id(),
            src: at.src,
            line,
            end_line: end,
            column: 1,
            kind: Kind::Seq(items),
        }
    }

    /// `manifests:` / `resources:` with entries `Kind: {name: ...}` merged by kind.
    fn grouped(&mut self, key: &str, entries: Vec<Entry>) -> Entry {
        let mut by_kind: Vec<Entry> = Vec::new();
        for e in entries {
            match by_kind.iter_mut().find(|k| k.key == e.key) {
                Some(k) => {
                    // The kind's node spans its resources of the same file.
                    if e.value.src == k.value.src {
                        k.value.line = k.value.line.min(e.value.line);
                        k.value.end_line = k.value.end_line.max(e.value.end_line);
                    }
                    if let (Kind::Map(into), Kind::Map(from)) = (&mut k.value.kind, e.value.kind) {
                        into.extend(from);
                    }
                }
                None => {
                    let mut e = e;
                    e.value.id = self.id();
                    by_kind.push(e);
                }
            }
        }
        let line = by_kind.first().map_or(1, |e| e.line);
        self.map_entry(key, line, by_kind)
    }

    /// A LeaderWorkerSet: `multinode: true` (citing its `kind`), and its group size as
    /// `parallelism.workers` (pushed on `values`; also returned, for `$LWS_GROUP_SIZE`).
    fn leader_worker_set(
        &mut self,
        r: &mut Resource,
        values: &mut Vec<Entry>,
    ) -> (Option<Entry>, Option<Node>) {
        let mut multinode = None;
        let mut group_size = None;
        let kind_node = r.node.get("kind").cloned();
        if let Some(k) = kind_node {
            let node = self.scalar("true", &k, k.line, k.line);
            multinode = Some(Entry {
                key: "multinode".into(),
                line: k.line,
                value: Node {
                    kind: Kind::Scalar(Scalar {
                        value: "true".into(),
                        plain: true,
                    }),
                    ..node
                },
            });
        }
        if let Some(size) = take(&mut r.node, &["spec", "leaderWorkerTemplate", "size"]) {
            group_size = Some(size.value.clone());
            let line = size.line;
            let renamed = Entry {
                key: "workers".into(),
                ..size
            };
            values.push(self.map_entry("parallelism", line, vec![renamed]));
        }
        (multinode, group_size)
    }

    /// The pod spec fields left after the ones with a place of their own: `extraConfig`.
    fn extra_config(&mut self, r: &mut Resource, template: &[&str]) -> Option<Entry> {
        let mut pod_spec = template.to_vec();
        pod_spec.push("spec");
        let rest: Vec<String> = child(&r.node, &pod_spec)
            .and_then(Node::as_map)
            .map(|m| m.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        let mut extra = Vec::new();
        for key in rest {
            let mut path = pod_spec.clone();
            path.push(&key);
            if let Some(e) = take(&mut r.node, &path) {
                extra.push(e);
            }
        }
        let line = extra.first()?.line;
        Some(self.map_entry("extraConfig", line, extra))
    }

    /// One stage: the workload's values moved into the modelservice shape.
    fn stage(
        &mut self,
        stage: &'static str,
        mut r: Resource,
        want_model: bool,
        proxy: &mut Option<Vec<Entry>>,
    ) -> StageOut {
        let id = r.id();
        let template: Vec<&str> = pod_path(&r).unwrap_or(&[]).to_vec();
        fn spec_path<'p>(template: &[&'p str], k: &'p str) -> Vec<&'p str> {
            let mut p = template.to_vec();
            p.push("spec");
            p.push(k);
            p
        }
        let mut values: Vec<Entry> = Vec::new();
        if let Some(e) = take(&mut r.node, &["spec", "replicas"]) {
            values.push(e);
        }
        let (multinode, group_size) = if id.kind == "LeaderWorkerSet" {
            self.leader_worker_set(&mut r, &mut values)
        } else {
            (None, None)
        };
        if let Some(e) = take(&mut r.node, &["metadata", "annotations"]) {
            values.push(e);
        }
        let mut meta_annotations = template.clone();
        meta_annotations.extend(["metadata", "annotations"]);
        if let Some(e) = take(&mut r.node, &meta_annotations) {
            values.push(Entry {
                key: "podAnnotations".into(),
                ..e
            });
        }
        // Containers: the vLLM one first.
        let index = vllm_container(&r).unwrap_or(0);
        let mut model = None;
        if let Some(mut containers) = take(&mut r.node, &spec_path(&template, "containers")) {
            if let Kind::Seq(items) = &mut containers.value.kind
                && index < items.len()
            {
                let mut vllm = items.remove(index);
                let mut env_ctx = EnvCtx::of(&vllm, group_size.as_ref());
                model = self.command(stage, &mut vllm, &mut env_ctx, want_model);
                items.insert(0, vllm);
            }
            values.push(containers);
        }
        // Pod settings with a place of their own, the routing sidecar, and the rest.
        let mut pod_entries = Vec::new();
        for field in POD_FIELDS {
            if let Some(e) = take(&mut r.node, &spec_path(&template, field)) {
                pod_entries.push(e);
            }
        }
        for e in pod_entries {
            if e.key == "initContainers" && proxy.is_none() {
                match self.split_proxy(e) {
                    (Some(p), rest) => {
                        *proxy = Some(p);
                        values.extend(rest);
                    }
                    (None, rest) => values.extend(rest),
                }
            } else {
                values.push(e);
            }
        }
        values.extend(self.extra_config(&mut r, &template));
        let line = values.first().map_or(r.node.line, |e| e.line);
        let values = self.map_entry(stage, line, values);
        let leftover = keyed(r);
        StageOut {
            values,
            leftover,
            multinode,
            model,
        }
    }

    /// The routing sidecar among init containers: its image, connector and ports go to
    /// `routing`, the rest of it to `routing.proxy.sidecar`; other init containers stay.
    fn split_proxy(&mut self, mut e: Entry) -> (Option<Vec<Entry>>, Option<Entry>) {
        let Kind::Seq(items) = &mut e.value.kind else {
            return (None, Some(e));
        };
        let is_proxy = |c: &Node| {
            c.get("name")
                .and_then(Node::as_str)
                .is_some_and(|n| n.contains("routing"))
                || c.get("image")
                    .and_then(Node::as_str)
                    .is_some_and(|i| i.contains("routing-sidecar"))
        };
        let Some(pos) = items.iter().position(is_proxy) else {
            return (None, Some(e));
        };
        let mut sidecar = items.remove(pos);
        let rest = (!items.is_empty()).then_some(e);
        let mut proxy = Vec::new();
        if let Some(image) = take(&mut sidecar, &["image"]) {
            proxy.push(image);
        }
        if let Kind::Map(fields) = &mut sidecar.kind
            && let Some(args) = fields.iter_mut().find(|f| f.key == "args")
            && let Kind::Seq(list) = &mut args.value.kind
        {
            let mut kept = Vec::new();
            for item in std::mem::take(list) {
                let text = item.as_str().unwrap_or_default().to_string();
                let known = [
                    ("--port=", "servicePort"),
                    ("--connector=", "connector"),
                    ("--vllm-port=", "targetPort"),
                    ("--secure-proxy=", "secure"),
                ];
                match known.iter().find(|(p, _)| text.starts_with(p)) {
                    Some((prefix, key)) if !proxy.iter().any(|p: &Entry| p.key == *key) => {
                        let value = text[prefix.len()..].to_string();
                        let mut node = item.clone();
                        node.kind = Kind::Scalar(Scalar { value, plain: true });
                        proxy.push(Entry {
                            key: key.to_string(),
                            line: item.line,
                            value: node,
                        });
                    }
                    _ => kept.push(item),
                }
            }
            *list = kept;
            if list.is_empty() {
                fields.retain(|f| f.key != "args");
            }
        }
        if sidecar.as_map().is_some_and(|m| !m.is_empty()) {
            let line = sidecar.line;
            proxy.push(Entry {
                key: "sidecar".into(),
                line,
                value: sidecar,
            });
        }
        (Some(proxy), rest)
    }
}
