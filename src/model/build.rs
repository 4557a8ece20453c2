//! Building a [`Deployment`] from the values-shaped trees of a guide variant. The paths read
//! here are those of the modelservice and GAIE charts, which every reader produces (Helm
//! values directly, kustomize manifests through `kustomize::values`); the builder does not
//! know which reader made the trees.

use super::{
    Accelerator, Command, Coupled, CoupledValues, Deployment, Engine, Flag, ImageParts, Leaf,
    ModelSpec, Networking, Parallelism, Proxy, Router, Sourced, Stage, StageKind, ValuesDocs,
};
use crate::error::Result;
use crate::model::scenario::Origin;
use crate::model::vllm::{parse_marked, script_line, split_words};
use crate::read::guide;
use crate::read::yaml::{Doc, Kind, Node};

/// Resource names that are accelerators (the rest of `resources` is cpu, memory, rdma, ...).
const ACCELERATOR_RESOURCES: &[&str] = &[
    "nvidia.com/gpu",
    "amd.com/gpu",
    "google.com/tpu",
    "habana.ai/gaudi",
    "gpu.intel.com/i915",
    "gpu.intel.com/xe",
];

/// Container settings kept as they are (the modelservice chart merges them into the container).
const CONTAINER_EXTRA: &[&str] = &[
    "securityContext",
    "workingDir",
    "lifecycle",
    "stdin",
    "tty",
    "terminationMessagePolicy",
    "terminationMessagePath",
];

/// Image name fragments that tell the engine, checked in order.
const ENGINE_BY_IMAGE: &[(&str, Engine)] = &[
    ("inference-sim", Engine::Simulator),
    ("sglang", Engine::Sglang),
    ("vllm", Engine::Vllm),
    ("llm-d-cuda", Engine::Vllm),
    ("llm-d-xpu", Engine::Vllm),
    ("llm-d-rocm", Engine::Vllm),
    ("llm-d-gke", Engine::Vllm),
    ("llm-d-tpu", Engine::Vllm),
    ("llm-d-aws", Engine::Vllm),
    ("llm-d-cpu", Engine::Vllm),
    ("llm-d:", Engine::Vllm),
];

/// Build the deployment a guide variant describes.
pub fn from_guide(model: &guide::Model) -> Result<Deployment> {
    let mut r = Reader {
        roots: &model.roots,
        sources: &model.sources,
        claimed: Vec::new(),
    };
    let model_spec = r.model_spec();
    let decode = r.stage(StageKind::Decode);
    let prefill = r.stage(StageKind::Prefill);
    let engine = engine_of(&decode, &prefill);
    let multinode = r.boolean("multinode");
    let accelerator_type = r.scalar("accelerator.type");
    let networking = Networking {
        service_port: r.scalar("routing.servicePort"),
        proxy: Proxy {
            enabled: r.boolean("routing.proxy.enabled"),
            connector: r.scalar("routing.proxy.connector"),
            image: r.scalar("routing.proxy.image"),
            debug_level: r.scalar("routing.proxy.debugLevel"),
            target_port: r.scalar("routing.proxy.targetPort"),
        },
    };
    let router = r.router();
    let gateway_class = r
        .scalar("gateway.gatewayClassName")
        .or_else(|| r.scalar("provider.name"));
    let gateway_settings = r.scalars_under("gateway.gatewayParameters");
    let mut autoscaling = Vec::new();
    for prefix in ["wva", "va", "hpa"] {
        let under = r.scalars_under(prefix).into_iter();
        autoscaling.extend(under.map(|(p, v)| (format!("{prefix}.{p}"), v)));
    }
    let coupled = coupled(&model_spec, &decode, &prefill, &router);
    let rest = r.rest();
    Ok(Deployment {
        model: model_spec,
        engine,
        decode,
        prefill,
        multinode,
        accelerator_type,
        networking,
        router,
        gateway_class,
        gateway_settings,
        autoscaling,
        coupled,
        rest,
        values: ValuesDocs {
            roots: model.roots.clone(),
            sources: model.sources.clone(),
        },
    })
}

