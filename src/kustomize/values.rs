//! From built manifests to the values the mapping rules know: one tree shaped like the
//! llm-d-modelservice chart's values (`multinode`, `modelArtifacts.name`, `routing.proxy`,
//! `decode` and `prefill` with replicas, parallelism, containers, volumes, pod settings),
//! made of the manifests' own nodes so every value cites the file and line it came from (the
//! patch that last set it, when a patch did).
//!
//! The vLLM container's shell script is read ([`super::shell`]): a plain
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

use crate::shell::{self, Command, Word};
use super::{Build, Resource};
use crate::yaml::{Doc, Entry, Kind, Node, Scalar};

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
                x.warnings.push(format!(
                    "{}: a second model-server workload for its stage; llm-d-benchmark deploys one decode and one prefill stage, so it is left unconverted",
                    r.id()
                ));
                extra_workloads.push(r);
            }
        }
    }
    stages.sort_by_key(|(s, _)| STAGES.iter().position(|t| t == s));

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
    if let Some(mut p) = proxy {
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
        top.push(x.map_entry("routing", line, routing));
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
        let mut multinode = None;
        let mut group_size = None;
        if id.kind == "LeaderWorkerSet" {
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
        }
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
        let mut pod_spec = template.clone();
        pod_spec.push("spec");
        let rest: Vec<String> = child(&r.node, &pod_spec)
            .and_then(Node::as_map)
            .map(|m| m.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        let mut extra = Vec::new();
        for key in rest {
            if let Some(e) = take(&mut r.node, &spec_path(&template, &key)) {
                extra.push(e);
            }
        }
        if !extra.is_empty() {
            let line = extra[0].line;
            values.push(self.map_entry("extraConfig", line, extra));
        }
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

    /// Replace the container's `command`/`args` by what the benchmark needs: `modelCommand`,
    /// `args` and `scriptSetup`; returns the model and its entry for `modelArtifacts`.
    fn command(
        &mut self,
        stage: &str,
        container: &mut Node,
        env: &mut EnvCtx,
        want_model: bool,
    ) -> Option<(String, Entry)> {
        let command = take(container, &["command"]);
        let args = take(container, &["args"]);
        let words = |e: &Option<Entry>| -> Vec<Node> {
            e.as_ref()
                .and_then(|e| e.value.as_seq())
                .map(|s| s.to_vec())
                .unwrap_or_default()
        };
        let (cmd, arg) = (words(&command), words(&args));
        let all: Vec<Node> = cmd.iter().chain(&arg).cloned().collect();
        let strings: Vec<Option<&str>> = all.iter().map(Node::as_str).collect();
        // `sh -c SCRIPT`: the script is the last word after -c.
        let shell_at = strings.iter().position(|s| *s == Some("-c"));
        let is_shell = shell_at.is_some_and(|i| {
            i >= 1 && strings[i - 1].is_some_and(|s| s.ends_with("sh")) && i + 2 == all.len()
        });
        let outcome = if is_shell {
            let script = all[all.len() - 1].clone();
            self.script(stage, &script, env, want_model)
        } else if command.is_none() && args.is_none() {
            None
        } else {
            self.argv(&all, env, want_model)
        };
        match outcome {
            Some(Plain {
                model_command,
                span,
                args: items,
                setup,
                model,
            }) => {
                let model_command_src = model_command.src;
                push(
                    container,
                    Entry {
                        key: "modelCommand".into(),
                        line: model_command.line,
                        value: model_command,
                    },
                );
                if !setup.is_empty() {
                    let at = setup[0].clone();
                    let seq = self.seq(setup, &at);
                    push(
                        container,
                        Entry {
                            key: "scriptSetup".into(),
                            line: at.line,
                            value: seq,
                        },
                    );
                }
                let at = items.first().cloned().unwrap_or_else(|| {
                    container
                        .get("modelCommand")
                        .cloned()
                        .unwrap_or_else(|| container.clone())
                });
                if !items.is_empty() {
                    let mut seq = self.seq(items, &at);
                    if let Some((a, b)) = span {
                        // The command's own lines, not those of env entries its words cite.
                        (seq.src, seq.line, seq.end_line) = (model_command_src, a, b);
                    }
                    let line = seq.line;
                    push(
                        container,
                        Entry {
                            key: "args".into(),
                            line,
                            value: seq,
                        },
                    );
                }
                model
            }
            None => {
                // Kept as written: a custom command (or the image's own, with its args).
                let first = command.as_ref().or(args.as_ref()).map(|e| e.value.clone());
                if let Some(at) = first {
                    let mode = if command.is_some() {
                        "custom"
                    } else {
                        "imageDefault"
                    };
                    let node = self.scalar(mode, &at, at.line, at.line);
                    push(
                        container,
                        Entry {
                            key: "modelCommand".into(),
                            line: at.line,
                            value: node,
                        },
                    );
                }
                for e in [command, args].into_iter().flatten() {
                    push(container, e);
                }
                if is_shell {
                    self.warnings.push(format!(
                        "{stage}: the container's script is not a plain `vllm serve` command (see the notes): it is kept whole as a custom command"
                    ));
                }
                None
            }
        }
    }

    /// A command given as words (no shell): `vllm serve MODEL FLAGS`.
    fn argv(&mut self, all: &[Node], env: &EnvCtx, want_model: bool) -> Option<Plain> {
        let text = |i: usize| all.get(i).and_then(Node::as_str).unwrap_or_default();
        let start = if text(0).rsplit('/').next() == Some("vllm") && text(1) == "serve" {
            2
        } else {
            return None;
        };
        let mut model_command = all[0].clone();
        model_command.kind = Kind::Scalar(Scalar {
            value: "vllmServe".into(),
            plain: false,
        });
        if all[1].src == all[0].src {
            model_command.end_line = model_command.end_line.max(all[1].end_line);
        }
        let mut rest: Vec<Node> = all[start..].to_vec();
        for n in &mut rest {
            // Kubernetes expands $(VAR) in command and args from the container's env.
            if let Some(s) = n.as_scalar().map(|s| s.value.clone())
                && let Some(expanded) = env.kubernetes(&s)
            {
                n.kind = Kind::Scalar(Scalar {
                    value: expanded,
                    plain: false,
                });
            }
        }
        let model = self.model_of(&mut rest, want_model);
        Some(Plain {
            model_command,
            span: None,
            args: rest,
            setup: Vec::new(),
            model,
        })
    }

    /// Take the model out of a flag list: the first positional word, or `--model X`.
    fn model_of(&mut self, items: &mut Vec<Node>, want_model: bool) -> Option<(String, Entry)> {
        let is_flag = |n: &Node| n.as_str().is_some_and(|s| s.starts_with('-'));
        let pos = match items.first() {
            Some(n) if n.as_str().is_some() && !is_flag(n) => Some(0),
            _ => items
                .iter()
                .position(|n| n.as_str() == Some("--model"))
                .map(|i| i + 1)
                .filter(|i| {
                    items
                        .get(*i)
                        .is_some_and(|n| n.as_str().is_some() && !is_flag(n))
                }),
        }?;
        let name = items[pos].as_str()?.to_string();
        if !want_model {
            // Another stage named the model: here it stays a word of the command, which the
            // mapping reports as llm-d-benchmark's (it serves its own copy of the model).
            return None;
        }
        let node = items.remove(pos);
        Some((
            name,
            Entry {
                key: "name".into(),
                line: node.line,
                value: node,
            },
        ))
    }

    /// A shell script: plain when it is setup commands, then `[exec] vllm serve ...`.
    fn script(
        &mut self,
        stage: &str,
        script: &Node,
        env: &mut EnvCtx,
        want_model: bool,
    ) -> Option<Plain> {
        let text = script.as_str()?;
        let commands = match shell::parse(text) {
            Ok(c) => c,
            Err(why) => {
                self.warnings.push(format!(
                    "{stage}: the container's script cannot be read ({why}); it is kept whole"
                ));
                return None;
            }
        };
        let lines = LineMap::new(self.sources, script, text);
        let (launch, setup) = commands.split_last()?;
        let words = vllm_words(launch)?;
        if launch.compound
            || launch.redirect
            || launch.sep != ";"
            || setup.iter().any(|c| c.compound || c.multiline)
        {
            return None;
        }
        // Setup commands run before vLLM: assignments among them are known to later words
        // only when their value is.
        let mut setup_nodes = Vec::new();
        for c in setup {
            let (a, b) = lines.range(c.line, c.end_line);
            let sep = match c.sep {
                ";" => ";",
                "&&" => " &&",
                "||" => " ||",
                "|" => " |",
                _ => return None,
            };
            setup_nodes.push(self.scalar(&format!("{}{sep}", c.text), script, a, b));
            env.assign(c);
        }
        let exec_at = launch.words.iter().position(|w| w.text == "vllm")?;
        let first = &launch.words[0];
        let serve = &launch.words[exec_at + 1];
        let (a, _) = lines.range(first.line, first.line);
        let (_, b) = lines.range(serve.end_line, serve.end_line);
        let model_command = self.scalar("vllmServe", script, a, b);
        let mut items = Vec::new();
        for w in &words[exec_at + 2..] {
            items.push(self.word(stage, w, env, script, &lines));
        }
        let model = self.model_of(&mut items, want_model);
        let last = launch.words.last().map_or(first.end_line, |w| w.end_line);
        Some(Plain {
            model_command,
            span: Some(lines.range(first.line, last)),
            args: items,
            setup: setup_nodes,
            model,
        })
    }

    /// One word of the vLLM command as an args item: its value when the env knows it
    /// (citing the env entry when the word is just that variable), else the word as shell text.
    fn word(
        &mut self,
        stage: &str,
        w: &Word,
        env: &EnvCtx,
        script: &Node,
        lines: &LineMap,
    ) -> Node {
        let (a, b) = lines.range(w.line, w.end_line);
        match shell::expand(w, &|n| env.value(n)) {
            Ok(Some(value)) => {
                let vars = shell::variables(w);
                let single = matches!(w.parts.as_slice(), [shell::Part::Var { .. }]);
                if let (true, [name]) = (single, vars.as_slice())
                    && let Some(at) = env.node(name)
                {
                    return self.scalar(&value, &at, at.line, at.end_line);
                }
                self.scalar(&value, script, a, b)
            }
            Ok(None) => self.shell_word(&w.text, script, a, b),
            Err(why) => {
                self.warnings
                    .push(format!("{stage}: {} is kept as written: {why}", w.text));
                self.shell_word(&w.text, script, a, b)
            }
        }
    }

    /// `{shell: TEXT}`: a word the pod's shell expands at run time.
    fn shell_word(&mut self, text: &str, at: &Node, a: usize, b: usize) -> Node {
        let value = self.scalar(text, at, a, b);
        Node {
            id: self.id(),
            src: at.src,
            line: a,
            end_line: b,
            column: 1,
            kind: Kind::Map(vec![Entry {
                key: "shell".into(),
                line: a,
                value,
            }]),
        }
    }
}

fn push(container: &mut Node, e: Entry) {
    if let Kind::Map(entries) = &mut container.kind {
        entries.push(e);
    }
}

/// A plain vLLM launch.
struct Plain {
    model_command: Node,
    /// Lines of the whole launch command (the `args` cite them), when known.
    span: Option<(usize, usize)>,
    args: Vec<Node>,
    setup: Vec<Node>,
    model: Option<(String, Entry)>,
}

/// The words of `[exec] vllm serve ...`, or `None` when the command is something else.
fn vllm_words(c: &Command) -> Option<&[Word]> {
    let texts: Vec<&str> = c.words.iter().map(|w| w.text.as_str()).collect();
    let at = usize::from(texts.first() == Some(&"exec"));
    (texts.get(at) == Some(&"vllm") && texts.get(at + 1) == Some(&"serve")).then_some(&c.words[..])
}

/// Script lines to file lines: one to one when the script is a literal block whose lines the
/// file shows; otherwise every word cites the whole script.
struct LineMap {
    first: usize,
    last: usize,
    exact: bool,
}

impl LineMap {
    fn new(sources: &[Doc], node: &Node, text: &str) -> LineMap {
        let exact = sources.get(node.src).is_some_and(|d| {
            text.lines().enumerate().all(|(i, l)| {
                d.lines(node.line + i, node.line + i)
                    .first()
                    .is_some_and(|f| f.trim() == l.trim())
            })
        });
        LineMap {
            first: node.line,
            last: node.end_line,
            exact,
        }
    }

    fn range(&self, a: usize, b: usize) -> (usize, usize) {
        if self.exact {
            (self.first + a, self.first + b.max(a))
        } else {
            (self.first, self.last)
        }
    }
}

/// The container's env as the script sees it: literal values (Kubernetes `$(VAR)` references
/// to earlier entries resolved), LeaderWorkerSet's `LWS_GROUP_SIZE`, and setup assignments.
struct EnvCtx {
    vars: Vec<(String, Option<String>, Option<Node>)>,
}

impl EnvCtx {
    fn of(container: &Node, group_size: Option<&Node>) -> EnvCtx {
        let mut ctx = EnvCtx { vars: Vec::new() };
        if let Some(size) = group_size
            && let Some(v) = size.as_str()
        {
            ctx.vars.push((
                "LWS_GROUP_SIZE".into(),
                Some(v.to_string()),
                Some(size.clone()),
            ));
        }
        for item in container
            .get("env")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let Some(name) = item.get("name").and_then(Node::as_str) else {
                continue;
            };
            let value = item
                .get("value")
                .and_then(|v| v.as_scalar())
                .filter(|_| item.get("valueFrom").is_none())
                .map(|s| s.value.clone())
                .map(|v| ctx.kubernetes(&v).unwrap_or(v));
            ctx.vars.retain(|(n, _, _)| n != name);
            ctx.vars.push((name.to_string(), value, Some(item.clone())));
        }
        ctx
    }

    fn value(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, v, _)| v.clone())
    }

    fn node(&self, name: &str) -> Option<Node> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, n)| n.clone())
    }

    /// `$(VAR)` references Kubernetes expands (`$$` escapes); `None` when there are none.
    fn kubernetes(&self, text: &str) -> Option<String> {
        if !text.contains("$(") {
            return None;
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(r) = after.strip_prefix('$') {
                out.push('$');
                rest = r;
            } else if let Some(inner) = after.strip_prefix('(')
                && let Some(close) = inner.find(')')
                && let Some(v) = self.value(&inner[..close])
            {
                out.push_str(&v);
                rest = &inner[close + 1..];
            } else {
                out.push('$');
                rest = after;
            }
        }
        out.push_str(rest);
        Some(out)
    }

    /// A setup command `NAME=word`: NAME is known from then on when its word expands, and
    /// unknown (a run-time value) otherwise.
    fn assign(&mut self, c: &Command) {
        let [w] = c.words.as_slice() else {
            return;
        };
        let Some((name, _)) = w.text.split_once('=') else {
            return;
        };
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return;
        }
        let mut value_word = w.clone();
        let prefix = format!("{name}=");
        let value = match value_word.parts.first_mut() {
            Some(shell::Part::Lit(first)) if first.starts_with(&prefix) => {
                first.replace_range(..prefix.len(), "");
                shell::expand(&value_word, &|n| self.value(n))
                    .ok()
                    .flatten()
            }
            _ => None,
        };
        self.vars.push((name.to_string(), value, None));
    }
}
