//! The mapping rules, as data: one row per guide path.
//!
//! A path is dotted keys; a number matches a list index, `1+` any index but the first;
//! `*` matches any one key or index;
//! `{stage}` stands for `decode` and `prefill`, and `{STAGE}` in a variable for `DECODE` and
//! `PREFILL`. The first row whose path matches a node decides for that node and everything
//! under it. Leaves no row matches are reported as unmapped.

use super::{Axis, Handler};

#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// The scalar is the variable's value.
    Var(&'static str),
    /// llm-d-benchmark sets this itself; the reason is shown in the scenario.
    Framework(&'static str),
    /// No benchmark setting can carry this; the reason is shown with the quoted value.
    Unmapped(&'static str),
    /// Needs more than a copy: a function of the mapper (see [`Handler`]).
    Handle(Handler),
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub path: &'static str,
    pub action: Action,
}

const fn var(path: &'static str, var: &'static str) -> Rule {
    Rule {
        path,
        action: Action::Var(var),
    }
}
const fn framework(path: &'static str, why: &'static str) -> Rule {
    Rule {
        path,
        action: Action::Framework(why),
    }
}
const fn unmapped(path: &'static str, why: &'static str) -> Rule {
    Rule {
        path,
        action: Action::Unmapped(why),
    }
}
const fn handle(path: &'static str, handler: Handler) -> Rule {
    Rule {
        path,
        action: Action::Handle(handler),
    }
}

const PROBES: &str = "llm-d-benchmark sets the probes itself";
const LABELS: &str = "llm-d-benchmark sets the labels and selectors itself";
const MONITORING: &str = "pod monitoring is not used in benchmark runs";
const NO_POD_CONFIG: &str = "not expressible: llm-d-benchmark renders any ..._EXTRA_POD_CONFIG as invalid Helm values (a bare `:` line), so pod-level settings cannot be passed";
const NO_DRA: &str = "not expressible: llm-d-benchmark requests accelerators as extended resources (LLMDBENCH_VLLM_COMMON_ACCELERATOR_RESOURCE); it has no setting for dynamic resource allocation, so the pods need a cluster that also offers the resource";
const ONE_CONTAINER: &str =
    "llm-d-benchmark deploys one vLLM container per pod; other containers cannot be expressed";
const SERVICE_ACCOUNT: &str = "llm-d-benchmark runs the pods under its own service account (LLMDBENCH_VLLM_COMMON_SERVICE_ACCOUNT)";
const WORKLOAD: &str = "llm-d-benchmark creates the model-server workload itself (a Deployment, or a LeaderWorkerSet when multinode)";
const SIDECAR: &str = "llm-d-benchmark deploys its own routing sidecar";
const OTHER_RESOURCES: &str = "not expressible: llm-d-benchmark creates the model servers, the GAIE and the gateway; the guide's other resources are not created (create them in the benchmark namespace if the model servers need them)";

/// Every row of llm-d-benchmark's guide-converter mapping table, plus what the seed and
/// CONTEXT.md add, in guide order.
pub const RULES: &[Rule] = &[
    // Chart-wide settings of the modelservice chart.
    var("multinode", "LLMDBENCH_VLLM_MODELSERVICE_MULTINODE"),
    handle(
        "modelArtifacts.name",
        Handler::Model("LLMDBENCH_DEPLOY_MODEL_LIST"),
    ),
    var(
        "modelArtifacts.size",
        "LLMDBENCH_VLLM_COMMON_PVC_MODEL_CACHE_SIZE",
    ),
    var(
        "modelArtifacts.authSecretName",
        "LLMDBENCH_VLLM_COMMON_HF_TOKEN_NAME",
    ),
    framework(
        "modelArtifacts.uri",
        "llm-d-benchmark downloads the model into its own PVC and serves it from /model-cache/models/<model> (LLMDBENCH_VLLM_MODELSERVICE_URI_PROTOCOL stays pvc)",
    ),
    framework("modelArtifacts.labels", LABELS),
    var(
        "routing.servicePort",
        "LLMDBENCH_VLLM_COMMON_INFERENCE_PORT",
    ),
    var(
        "routing.proxy.connector",
        "LLMDBENCH_LLMD_ROUTINGSIDECAR_CONNECTOR",
    ),
    var(
        "routing.proxy.debugLevel",
        "LLMDBENCH_LLMD_ROUTINGSIDECAR_DEBUG_LEVEL",
    ),
    handle(
        "routing.proxy.image",
        Handler::Image(&ROUTING_SIDECAR_IMAGE),
    ),
    // Off where setup/env.sh has LLMDBENCH_LLMD_ROUTINGSIDECAR_ENABLED (March 2026).
    handle(
        "routing.proxy.enabled",
        Handler::RoutingSidecar("LLMDBENCH_LLMD_ROUTINGSIDECAR_ENABLED"),
    ),
    framework(
        "routing.proxy.targetPort",
        "llm-d-benchmark points the routing sidecar at vLLM on LLMDBENCH_VLLM_COMMON_METRICS_PORT",
    ),
    // The routing sidecar of a kustomize guide (an init container of the decode pods).
    unmapped(
        "routing.proxy.sidecar.args",
        "not expressible: llm-d-benchmark starts its routing sidecar with its own flags; only the connector (LLMDBENCH_LLMD_ROUTINGSIDECAR_CONNECTOR) and the ports can be set",
    ),
    framework("routing.proxy.sidecar.*", SIDECAR),
    handle(
        "accelerator.type",
        Handler::AcceleratorType("LLMDBENCH_VLLM_COMMON_ACCELERATOR_RESOURCE"),
    ),
    unmapped("accelerator.dra", NO_DRA),
    unmapped("dra", NO_DRA),
    // Per stage.
    handle(
        "{stage}.create",
        Handler::Create("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_REPLICAS"),
    ),
    handle(
        "{stage}.replicas",
        Handler::Replicas("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_REPLICAS"),
    ),
    handle(
        "{stage}.parallelism.tensor",
        Handler::Parallelism(
            Axis::Tensor,
            "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_TENSOR_PARALLELISM",
        ),
    ),
    handle(
        "{stage}.parallelism.data",
        Handler::Parallelism(
            Axis::Data,
            "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_DATA_PARALLELISM",
        ),
    ),
    handle(
        "{stage}.parallelism.dataLocal",
        Handler::Parallelism(
            Axis::DataLocal,
            "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_DATA_LOCAL_PARALLELISM",
        ),
    ),
    handle(
        "{stage}.parallelism.workers",
        Handler::Parallelism(
            Axis::Workers,
            "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_NUM_WORKERS_PARALLELISM",
        ),
    ),
    var(
        "{stage}.schedulerName",
        "LLMDBENCH_VLLM_COMMON_POD_SCHEDULER",
    ),
    handle(
        "{stage}.annotations",
        Handler::Annotations("LLMDBENCH_VLLM_COMMON_ANNOTATIONS"),
    ),
    handle(
        "{stage}.podAnnotations",
        Handler::Annotations("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_PODANNOTATIONS"),
    ),
    framework("{stage}.monitoring", MONITORING),
    handle("{stage}.extraConfig.nodeSelector", Handler::NodeSelector),
    handle("{stage}.nodeSelector", Handler::NodeSelector),
    framework(
        "{stage}.extraConfig.restartPolicy",
        "Kubernetes restarts the pods of a Deployment or LeaderWorkerSet always",
    ),
    unmapped("{stage}.extraConfig.*", NO_POD_CONFIG),
    framework("{stage}.serviceAccountName", SERVICE_ACCOUNT),
    // Checkouts from 2026-03-30 paste this file under the stage's `initContainers:`; older
    // ones have no such setting (the handler says so).
    handle(
        "{stage}.initContainers",
        Handler::InitContainers("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_INIT_CONTAINER_CONFIG"),
    ),
    unmapped("{stage}.tolerations", NO_POD_CONFIG),
    handle("{stage}.affinity", Handler::Affinity(NO_POD_CONFIG)),
    handle("{stage}.volumes", Handler::Collect),
    handle("{stage}.containers.0.modelCommand", Handler::Collect),
    // Commands a kustomize guide's script runs before vLLM (see crate::read::kustomize::values).
    handle("{stage}.containers.0.scriptSetup", Handler::Collect),
    handle("{stage}.containers.0.command", Handler::Collect),
    handle("{stage}.containers.0.args", Handler::Collect),
    handle("{stage}.containers.0.env", Handler::Collect),
    handle("{stage}.containers.0.volumeMounts", Handler::Collect),
    handle("{stage}.containers.0.resources", Handler::Resources),
    handle(
        "{stage}.containers.0.image",
        Handler::StageImage(&VLLM_IMAGE),
    ),
    framework(
        "{stage}.containers.0.name",
        "llm-d-benchmark names the container itself",
    ),
    framework(
        "{stage}.containers.0.ports",
        "llm-d-benchmark declares the ports: vLLM on LLMDBENCH_VLLM_COMMON_METRICS_PORT behind the routing sidecar on LLMDBENCH_VLLM_COMMON_INFERENCE_PORT",
    ),
    framework("{stage}.containers.0.startupProbe", PROBES),
    framework("{stage}.containers.0.livenessProbe", PROBES),
    framework("{stage}.containers.0.readinessProbe", PROBES),
    framework(
        "{stage}.containers.0.mountModelVolume",
        "llm-d-benchmark mounts the model volume at /model-cache",
    ),
    handle("{stage}.containers.0.*", Handler::ContainerConfig),
    unmapped("{stage}.containers.1+", ONE_CONTAINER),
    // What remains of the model-server workloads of a kustomize guide, and its other
    // resources (see crate::read::kustomize::values).
    framework("manifests.*.*.apiVersion", WORKLOAD),
    framework("manifests.*.*.kind", WORKLOAD),
    framework(
        "manifests.*.*.metadata.name",
        "llm-d-benchmark names its resources itself",
    ),
    framework(
        "manifests.*.*.metadata.namespace",
        "llm-d-benchmark deploys into its own namespace (LLMDBENCH_VLLM_COMMON_NAMESPACE)",
    ),
    framework("manifests.*.*.metadata.labels", LABELS),
    framework("manifests.*.*.spec.selector", LABELS),
    framework("manifests.*.*.spec.template.metadata.labels", LABELS),
    framework(
        "manifests.*.*.spec.leaderWorkerTemplate.workerTemplate.metadata.labels",
        LABELS,
    ),
    unmapped(
        "manifests.LeaderWorkerSet.*.spec.leaderWorkerTemplate.leaderTemplate",
        "not expressible: llm-d-benchmark runs the same pod as leader and workers",
    ),
    framework("resources.ServiceAccount", SERVICE_ACCOUNT),
    framework("resources.PodMonitor", MONITORING),
    framework("resources.ServiceMonitor", MONITORING),
    unmapped("resources.*", OTHER_RESOURCES),
    // GAIE inferencepool chart.
    handle("inferenceExtension.image", Handler::GaieImage(&EPP_IMAGE)),
    handle("inferenceExtension.pluginsConfigFile", Handler::Collect),
    handle("inferenceExtension.pluginsCustomConfig", Handler::Collect),
    // The second `flags:` llm-d-benchmark writes (the one that wins) holds the verbosity.
    handle(
        "inferenceExtension.flags.v",
        Handler::EppVerbosity("LLMDBENCH_VLLM_MODELSERVICE_GAIE_EPP_VERBOSITY"),
    ),
    unmapped(
        "inferenceExtension.flags.*",
        "not expressible: llm-d-benchmark writes `flags:` twice into the GAIE values and its own copy wins",
    ),
    // The EPP's tokenizer sidecar, and the socket volume it shares with the EPP.
    handle("inferenceExtension.sidecar", Handler::GaieSidecar),
    handle("inferenceExtension.volumes", Handler::GaieSidecar),
    handle("inferenceExtension.volumeMounts", Handler::GaieSidecar),
    framework(
        "inferenceExtension.monitoring",
        "EPP monitoring is not used in benchmark runs",
    ),
    var(
        "inferencePool.targetPortNumber",
        "LLMDBENCH_VLLM_COMMON_INFERENCE_PORT",
    ),
    var(
        "inferencePool.targetPorts.0.number",
        "LLMDBENCH_VLLM_COMMON_INFERENCE_PORT",
    ),
    var(
        "inferencePool.provider",
        "LLMDBENCH_VLLM_MODELSERVICE_INFERENCE_POOL_PROVIDER_CONFIG",
    ),
    framework(
        "inferencePool.modelServerType",
        "llm-d-benchmark deploys vLLM model servers",
    ),
    framework("inferencePool.modelServers", LABELS),
    // Chart versions, read from helmfile.yaml.gotmpl (see crate::read::helmfile).
    var("chartVersions.infra", "LLMDBENCH_VLLM_INFRA_CHART_VERSION"),
    var("chartVersions.gaie", "LLMDBENCH_VLLM_GAIE_CHART_VERSION"),
    var(
        "chartVersions.modelservice",
        "LLMDBENCH_VLLM_MODELSERVICE_CHART_VERSION",
    ),
    var("chartVersions.wva", "LLMDBENCH_WVA_CHART_VERSION"),
    // Workload variant autoscaler (workload-autoscaling guide).
    handle("wva.enabled", Handler::Switch("LLMDBENCH_WVA_ENABLED")),
    handle(
        "wva.metrics.enabled",
        Handler::PyBool("LLMDBENCH_WVA_METRICS_ENABLED"),
    ),
    var("wva.metrics.port", "LLMDBENCH_WVA_METRICS_PORT"),
    handle(
        "wva.metrics.secure",
        Handler::PyBool("LLMDBENCH_WVA_METRICS_SECURE"),
    ),
    handle(
        "wva.prometheus.baseURL",
        Handler::UrlWithPort("LLMDBENCH_WVA_PROM_BASE_URL"),
    ),
    handle(
        "va.enabled",
        Handler::PyBool("LLMDBENCH_WVA_VARIANT_AUTOSCALING_ENABLED"),
    ),
    var("va.sloTpot", "LLMDBENCH_WVA_VARIANT_AUTOSCALING_SLO_TPOT"),
    var("va.sloTtft", "LLMDBENCH_WVA_VARIANT_AUTOSCALING_SLO_TTFT"),
    handle("hpa.enabled", Handler::PyBool("LLMDBENCH_WVA_HPA_ENABLED")),
    var("hpa.maxReplicas", "LLMDBENCH_WVA_HPA_MAX_REPLICAS"),
    var(
        "hpa.targetAverageValue",
        "LLMDBENCH_WVA_HPA_TARGET_AVG_VALUE",
    ),
    handle(
        "vllmService.enabled",
        Handler::PyBool("LLMDBENCH_WVA_VLLM_SERVICE_ENABLED"),
    ),
    var(
        "vllmService.interval",
        "LLMDBENCH_WVA_VLLM_SERVICE_INTERVAL",
    ),
    var("vllmService.scheme", "LLMDBENCH_WVA_VLLM_SERVICE_SCHEME"),
    framework(
        "llmd.modelName",
        "llm-d-benchmark points the autoscaler at the model service it deploys",
    ),
    framework(
        "llmd.modelID",
        "llm-d-benchmark points the autoscaler at the model it deploys (LLMDBENCH_DEPLOY_MODEL_LIST)",
    ),
    framework(
        "llmd.namespace",
        "llm-d-benchmark points the autoscaler at its own namespace (LLMDBENCH_VLLM_COMMON_NAMESPACE)",
    ),
    // Gateway provider (helmfile environments and prereq values).
    handle(
        "provider.name",
        Handler::GatewayClass("LLMDBENCH_VLLM_MODELSERVICE_GATEWAY_CLASS_NAME"),
    ),
    handle(
        "gateway.gatewayClassName",
        Handler::GatewayClass("LLMDBENCH_VLLM_MODELSERVICE_GATEWAY_CLASS_NAME"),
    ),
    var(
        "gateway.service.type",
        "LLMDBENCH_VLLM_MODELSERVICE_GATEWAY_SERVICE_TYPE",
    ),
];

/// The four variables that name one image.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageVars {
    pub registry: &'static str,
    pub repo: &'static str,
    pub name: &'static str,
    pub tag: &'static str,
}

impl ImageVars {
    /// The variables in the order of [`super::handlers::parse_image`]'s parts.
    pub fn all(&self) -> [&'static str; 4] {
        [self.registry, self.repo, self.name, self.tag]
    }
}

/// The model servers' image (both stages).
pub const VLLM_IMAGE: ImageVars = ImageVars {
    registry: "LLMDBENCH_LLMD_IMAGE_REGISTRY",
    repo: "LLMDBENCH_LLMD_IMAGE_REPO",
    name: "LLMDBENCH_LLMD_IMAGE_NAME",
    tag: "LLMDBENCH_LLMD_IMAGE_TAG",
};

/// The routing sidecar's image.
pub const ROUTING_SIDECAR_IMAGE: ImageVars = ImageVars {
    registry: "LLMDBENCH_LLMD_ROUTINGSIDECAR_IMAGE_REGISTRY",
    repo: "LLMDBENCH_LLMD_ROUTINGSIDECAR_IMAGE_REPO",
    name: "LLMDBENCH_LLMD_ROUTINGSIDECAR_IMAGE_NAME",
    tag: "LLMDBENCH_LLMD_ROUTINGSIDECAR_IMAGE_TAG",
};

/// The EPP's (inference scheduler's) image.
pub const EPP_IMAGE: ImageVars = ImageVars {
    registry: "LLMDBENCH_LLMD_INFERENCESCHEDULER_IMAGE_REGISTRY",
    repo: "LLMDBENCH_LLMD_INFERENCESCHEDULER_IMAGE_REPO",
    name: "LLMDBENCH_LLMD_INFERENCESCHEDULER_IMAGE_NAME",
    tag: "LLMDBENCH_LLMD_INFERENCESCHEDULER_IMAGE_TAG",
};

/// The EPP's tokenizer sidecar's image.
pub const UDS_TOKENIZER_IMAGE: ImageVars = ImageVars {
    registry: "LLMDBENCH_LLMD_UDS_TOKENIZER_IMAGE_REGISTRY",
    repo: "LLMDBENCH_LLMD_UDS_TOKENIZER_IMAGE_REPO",
    name: "LLMDBENCH_LLMD_UDS_TOKENIZER_IMAGE_NAME",
    tag: "LLMDBENCH_LLMD_UDS_TOKENIZER_IMAGE_TAG",
};

/// vLLM flags that have a benchmark variable. The common variable is used when every stage
/// agrees; the stage variable (if any) when they differ.
pub struct Flag {
    pub name: &'static str,
    pub common: Option<&'static str>,
    /// The stage's own variable (`{STAGE}`: DECODE or PREFILL).
    pub stage: Option<&'static str>,
}

pub const FLAGS: &[Flag] = &[
    Flag {
        name: "--max-model-len",
        common: Some("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"),
        stage: None,
    },
    Flag {
        name: "--block-size",
        common: Some("LLMDBENCH_VLLM_COMMON_BLOCK_SIZE"),
        stage: None,
    },
    Flag {
        name: "--gpu-memory-utilization",
        common: Some("LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL"),
        stage: Some("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_ACCELERATOR_MEM_UTIL"),
    },
    Flag {
        name: "--tensor-parallel-size",
        common: None,
        stage: Some("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_TENSOR_PARALLELISM"),
    },
    Flag {
        name: "--data-parallel-size",
        common: None,
        stage: Some("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_DATA_PARALLELISM"),
    },
    Flag {
        name: "--data-parallel-size-local",
        common: None,
        stage: Some("LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_DATA_LOCAL_PARALLELISM"),
    },
    Flag {
        name: "--max-num-seqs",
        common: Some("LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQ"),
        stage: None,
    },
    Flag {
        name: "--max-num-batched-tokens",
        common: Some("LLMDBENCH_VLLM_COMMON_MAX_NUM_BATCHED_TOKENS"),
        stage: None,
    },
    Flag {
        name: "--load-format",
        common: Some("LLMDBENCH_VLLM_COMMON_VLLM_LOAD_FORMAT"),
        stage: None,
    },
];

/// Numbers inside JSON flag values that a benchmark variable sets: (flag, object keys to the
/// number, variable). The number becomes the variable's `REPLACE_ENV_` token, so an
/// experiment can sweep it (tiered-prefix-cache sweeps the offloading connector's CPU blocks).
pub const FLAG_JSON_FIELDS: &[(&str, &[&str], &str)] = &[(
    "--kv-transfer-config",
    &["kv_connector_extra_config", "num_cpu_blocks"],
    "LLMDBENCH_VLLM_COMMON_NUM_CPU_BLOCKS",
)];

/// Flags whose value llm-d-benchmark decides; the guide's value is reported, not kept.
pub const OWNED_FLAGS: &[(&str, &str)] = &[
    (
        "--port",
        "llm-d-benchmark runs vLLM on LLMDBENCH_VLLM_COMMON_METRICS_PORT behind its routing sidecar",
    ),
    (
        "--model",
        "llm-d-benchmark serves the model from /model-cache/models/<model>",
    ),
    (
        "--served-model-name",
        "llm-d-benchmark serves the model under its name (LLMDBENCH_DEPLOY_MODEL_LIST)",
    ),
];

/// Container env names that llm-d-benchmark (from March 2026) appends after the scenario's
/// env file, taking the value of the variable given: a guide value for one of them only
/// survives if that variable carries it.
pub const BENCH_ENV: &[(&str, &str)] = &[
    (
        "VLLM_WORKER_MULTIPROC_METHOD",
        "LLMDBENCH_VLLM_COMMON_VLLM_WORKER_MULTIPROC_METHOD",
    ),
    (
        "VLLM_LOGGING_LEVEL",
        "LLMDBENCH_VLLM_COMMON_VLLM_LOGGING_LEVEL",
    ),
    ("VLLM_CACHE_ROOT", "LLMDBENCH_VLLM_COMMON_VLLM_CACHE_ROOT"),
    (
        "VLLM_ALLOW_LONG_MAX_MODEL_LEN",
        "LLMDBENCH_VLLM_COMMON_VLLM_ALLOW_LONG_MAX_MODEL_LEN",
    ),
    (
        "VLLM_SERVER_DEV_MODE",
        "LLMDBENCH_VLLM_COMMON_VLLM_SERVER_DEV_MODE",
    ),
    ("VLLM_LOAD_FORMAT", "LLMDBENCH_VLLM_COMMON_VLLM_LOAD_FORMAT"),
];

/// Container env names that llm-d-benchmark (from March 2026) also appends after the
/// scenario's env file, from the variable given: where setup/env.sh defines the variable it
/// carries the guide's value, else the entry is written as the guide has it.
pub const APPENDED_ENV: &[(&str, &str)] = &[
    ("UCX_TLS", "LLMDBENCH_VLLM_COMMON_UCX_TLS"),
    (
        "UCX_SOCKADDR_TLS_PRIORITY",
        "LLMDBENCH_VLLM_COMMON_UCX_SOCKADDR_TLS_PRIORITY",
    ),
    (
        "VLLM_NIXL_SIDE_CHANNEL_PORT",
        "LLMDBENCH_VLLM_COMMON_NIXL_SIDE_CHANNEL_PORT",
    ),
];

/// Env entries llm-d-benchmark sets itself.
pub const FRAMEWORK_ENV: &[(&str, &str)] = &[(
    "VLLM_NIXL_SIDE_CHANNEL_HOST",
    "llm-d-benchmark sets VLLM_NIXL_SIDE_CHANNEL_HOST to the pod IP itself",
)];

/// `accelerator.type` of the modelservice chart -> the Kubernetes resource llm-d-benchmark requests.
pub const ACCELERATORS: &[(&str, &str)] = &[
    ("nvidia", "nvidia.com/gpu"),
    ("amd", "amd.com/gpu"),
    ("intel-i915", "gpu.intel.com/i915"),
    ("intel-xe", "gpu.intel.com/xe"),
    ("intel-gaudi", "habana.ai/gaudi"),
    ("google", "google.com/tpu"),
];

/// Guide values whose loss (or partial support) changes what the benchmark measures: when
/// one is present (and truthy, for a boolean) the message is a warning, on stderr and in the
/// scenario, beyond its note in the lists. `{value}` is the guide's value.
pub const BEHAVIOUR_WARNINGS: &[(&str, &str)] = &[
    (
        "inferenceExtension.flags.kv-cache-usage-percentage-metric",
        "the EPP flag kv-cache-usage-percentage-metric={value} is lost in both bench eras: step 08 of llm-d-benchmark writes `flags:` a second time in the GAIE values (only the verbosity) and that copy wins, so the EPP reads KV-cache usage under its default metric name",
    ),
    (
        "wva.enabled",
        "the workload variant autoscaler (wva.enabled={value}) is installed by step 09 of llm-d-benchmark only on OpenShift clusters; elsewhere the model servers run at their fixed replica counts",
    ),
];

/// Images of model servers that need no accelerator (substring of the image reference):
/// llm-d's inference simulator.
pub const SIMULATOR_IMAGES: &[&str] = &["llm-d-inference-sim"];

/// A guide's gateway class (or GAIE provider name) -> the class llm-d-benchmark installs
/// and configures (setup/steps/02_ensure_gateway_provider.py: istio, kgateway, gke; step 08
/// names the GAIE provider after it), and why, when it is not the guide's own. Matched on
/// the whole name, or on a prefix ending in `-`.
pub const GATEWAY_CLASSES: &[(&str, &str, Option<&str>)] = &[
    ("istio", "istio", None),
    ("kgateway", "kgateway", None),
    ("gke", "gke", None),
    // GKE's managed gateway classes (gke-l7-regional-external-managed, gke-l7-rilb, ...).
    ("gke-l7-", "gke", None),
    (
        "agentgateway",
        "kgateway",
        Some(
            "llm-d-benchmark cannot install agentgateway; kgateway (from the same project) is deployed instead; the gateway differs from the guide's",
        ),
    ),
    (
        "agentgateway-",
        "kgateway",
        Some(
            "llm-d-benchmark cannot install agentgateway; kgateway (from the same project) is deployed instead; the gateway differs from the guide's",
        ),
    ),
];

/// Kubernetes container fields that may go into `..._EXTRA_CONTAINER_CONFIG`.
pub const CONTAINER_FIELDS: &[&str] = &[
    "securityContext",
    "imagePullPolicy",
    "lifecycle",
    "workingDir",
    "envFrom",
    "stdin",
    "stdinOnce",
    "tty",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "resizePolicy",
    "restartPolicy",
    "volumeDevices",
];