fn engine_of(decode: &Stage, prefill: &Stage) -> Engine {
    let stages = [decode, prefill];
    let words = stages.iter().filter(|s| s.created()).flat_map(|s| {
        let image = s.image.iter().map(|i| i.value.to_ascii_lowercase());
        let program = s
            .command
            .iter()
            .flat_map(|c| c.program.iter().chain(&c.positional))
            .map(|w| w.value.to_ascii_lowercase());
        let script = s
            .command
            .iter()
            .flat_map(|c| &c.script)
            .map(|w| w.value.to_ascii_lowercase());
        program.chain(script).chain(image).collect::<Vec<_>>()
    });
    let words: Vec<String> = words.collect();
    if words.iter().any(|w| w.contains("sglang")) {
        return Engine::Sglang;
    }
    for (fragment, engine) in ENGINE_BY_IMAGE {
        if words.iter().any(|w| w.contains(fragment)) {
            return *engine;
        }
    }
    if words.is_empty() {
        Engine::Vllm
    } else {
        Engine::Other
    }
}

/// The coupled values: block size, hash seed and served model, read in every place.
fn coupled(model: &ModelSpec, decode: &Stage, prefill: &Stage, router: &Router) -> CoupledValues {
    let mut block = Vec::new();
    let mut seed = Vec::new();
    let mut served = Vec::new();
    if let Some(name) = &model.name {
        served.push(name.clone());
    }
    for stage in [decode, prefill].into_iter().filter(|s| s.created()) {
        if let Some(c) = &stage.command {
            for f in &c.flags {
                let v = || Sourced::new(f.value.clone().unwrap_or_default(), f.origin.clone());
                match f.name.as_str() {
                    "--block-size" => block.push(v()),
                    "--served-model-name" => served.push(v()),
                    _ => {}
                }
            }
        }
        for e in &stage.env {
            if e.value.get("name").and_then(Node::as_str) == Some("PYTHONHASHSEED")
                && let Some(v) = e.value.get("value").and_then(Node::as_str)
            {
                seed.push(Sourced::new(v.to_string(), e.origin.clone()));
            }
        }
    }
    // The model servers' places come first: `couple` takes the first as theirs.
    let servers = [block.len(), seed.len(), served.len()];
    for (_, text) in &router.plugins_custom {
        for (key, out) in [("blockSize", &mut block), ("hashSeed", &mut seed)] {
            if let Some(v) = yaml_number_after(&text.value, key) {
                out.push(Sourced::new(v, text.origin.clone()));
            }
        }
    }
    CoupledValues {
        block_size: couple(block, servers[0]),
        hash_seed: couple(seed, servers[1]),
        served_model: couple(served, servers[2]),
    }
}

/// `key: value` in a plugin config text (the first one), the value unquoted.
fn yaml_number_after(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let t = l.trim().trim_start_matches("- ");
        let rest = t.strip_prefix(key)?.strip_prefix(':')?;
        let v = rest.split('#').next()?.trim().trim_matches(['"', '\'']);
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// One value from the places that state it; the first `servers` places are the model
/// servers'.
fn couple(mut found: Vec<Sourced<String>>, servers: usize) -> Option<Coupled<String>> {
    if found.is_empty() {
        return None;
    }
    let servers = found.first().filter(|_| servers > 0).cloned();
    let first = found.remove(0);
    let mut origins = vec![first.origin];
    let mut conflicts = Vec::new();
    for f in found {
        if f.value == first.value {
            if !origins.contains(&f.origin) {
                origins.push(f.origin);
            }
        } else {
            conflicts.push(f);
        }
    }
    Some(Coupled {
        value: first.value,
        origins,
        conflicts,
        servers,
    })
}

/// Reads paths from the trees and remembers which it used.
struct Reader<'a> {
    roots: &'a [Node],
    sources: &'a [Doc],
    claimed: Vec<String>,
}

/// A node found at a path, with the line of its key.
#[derive(Clone, Copy)]
struct Found<'a> {
    node: &'a Node,
    key_line: Option<usize>,
}

fn lookup<'a>(root: &'a Node, path: &str) -> Option<Found<'a>> {
    let mut found = Found {
        node: root,
        key_line: None,
    };
    for part in path.split('.') {
        found = match &found.node.kind {
            Kind::Map(entries) => {
                let e = entries.iter().find(|e| e.key == part)?;
                Found {
                    node: &e.value,
                    key_line: Some(e.line),
                }
            }
            Kind::Seq(items) => Found {
                node: items.get(part.parse::<usize>().ok()?)?,
                key_line: None,
            },
            Kind::Scalar(_) => return None,
        };
    }
    Some(found)
}

