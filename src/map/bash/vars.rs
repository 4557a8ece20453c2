//! The benchmark variables the bash writer sets or names outside the path rules
//! ([`super::rules::RULES`] names its own), as data. A per-stage variable is a template:
//! `{STAGE}` stands for DECODE or PREFILL ([`stage`]).

/// The variable of a template for a stage (`decode`, `prefill`).
pub fn stage(template: &str, stage: &str) -> String {
    super::stage_var(template, Some(stage))
}

/// The models llm-d-benchmark deploys.
pub const MODEL_LIST: &str = "LLMDBENCH_DEPLOY_MODEL_LIST";
/// The model a pod serves, as llm-d-benchmark substitutes it per model.
pub const CURRENT_MODEL: &str = "LLMDBENCH_DEPLOY_CURRENT_MODEL";
/// The port clients reach (the routing sidecar's, or vLLM's without it).
pub const INFERENCE_PORT: &str = "LLMDBENCH_VLLM_COMMON_INFERENCE_PORT";
/// The port vLLM listens on behind the routing sidecar.
pub const METRICS_PORT: &str = "LLMDBENCH_VLLM_COMMON_METRICS_PORT";
pub const BLOCK_SIZE: &str = "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE";
pub const AFFINITY: &str = "LLMDBENCH_VLLM_COMMON_AFFINITY";
pub const UCX_TLS: &str = "LLMDBENCH_VLLM_COMMON_UCX_TLS";
pub const UCX_SOCKADDR: &str = "LLMDBENCH_VLLM_COMMON_UCX_SOCKADDR_TLS_PRIORITY";
/// UCX's own defaults (UCX 1.10 and later), for a NIXL guide that leaves them to UCX.
pub const UCX_DEFAULTS: &[(&str, &str)] = &[(UCX_TLS, "all"), (UCX_SOCKADDR, "rdmacm,tcp")];
pub const URI_PROTOCOL: &str = "LLMDBENCH_VLLM_MODELSERVICE_URI_PROTOCOL";
pub const MODEL_CACHE_SIZE: &str = "LLMDBENCH_VLLM_COMMON_PVC_MODEL_CACHE_SIZE";
pub const INITIAL_DELAY_PROBE: &str = "LLMDBENCH_VLLM_COMMON_INITIAL_DELAY_PROBE";
pub const ROUTING_SIDECAR: &str = "LLMDBENCH_LLMD_ROUTINGSIDECAR_ENABLED";
pub const GAIE_SIDECAR: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_SIDECAR_ENABLED";
pub const PLUGINS_FILE: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE";
pub const PLUGINS_CUSTOM: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS";

// Per stage.
/// A stage's own copy of a common setting: `LLMDBENCH_VLLM_COMMON_X` -> `{STAGE_PREFIX}X`.
pub const COMMON_PREFIX: &str = "LLMDBENCH_VLLM_COMMON_";
pub const STAGE_PREFIX: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_";
pub const REPLICAS: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_REPLICAS";
pub const MODEL_COMMAND: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_MODEL_COMMAND";
pub const EXTRA_ARGS: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_EXTRA_ARGS";
pub const PREPROCESS: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_PREPROCESS";
pub const TENSOR_PARALLELISM: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_TENSOR_PARALLELISM";
pub const DATA_PARALLELISM: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_DATA_PARALLELISM";
pub const DATA_LOCAL_PARALLELISM: &str =
    "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_DATA_LOCAL_PARALLELISM";
pub const ENVVARS: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_ENVVARS_TO_YAML";
pub const SHM_MEM: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_SHM_MEM";
pub const EXTRA_VOLUMES: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_EXTRA_VOLUMES";
pub const EXTRA_VOLUME_MOUNTS: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_EXTRA_VOLUME_MOUNTS";
pub const EXTRA_CONTAINER_CONFIG: &str =
    "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_EXTRA_CONTAINER_CONFIG";
pub const ACCELERATOR_RESOURCE: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_ACCELERATOR_RESOURCE";
pub const ACCELERATOR_NR: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_ACCELERATOR_NR";
pub const CPU_NR: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_CPU_NR";
pub const CPU_MEM: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_CPU_MEM";
pub const EPHEMERAL_STORAGE: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_EPHEMERAL_STORAGE";
pub const NETWORK_RESOURCE: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_NETWORK_RESOURCE";
pub const NETWORK_NR: &str = "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_NETWORK_NR";
pub const PROBE_FAILURE_THRESHOLD: &str =
    "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_STARTUP_PROBE_FAILURE_THRESHOLD";
pub const PROBE_INITIAL_DELAY: &str =
    "LLMDBENCH_VLLM_MODELSERVICE_{STAGE}_STARTUP_PROBE_INITIAL_DELAY";

/// Container resources (other than the accelerator) -> the stage's variable. Any other
/// resource is the stage's network resource ([`NETWORK_RESOURCE`], [`NETWORK_NR`]).
pub const RESOURCES: &[(&str, &str)] = &[
    ("cpu", CPU_NR),
    ("memory", CPU_MEM),
    ("ephemeral-storage", EPHEMERAL_STORAGE),
];
