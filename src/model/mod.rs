//! The deployment model: what a guide deploys (model, engine, stages, router, gateway),
//! every value with the guide lines it came from. Readers produce values-shaped trees
//! ([`crate::read::guide::Model`]); [`from_guide`] turns them into a [`Deployment`]; the target
//! writers ([`crate::emit`]) read only the deployment.

mod build;
pub mod scenario;
pub mod vllm;

pub use build::from_guide;

use crate::model::scenario::Origin;
use crate::read::yaml::{Doc, Node};

/// A value and the guide lines it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Sourced<T> {
        Sourced { value, origin }
    }
}

/// A value that more than one place of the guide states (vLLM and the scheduler): one value,
/// every place it was read. `conflicts` holds the places that disagree with `value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Coupled<T> {
    pub value: T,
    pub origins: Vec<Origin>,
    pub conflicts: Vec<Sourced<T>>,
    /// The model servers' own value (the first created stage's; for the served model,
    /// `modelArtifacts.name` first), when they state one: what the scheduler's copy must
    /// match.
    pub servers: Option<Sourced<T>>,
}

/// The inference engine the model servers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Vllm,
    Sglang,
    /// The llm-d inference simulator (no accelerator, no weights).
    Simulator,
    Other,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Vllm => "vllm",
            Engine::Sglang => "sglang",
            Engine::Simulator => "simulator",
            Engine::Other => "other",
        }
    }
}

/// Everything one guide variant deploys.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub model: ModelSpec,
    pub engine: Engine,
    pub decode: Stage,
    pub prefill: Stage,
    /// `multinode`: the stages run as LeaderWorkerSets.
    pub multinode: Option<Sourced<bool>>,
    /// `accelerator.type` (nvidia, intel-i915, amd, google, cpu, ...).
    pub accelerator_type: Option<Sourced<String>>,
    pub networking: Networking,
    pub router: Router,
    /// The gateway class the guide installs for (`gateway.gatewayClassName`, or the provider
    /// of the inference pool).
    pub gateway_class: Option<Sourced<String>>,
    /// Settings of the gateway itself (`gateway.gatewayParameters.*`), leaf by leaf.
    pub gateway_settings: Vec<(String, Sourced<String>)>,
    /// Autoscaling switches and settings (`wva.*`, `va.*`, `hpa.*`), leaf by leaf, by their
    /// full guide path (`hpa.maxReplicas`).
    pub autoscaling: Vec<(String, Sourced<String>)>,
    /// Values stated in several places, once each.
    pub coupled: CoupledValues,
    /// Leaves of the trees the model does not hold: the writer accounts for them.
    pub rest: Vec<Leaf>,
    /// The values documents the deployment was read from. The bash writer walks them with
    /// its per-path rules so that every leaf, typed or not, gets exactly one fate.
    pub values: ValuesDocs,
}

/// The values-shaped trees of a guide variant and the files their nodes came from
/// (`Node::src` indexes `sources`).
#[derive(Debug, Clone, Default)]
pub struct ValuesDocs {
    /// One tree per chart (values merged from several files) or per file.
    pub roots: Vec<Node>,
    pub sources: Vec<Doc>,
}

/// A leaf of a guide tree, by path (`decode.containers.0.startupProbe.httpGet.path`).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub path: String,
    pub node: Node,
    pub origin: Origin,
}

#[derive(Debug, Clone, Default)]
pub struct ModelSpec {
    /// The served model name (`modelArtifacts.name`).
    pub name: Option<Sourced<String>>,
    /// The artifact URI (`hf://org/model`, `pvc://...`).
    pub uri: Option<Sourced<String>>,
    /// The Hugging Face id, from an `hf://` URI.
    pub hf_id: Option<Sourced<String>>,
    pub size: Option<Sourced<String>>,
    pub auth_secret: Option<Sourced<String>>,
}

/// Values vLLM and the scheduler must agree on.
#[derive(Debug, Clone, Default)]
pub struct CoupledValues {
    /// vLLM `--block-size` and the scheduler's prefix-cache `blockSize`.
    pub block_size: Option<Coupled<String>>,
    /// `PYTHONHASHSEED` of the model servers and the scheduler's `hashSeed`.
    pub hash_seed: Option<Coupled<String>>,
    /// `--served-model-name` / `modelArtifacts.name` and the model the scheduler names.
    pub served_model: Option<Coupled<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Decode,
    Prefill,
}

impl StageKind {
    pub fn key(self) -> &'static str {
        match self {
            StageKind::Decode => "decode",
            StageKind::Prefill => "prefill",
        }
    }
}