impl<'a> Reader<'a> {
    fn find(&self, path: &str) -> Option<Found<'a>> {
        self.roots.iter().find_map(|r| lookup(r, path))
    }

    fn origin(&self, f: Found<'_>) -> Origin {
        let first = f.key_line.unwrap_or(f.node.line).min(f.node.line);
        Origin::in_source(self.sources, f.node.src, first, f.node.end_line)
    }

    fn claim(&mut self, path: &str) {
        self.claimed.push(path.to_string());
    }

    /// The node at `path`, claimed.
    fn node(&mut self, path: &str) -> Option<Sourced<Node>> {
        let f = self.find(path)?;
        if f.node.is_null() {
            return None;
        }
        self.claim(path);
        Some(Sourced::new(f.node.clone(), self.origin(f)))
    }

    fn scalar(&mut self, path: &str) -> Option<Sourced<String>> {
        let f = self.find(path)?;
        let s = f.node.as_str()?.to_string();
        self.claim(path);
        Some(Sourced::new(s, self.origin(f)))
    }

    fn boolean(&mut self, path: &str) -> Option<Sourced<bool>> {
        let f = self.find(path)?;
        let b = f.node.as_bool()?;
        self.claim(path);
        Some(Sourced::new(b, self.origin(f)))
    }

    /// The items of the list at `path`, each claimed with it.
    fn items(&mut self, path: &str) -> Vec<Sourced<Node>> {
        let Some(f) = self.find(path) else {
            return Vec::new();
        };
        let Some(items) = f.node.as_seq() else {
            return Vec::new();
        };
        self.claim(path);
        items
            .iter()
            .map(|n| {
                let o = self.origin(Found {
                    node: n,
                    key_line: None,
                });
                Sourced::new(n.clone(), o)
            })
            .collect()
    }

    /// The scalar leaves under `path` as `(relative path, value)`, claimed.
    fn scalars_under(&mut self, path: &str) -> Vec<(String, Sourced<String>)> {
        let Some(f) = self.find(path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut stack = vec![(String::new(), f)];
        while let Some((rel, f)) = stack.pop() {
            match &f.node.kind {
                Kind::Scalar(s) if !s.is_null() => {
                    out.push((rel, Sourced::new(s.value.clone(), self.origin(f))));
                }
                Kind::Scalar(_) => {}
                Kind::Map(entries) => {
                    for e in entries.iter().rev() {
                        let p = join(&rel, &e.key);
                        stack.push((
                            p,
                            Found {
                                node: &e.value,
                                key_line: Some(e.line),
                            },
                        ));
                    }
                }
                Kind::Seq(items) => {
                    for (i, n) in items.iter().enumerate().rev() {
                        stack.push((
                            join(&rel, &i.to_string()),
                            Found {
                                node: n,
                                key_line: None,
                            },
                        ));
                    }
                }
            }
        }
        if !out.is_empty() {
            self.claim(path);
        }
        out
    }

    fn model_spec(&mut self) -> ModelSpec {
        let uri = self.scalar("modelArtifacts.uri");
        let hf_id = uri.as_ref().and_then(|u| {
            u.value
                .strip_prefix("hf://")
                .map(|id| Sourced::new(id.to_string(), u.origin.clone()))
        });
        ModelSpec {
            name: self.scalar("modelArtifacts.name"),
            uri,
            hf_id,
            size: self.scalar("modelArtifacts.size"),
            auth_secret: self.scalar("modelArtifacts.authSecretName"),
        }
    }

    fn stage(&mut self, kind: StageKind) -> Stage {
        let s = kind.key();
        let p = |rest: &str| format!("{s}.{rest}");
        let c = |rest: &str| format!("{s}.containers.0.{rest}");
        let mut stage = Stage::new(kind);
        stage.create = self.boolean(&p("create"));
        stage.replicas = self.scalar(&p("replicas"));
        stage.parallelism = Parallelism {
            tensor: self.scalar(&p("parallelism.tensor")),
            data: self.scalar(&p("parallelism.data")),
            data_local: self.scalar(&p("parallelism.dataLocal")),
            workers: self.scalar(&p("parallelism.workers")),
        };
        stage.image = self.scalar(&c("image"));
        stage.command = self.command(s);
        stage.env = self.items(&c("env"));
        stage.volumes = self.items(&p("volumes"));
        stage.mounts = self.items(&c("volumeMounts"));
        stage.ports = self.items(&c("ports"));
        stage.setup = self.items(&c("scriptSetup"));
        stage.pull_policy = self.scalar(&c("imagePullPolicy"));
        for key in CONTAINER_EXTRA {
            if let Some(n) = self.node(&c(key)) {
                stage.container_extra.push((key.to_string(), n));
            }
        }
        let mut resources = self.scalars_under(&c("resources"));
        let accel = resources
            .iter()
            .filter_map(|(k, _)| k.split_once('.'))
            .map(|(_, name)| name.to_string())
            .find(|name| ACCELERATOR_RESOURCES.contains(&name.as_str()));
        if let Some(resource) = accel {
            let take = |resources: &mut Vec<(String, Sourced<String>)>, key: String| {
                let i = resources.iter().position(|(k, _)| *k == key)?;
                Some(resources.remove(i).1)
            };
            let limit = take(&mut resources, format!("limits.{resource}"));
            let request = take(&mut resources, format!("requests.{resource}"));
            stage.accelerator = Some(Accelerator {
                resource,
                limit,
                request,
            });
        }
        stage.resources = resources;
        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
            if let Some(n) = self.node(&c(probe)) {
                stage.probes.push((probe.to_string(), n));
            }
        }
        stage.init_containers = self.items(&p("initContainers"));
        let mut selector = self.scalars_under(&p("nodeSelector"));
        selector.extend(self.scalars_under(&p("extraConfig.nodeSelector")));
        stage.node_selector = selector;
        stage.affinity = self.node(&p("affinity"));
        stage.tolerations = self.node(&p("tolerations"));
        stage
    }

    /// `modelCommand`, `command` and `args` of a stage's first container.
    fn command(&mut self, stage: &str) -> Option<Command> {
        let c = |rest: &str| format!("{stage}.containers.0.{rest}");
        let mode = self.scalar(&c("modelCommand"));
        let program = self.words(&c("command"));
        let args = self.words(&c("args"));
        if mode.is_none() && program.is_empty() && args.is_empty() {
            return None;
        }
        let mut cmd = Command {
            mode,
            program: Vec::new(),
            positional: Vec::new(),
            flags: Vec::new(),
            script: None,
        };
        // `sh -c SCRIPT` (in command or args): a script; split it when it is one command line.
        let all: Vec<&(Sourced<String>, bool)> = program.iter().chain(&args).collect();
        let shell_at = all
            .windows(2)
            .position(|w| w[0].0.value.ends_with("sh") && w[1].0.value == "-c");
        if let Some(i) = shell_at
            && let Some((script, _)) = all.get(i + 2)
        {
            let words = script_line(&script.value)
                .and_then(|l| split_words(&l))
                .filter(|w| !w.iter().any(|w| w == ";" || w.contains(';')));
            match words {
                Some(words) => {
                    let marked: Vec<(Sourced<String>, bool)> = words
                        .into_iter()
                        .map(|w| (Sourced::new(w, script.origin.clone()), false))
                        .collect();
                    self.split_command(&mut cmd, &marked, true);
                }
                None => cmd.script = Some(script.clone()),
            }
            return Some(cmd);
        }
        cmd.program = program.iter().map(|(w, _)| w.clone()).collect();
        self.split_command(&mut cmd, &args, false);
        Some(cmd)
    }

    /// Words of a command: the program words (when `program`), positional words and flags.
    fn split_command(&self, cmd: &mut Command, words: &[(Sourced<String>, bool)], program: bool) {
        let mut start = 0;
        if program {
            // `vllm serve MODEL`, `python3 -m sglang.launch_server`: the words before the first flag.
            start = words
                .iter()
                .position(|(w, _)| w.value.starts_with('-'))
                .unwrap_or(words.len());
            cmd.program = words[..start].iter().map(|(w, _)| w.clone()).collect();
        }
        let rest = &words[start..];
        let texts: Vec<String> = rest.iter().map(|(w, _)| w.value.clone()).collect();
        let shell: Vec<bool> = rest.iter().map(|(_, s)| *s).collect();
        for arg in parse_marked(&texts, &shell) {
            let mut origins = arg.items.iter().filter_map(|i| rest.get(*i));
            let Some((first, _)) = origins.next() else {
                continue;
            };
            let mut origin = first.origin.clone();
            for (w, _) in origins {
                // A value on the next lines extends the range; one from elsewhere (an env
                // entry the flag's `$VAR` names) is cited by the flag's own line only.
                if w.origin.file == origin.file
                    && w.origin.last > origin.last
                    && w.origin.first <= origin.last + 1
                {
                    origin.last = w.origin.last;
                    origin.lines.extend(w.origin.lines.iter().cloned());
                }
            }
            match arg.canonical() {
                Some(name) => cmd.flags.push(Flag {
                    name,
                    value: arg.value,
                    origin,
                }),
                None => cmd
                    .positional
                    .push(Sourced::new(arg.value.unwrap_or_default(), origin)),
            }
        }
    }

    /// A list of strings (or `{shell: TEXT}` items) as words; bool marks shell text.
    fn words(&mut self, path: &str) -> Vec<(Sourced<String>, bool)> {
        let items = self.items(path);
        if items.is_empty() {
            // A single string instead of a list.
            return self
                .scalar(path)
                .map(|s| vec![(s, false)])
                .unwrap_or_default();
        }
        items
            .into_iter()
            .filter_map(|n| {
                if let Some(s) = n.value.as_str() {
                    return Some((Sourced::new(s.to_string(), n.origin), false));
                }
                let shell = n.value.get("shell")?.as_str()?.to_string();
                Some((Sourced::new(shell, n.origin), true))
            })
            .collect()
    }

    fn router(&mut self) -> Router {
        let mut router = Router {
            plugins_file: self.scalar("inferenceExtension.pluginsConfigFile"),
            flags: self.scalars_under("inferenceExtension.flags"),
            image: None,
            image_parts: ImageParts::default(),
            replicas: self.scalar("inferenceExtension.replicas"),
            sidecars: Vec::new(),
            plugins_custom: Vec::new(),
            plugin_types: Vec::new(),
        };
        let image =
            ["hub", "name", "tag"].map(|k| self.scalar(&format!("inferenceExtension.image.{k}")));
        if let [Some(hub), Some(name), Some(tag)] = &image {
            router.image = Some(Sourced::new(
                format!("{}/{}:{}", hub.value, name.value, tag.value),
                hub.origin.clone(),
            ));
        }
        let [hub, name, tag] = image;
        router.image_parts = ImageParts { hub, name, tag };
        if let Some(f) = self.find("inferenceExtension.pluginsCustomConfig")
            && let Some(entries) = f.node.as_map()
        {
            for e in entries {
                if let Some(text) = e.value.as_str() {
                    let o = self.origin(Found {
                        node: &e.value,
                        key_line: Some(e.line),
                    });
                    router.plugin_types.extend(text.lines().filter_map(|l| {
                        let t = l.trim().trim_start_matches("- ");
                        t.strip_prefix("type:")
                            .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
                    }));
                    router
                        .plugins_custom
                        .push((e.key.clone(), Sourced::new(text.to_string(), o)));
                }
            }
            self.claim("inferenceExtension.pluginsCustomConfig");
        }
        router.sidecars = self.items("inferenceExtension.sidecars");
        router
    }

    /// Every leaf no reader step claimed.
    fn rest(&self) -> Vec<Leaf> {
        let mut out = Vec::new();
        for root in self.roots {
            let mut stack = vec![(
                String::new(),
                Found {
                    node: root,
                    key_line: None,
                },
            )];
            while let Some((path, f)) = stack.pop() {
                if self.is_claimed(&path) {
                    continue;
                }
                match &f.node.kind {
                    Kind::Map(entries) if !entries.is_empty() => {
                        for e in entries.iter().rev() {
                            stack.push((
                                join(&path, &e.key),
                                Found {
                                    node: &e.value,
                                    key_line: Some(e.line),
                                },
                            ));
                        }
                    }
                    Kind::Seq(items) if !items.is_empty() => {
                        for (i, n) in items.iter().enumerate().rev() {
                            stack.push((
                                join(&path, &i.to_string()),
                                Found {
                                    node: n,
                                    key_line: None,
                                },
                            ));
                        }
                    }
                    _ if !path.is_empty() => out.push(Leaf {
                        path,
                        node: f.node.clone(),
                        origin: self.origin(f),
                    }),
                    _ => {}
                }
            }
        }
        out
    }

    fn is_claimed(&self, path: &str) -> bool {
        self.claimed.iter().any(|c| {
            path == c || (path.starts_with(c.as_str()) && path[c.len()..].starts_with('.'))
        })
    }
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}
