//! The v2 target's data: the defaults it knows without a checkout, the flags of the
//! generated command and their keys, and the guide paths the benchmark handles or no key
//! carries; the scenario keys the writer sets.

use crate::model::{Parallelism, Sourced, Stage};
use crate::read::yaml::Node;

/// Defaults of llm-d-benchmark 2026-05-01 this writer compares with when no checkout is
/// found (facts read from its `defaults.yaml`).
pub(super) const BUILTIN_DEFAULTS: &[(&str, &str)] = &[
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
    ("wva.enabled", "false"),
    ("wva.replicaCount", "1"),
    ("wva.metrics.enabled", "true"),
    ("wva.metrics.port", "8443"),
    ("wva.metrics.secure", "true"),
    (
        "wva.prometheus.baseUrl",
        "https://thanos-querier.openshift-monitoring.svc.cluster.local",
    ),
    ("wva.prometheus.port", "9091"),
    ("wva.variantAutoscaling.enabled", "true"),
    ("wva.variantAutoscaling.slo.tpot", "10"),
    ("wva.variantAutoscaling.slo.ttft", "1000"),
    ("wva.hpa.enabled", "true"),
    ("wva.hpa.minReplicas", "1"),
    ("wva.hpa.maxReplicas", "16"),
    ("wva.hpa.targetAvgValue", "1"),
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
pub(super) const RESOURCE_OF_TYPE: &[(&str, &str)] = &[
    ("nvidia", "nvidia.com/gpu"),
    ("intel-i915", "gpu.intel.com/i915"),
    ("intel-xe", "gpu.intel.com/xe"),
    ("intel-gaudi", "habana.ai/gaudi"),
    ("amd", "amd.com/gpu"),
    ("google", "google.com/tpu"),
];

/// Flags of the generated `vllm serve` command, and where their value goes.
pub(super) enum FlagTo {
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

pub(super) const FLAGS: &[(&str, FlagTo)] = &[
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
pub(super) const SWITCHES: &[(&str, &str)] = &[
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
pub(super) const HANDLED: &[(&str, &str)] = &[
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
        "manifests.*.*.spec.template.metadata",
        "llm-d-benchmark names and labels its resources",
    ),
    (
        "manifests.*.*.spec.leaderWorkerTemplate.workerTemplate.metadata",
        "llm-d-benchmark names and labels its resources",
    ),
    (
        "manifests.*.*.spec.leaderWorkerTemplate.leaderTemplate.metadata",
        "llm-d-benchmark names and labels its resources",
    ),
    (
        "llmd",
        "llm-d-benchmark fills the WVA chart's llmd.* from its namespace and model",
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

/// Guide paths no v2 key can carry, by prefix, with the reason.
pub(super) const REFUSED: &[(&str, &str)] = &[
    (
        "provider",
        "not expressible: llm-d-benchmark pastes inferenceExtension.inferencePoolProviderConfig with toyaml|indent(6, false), which leaves its first line unindented (invalid values)",
    ),
    (
        "vllmService",
        "not expressible: llm-d-benchmark turns the WVA chart's vllmService off",
    ),
    (
        "modelProfile",
        "not expressible: llm-d-benchmark's WVA values have no such setting",
    ),
    (
        "sloClassRef",
        "not expressible: llm-d-benchmark's WVA values have no such setting (its SLOs are wva.variantAutoscaling.slo)",
    ),
];

/// Guide scalars with a v2 key of their own: (guide path prefix, key prefix); `{stage}`
/// is decode or prefill, and the rest of the guide path follows the key prefix.
pub(super) const DIRECT: &[(&str, &str)] = &[
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

/// The scenario keys the writer sets (dotted paths; the 2026-05-01 templates read them).
pub(super) mod key {
    pub const MODEL_NAME: &str = "model.name";
    pub const MODEL_HF_ID: &str = "model.huggingfaceId";
    pub const MODEL_PATH: &str = "model.path";
    pub const MODEL_SHORT_NAME: &str = "model.shortName";
    pub const MODEL_SIZE: &str = "model.size";
    pub const MODEL_PVC_SIZE: &str = "storage.modelPvc.size";
    /// `images.<name>.repository` / `.tag`: the names.
    pub const IMAGE_VLLM: &str = "vllm";
    pub const IMAGE_ROUTING_SIDECAR: &str = "routingSidecar";
    pub const IMAGE_SCHEDULER: &str = "inferenceScheduler";
    pub const ACCELERATOR_TYPE: &str = "accelerator.type";
    pub const ACCELERATOR_RESOURCE: &str = "accelerator.resource";
    pub const AFFINITY_ENABLED: &str = "affinity.enabled";
    pub const AFFINITY_NODE_SELECTOR: &str = "affinity.nodeSelector";
    pub const SERVICE_PORT: &str = "routing.servicePort";
    pub const PROXY_ENABLED: &str = "routing.proxy.enabled";
    pub const PROXY_CONNECTOR: &str = "routing.connector";
    pub const PROXY_DEBUG_LEVEL: &str = "routing.debugLevel";
    pub const PROXY_TARGET_PORT: &str = "routing.proxy.targetPort";
    pub const MULTINODE: &str = "multinode.enabled";
    pub const GATEWAY_CLASS: &str = "gateway.className";
    /// `gateway.<setting>`: the guide's `gatewayParameters.logLevel` and `.resources.*`.
    pub const GATEWAY: &str = "gateway";
    pub const PLUGINS_FILE: &str = "inferenceExtension.pluginsConfigFile";
    pub const PLUGINS_CUSTOM: &str = "inferenceExtension.pluginsCustomConfig";
    pub const ROUTER_FLAGS: &str = "inferenceExtension.flags";
    pub const ROUTER_REPLICAS: &str = "inferenceExtension.replicas";
    pub const PREPROCESS_SCRIPT: &str = "vllmCommon.preprocessScript";
    pub const KV_TRANSFER: &str = "vllmCommon.kvTransfer";
    pub const KV_TRANSFER_ENABLED: &str = "vllmCommon.kvTransfer.enabled";
    pub const KV_EVENTS_ENABLED: &str = "vllmCommon.kvEvents.enabled";
    pub const PROMETHEUS_URL: &str = "wva.prometheus.baseUrl";
    pub const PROMETHEUS_PORT: &str = "wva.prometheus.port";
    pub const HARNESS_NAME: &str = "harness.name";
    pub const HARNESS_PROFILE: &str = "harness.profile";
}

/// The keys under `decode.` / `prefill.` the writer sets.
pub(super) mod stage_key {
    pub const ENABLED: &str = "enabled";
    pub const REPLICAS: &str = "replicas";
    pub const TENSOR: &str = "parallelism.tensor";
    pub const ACCELERATOR_COUNT: &str = "accelerator.count";
    pub const LIMITS: &str = "resources.limits";
    pub const REQUESTS: &str = "resources.requests";
    /// `resources.<limits|requests>.<cpu|memory>`.
    pub const RESOURCES: &str = "resources";
    pub const EPHEMERAL_STORAGE: &str = "ephemeralStorage";
    pub const NETWORK_RESOURCE: &str = "networkResource";
    pub const NETWORK_NR: &str = "networkNr";
    pub const PULL_POLICY: &str = "vllm.imagePullPolicy";
    pub const CONTAINER_CONFIG: &str = "extraContainerConfig";
    pub const ENV: &str = "extraEnvVars";
    pub const VOLUMES: &str = "additionalVolumes";
    pub const MODEL_COMMAND: &str = "vllm.modelCommand";
    pub const CUSTOM_COMMAND: &str = "vllm.customCommand";
    pub const PREPROCESS_COMMAND: &str = "vllm.customPreprocessCommand";
    pub const ADDITIONAL_FLAGS: &str = "vllm.additionalFlags";
}

/// A stage's parallelism: (key under the stage, the model's field).
pub(super) const PARALLELISM: &[(&str, Field<Parallelism>)] = &[
    (stage_key::TENSOR, |p| &p.tensor),
    ("parallelism.data", |p| &p.data),
    ("parallelism.dataLocal", |p| &p.data_local),
    ("parallelism.workers", |p| &p.workers),
];

/// Lists of a stage written as they are: (key under the stage, the model's field).
pub(super) const STAGE_LISTS: &[(&str, List)] = &[
    ("additionalVolumeMounts", |s| &s.mounts),
    ("initContainers", |s| &s.init_containers),
    ("ports", |s| &s.ports),
];

/// A scalar field of a model struct.
pub(super) type Field<T> = fn(&T) -> &Option<Sourced<String>>;
/// A list field of a stage.
pub(super) type List = fn(&Stage) -> &Vec<Sourced<Node>>;

/// What becomes of a guide's autoscaling value (the WVA chart's `wva.*`, `va.*`, `hpa.*`).
/// The 2026-05-01 templates read `wva.*` of the scenario (`19_wva-values.yaml.j2`,
/// `27_wva-variantautoscaling.yaml.j2`, `28_wva-hpa.yaml.j2`).
pub(super) enum ScaleTo {
    /// A scenario key.
    Key(&'static str),
    /// `wva.prometheus.baseUrl` and `wva.prometheus.port`: the template joins them with a
    /// colon.
    PrometheusUrl,
    /// The template writes this value itself: handled when the guide's is the same, refused
    /// otherwise.
    Fixed(&'static str),
    /// llm-d-benchmark sets it (the reason).
    Bench(&'static str),
    /// No key carries it (the reason).
    Refused(&'static str),
}

/// The guide's autoscaling paths, and where each goes.
pub(super) const AUTOSCALING: &[(&str, ScaleTo)] = &[
    ("wva.enabled", ScaleTo::Key("wva.enabled")),
    ("wva.metrics.enabled", ScaleTo::Key("wva.metrics.enabled")),
    ("wva.metrics.port", ScaleTo::Key("wva.metrics.port")),
    ("wva.metrics.secure", ScaleTo::Key("wva.metrics.secure")),
    ("wva.replicaCount", ScaleTo::Key("wva.replicaCount")),
    ("wva.prometheus.baseURL", ScaleTo::PrometheusUrl),
    ("wva.imagePullPolicy", ScaleTo::Fixed("Always")),
    ("wva.reconcileInterval", ScaleTo::Fixed("60s")),
    ("wva.scaleToZero", ScaleTo::Fixed("false")),
    (
        "wva.prometheus.serviceAccountName",
        ScaleTo::Fixed("prometheus-k8s"),
    ),
    (
        "wva.prometheus.tls.insecureSkipVerify",
        ScaleTo::Fixed("true"),
    ),
    (
        "wva.prometheus.tls.caCertPath",
        ScaleTo::Fixed("/etc/ssl/certs/prometheus-ca.crt"),
    ),
    (
        "wva.prometheus.caCert",
        ScaleTo::Bench("llm-d-benchmark reads the CA certificate from the cluster"),
    ),
    (
        "wva.prometheus.monitoringNamespace",
        ScaleTo::Refused(
            "not expressible: llm-d-benchmark uses its cluster's monitoring namespace (openshiftMonitoring.userWorkloadMonitoringNamespace)",
        ),
    ),
    (
        "wva.experimentalHybridOptimization",
        ScaleTo::Refused("not expressible: llm-d-benchmark's WVA values have no such setting"),
    ),
    ("va.enabled", ScaleTo::Key("wva.variantAutoscaling.enabled")),
    (
        "va.sloTpot",
        ScaleTo::Key("wva.variantAutoscaling.slo.tpot"),
    ),
    (
        "va.sloTtft",
        ScaleTo::Key("wva.variantAutoscaling.slo.ttft"),
    ),
    (
        "va.minReplicas",
        ScaleTo::Key("wva.variantAutoscaling.minReplicas"),
    ),
    (
        "va.maxReplicas",
        ScaleTo::Key("wva.variantAutoscaling.maxReplicas"),
    ),
    (
        "va.accelerator",
        ScaleTo::Bench(
            "llm-d-benchmark names the accelerator from the decode stage's accelerator type labels",
        ),
    ),
    ("hpa.enabled", ScaleTo::Key("wva.hpa.enabled")),
    ("hpa.minReplicas", ScaleTo::Key("wva.hpa.minReplicas")),
    ("hpa.maxReplicas", ScaleTo::Key("wva.hpa.maxReplicas")),
    (
        "hpa.targetAverageValue",
        ScaleTo::Key("wva.hpa.targetAvgValue"),
    ),
];

/// Images a guide states as two scalars (the GAIE chart's 1.5 form `registry` and
/// `repository`): (registry path, repository path, the `images.<name>` they fill).
pub(super) const SPLIT_IMAGES: &[(&str, &str, &str)] = &[(
    "inferenceExtension.image.registry",
    "inferenceExtension.image.repository",
    key::IMAGE_SCHEDULER,
)];