/// One stage (decode or prefill) of model servers.
#[derive(Debug, Clone)]
pub struct Stage {
    pub kind: StageKind,
    /// `create`; `None` when the guide does not say.
    pub create: Option<Sourced<bool>>,
    pub replicas: Option<Sourced<String>>,
    pub parallelism: Parallelism,
    pub accelerator: Option<Accelerator>,
    pub image: Option<Sourced<String>>,
    pub command: Option<Command>,
    pub env: Vec<Sourced<Node>>,
    pub volumes: Vec<Sourced<Node>>,
    pub mounts: Vec<Sourced<Node>>,
    /// `limits.cpu`, `requests.memory`, ... other than the accelerator.
    pub resources: Vec<(String, Sourced<String>)>,
    pub probes: Vec<(String, Sourced<Node>)>,
    pub init_containers: Vec<Sourced<Node>>,
    pub node_selector: Vec<(String, Sourced<String>)>,
    pub affinity: Option<Sourced<Node>>,
    pub tolerations: Option<Sourced<Node>>,
    /// Container ports the guide declares.
    pub ports: Vec<Sourced<Node>>,
    /// Shell commands the container runs before the server (`scriptSetup`), in order.
    pub setup: Vec<Sourced<Node>>,
    /// Other container settings (`securityContext`, `workingDir`, ...), by key.
    pub container_extra: Vec<(String, Sourced<Node>)>,
    pub pull_policy: Option<Sourced<String>>,
}

impl Stage {
    fn new(kind: StageKind) -> Stage {
        Stage {
            kind,
            create: None,
            replicas: None,
            parallelism: Parallelism::default(),
            accelerator: None,
            image: None,
            command: None,
            env: Vec::new(),
            volumes: Vec::new(),
            mounts: Vec::new(),
            resources: Vec::new(),
            probes: Vec::new(),
            init_containers: Vec::new(),
            node_selector: Vec::new(),
            affinity: None,
            tolerations: None,
            ports: Vec::new(),
            setup: Vec::new(),
            container_extra: Vec::new(),
            pull_policy: None,
        }
    }

    /// Whether the guide deploys this stage: `create`, else any replicas or container.
    pub fn created(&self) -> bool {
        match &self.create {
            Some(c) => c.value,
            None => {
                self.kind == StageKind::Decode
                    || self.replicas.as_ref().is_some_and(|r| r.value != "0")
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Parallelism {
    pub tensor: Option<Sourced<String>>,
    pub data: Option<Sourced<String>>,
    pub data_local: Option<Sourced<String>>,
    pub workers: Option<Sourced<String>>,
}

/// The accelerator a stage's container requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Accelerator {
    /// The extended resource name (`nvidia.com/gpu`, `google.com/tpu`, ...).
    pub resource: String,
    pub limit: Option<Sourced<String>>,
    pub request: Option<Sourced<String>>,
}

/// How the container starts: `modelCommand` (vllmServe, imageDefault, custom), the program
/// words before the flags, and the flags in order.
#[derive(Debug, Clone)]
pub struct Command {
    pub mode: Option<Sourced<String>>,
    /// `command:` words (the program), when the guide gives them.
    pub program: Vec<Sourced<String>>,
    /// Positional words of the arguments (the model of `vllm serve <model>`).
    pub positional: Vec<Sourced<String>>,
    pub flags: Vec<Flag>,
    /// Set when the command is a shell script the model cannot split into flags.
    pub script: Option<Sourced<String>>,
}

/// One command-line flag, canonical spelling (`--max-model-len`), with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Default)]
pub struct Networking {
    /// `routing.servicePort`: the port clients reach.
    pub service_port: Option<Sourced<String>>,
    pub proxy: Proxy,
}

/// The routing proxy (sidecar) in front of the decode servers.
#[derive(Debug, Clone, Default)]
pub struct Proxy {
    pub enabled: Option<Sourced<bool>>,
    pub connector: Option<Sourced<String>>,
    pub image: Option<Sourced<String>>,
    pub debug_level: Option<Sourced<String>>,
    pub target_port: Option<Sourced<String>>,
}

/// An image given as hub (registry and repository), name and tag.
#[derive(Debug, Clone, Default)]
pub struct ImageParts {
    pub hub: Option<Sourced<String>>,
    pub name: Option<Sourced<String>>,
    pub tag: Option<Sourced<String>>,
}

/// The router: the endpoint picker (EPP) of the inference pool and its scheduler config.
#[derive(Debug, Clone, Default)]
pub struct Router {
    /// `inferenceExtension.pluginsConfigFile`: the config the EPP loads.
    pub plugins_file: Option<Sourced<String>>,
    /// `inferenceExtension.pluginsCustomConfig`: file name and text.
    pub plugins_custom: Vec<(String, Sourced<String>)>,
    /// The plugin types the config uses, in order.
    pub plugin_types: Vec<String>,
    /// `inferenceExtension.flags`: EPP command-line flags.
    pub flags: Vec<(String, Sourced<String>)>,
    pub image: Option<Sourced<String>>,
    /// The parts of the EPP image as the chart takes them (`inferenceExtension.image.hub`,
    /// `.name`, `.tag`), each when given.
    pub image_parts: ImageParts,
    /// Sidecar containers of the EPP.
    pub sidecars: Vec<Sourced<Node>>,
    pub replicas: Option<Sourced<String>>,
}
