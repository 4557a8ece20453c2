//! The sweep parameters convert-guide knows, as one table: the friendly name a user types,
//! the `LLMDBENCH_*` variable the bash target sets, the key path(s) the v2 (YAML) target
//! sets, and the type and range every level must have.
//!
//! Bash variables exist in llm-d-benchmark's setup/env.sh (February 2026); v2 key paths
//! exist in `config/templates/values/defaults.yaml` of the 2026-05-01 tree (tests check
//! both against the corpus).

/// What a level of a parameter must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// A decimal number with `min < v <= max` (`min` exclusive) .
    Fraction { above: f64, max: f64 },
    /// A Kubernetes quantity above zero (`4`, `500m`, `16Gi`).
    Quantity,
    /// A plain file name: no folder, no `..`.
    FileName,
    /// A model id (`org/name`): no comma or colon, which the benchmark splits on.
    Model,
}

impl Kind {
    /// The kind as a phrase: "a whole number from 1 to 4096".
    pub fn describe(&self) -> String {
        match self {
            Kind::Int { min, max } if *max == i64::MAX => format!("a whole number >= {min}"),
            Kind::Int { min, max } => format!("a whole number from {min} to {max}"),
            Kind::Fraction { above, max } => format!("a number above {above} and at most {max}"),
            Kind::Quantity => "a Kubernetes quantity above zero, such as 4, 500m or 16Gi".into(),
            Kind::FileName => "a plain file name (no folder, no `..`)".into(),
            Kind::Model => "a model id without commas or colons".into(),
        }
    }

    /// Whether `v` is a valid level.
    pub fn accepts(&self, v: &str) -> bool {
        match self {
            Kind::Int { min, max } => v
                .strip_prefix('+')
                .unwrap_or(v)
                .parse::<i64>()
                .is_ok_and(|n| n >= *min && n <= *max && !v.starts_with('+')),
            Kind::Fraction { above, max } => {
                is_decimal(v)
                    && v.parse::<f64>()
                        .is_ok_and(|n| n.is_finite() && n > *above && n <= *max)
            }
            Kind::Quantity => is_quantity(v),
            Kind::FileName => {
                !v.is_empty()
                    && v != "."
                    && v != ".."
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            }
            Kind::Model => {
                !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
            }
        }
    }

    /// Whether the v2 target writes the level as a YAML number (else a quoted string).
    pub fn numeric(&self) -> bool {
        matches!(self, Kind::Int { .. } | Kind::Fraction { .. })
    }
}

/// Digits with at most one decimal point (no sign, no exponent).
fn is_decimal(v: &str) -> bool {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(v.contains('.') && frac.is_empty())
}

/// `4`, `0.5`, `500m`, `16Gi`, `1e3`: a positive Kubernetes quantity.
fn is_quantity(v: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E", "",
    ];
    let digits_end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, suffix) = v.split_at(digits_end);
    let suffix_ok = SUFFIXES.contains(&suffix)
        || suffix
            .strip_prefix(['e', 'E'])
            .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    is_decimal(number) && suffix_ok && number.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// One known parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parameter {
    /// What the user types (`decode_replicas`; `-` for `_` and any case also match).
    pub name: &'static str,
    /// The variable the bash target's experiment sets.
    pub variable: &'static str,
    /// The key paths a v2 setup treatment sets (all to the level); empty when v2 has no
    /// single place for it.
    pub keys: &'static [&'static str],
    /// Why `keys` is empty.
    pub no_key: &'static str,
    pub kind: Kind,
}

const COUNT: Kind = Kind::Int {
    min: 1,
    max: 65_536,
};
const REPLICAS: Kind = Kind::Int { min: 1, max: 4096 };
const TOKENS: Kind = Kind::Int {
    min: 1,
    max: 1 << 30,
};

const NO_SHM: &str = "the 2026-05-01 templates read no shared-memory size (only resource presets hold one); the scenario's `dshm` volume sets it";

/// Every known parameter, in the order help lists them.
pub const PARAMETERS: &[Parameter] = &[
    p(
        "decode_replicas",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS",
        &["decode.replicas"],
        REPLICAS,
    ),
    p(
        "prefill_replicas",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS",
        &["prefill.replicas"],
        Kind::Int { min: 0, max: 4096 },
    ),
    p(
        "decode_tensor_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM",
        &["decode.parallelism.tensor"],
        COUNT,
    ),
    p(
        "prefill_tensor_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_TENSOR_PARALLELISM",
        &["prefill.parallelism.tensor"],
        COUNT,
    ),
    p(
        "decode_data_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_PARALLELISM",
        &["decode.parallelism.data"],
        COUNT,
    ),
    p(
        "prefill_data_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_DATA_PARALLELISM",
        &["prefill.parallelism.data"],
        COUNT,
    ),
    p(
        "decode_data_local_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_LOCAL_PARALLELISM",
        &["decode.parallelism.dataLocal"],
        COUNT,
    ),
    p(
        "prefill_data_local_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_DATA_LOCAL_PARALLELISM",
        &["prefill.parallelism.dataLocal"],
        COUNT,
    ),
    p(
        "decode_num_workers",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_NUM_WORKERS_PARALLELISM",
        &["decode.parallelism.workers"],
        COUNT,
    ),
    p(
        "prefill_num_workers",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_NUM_WORKERS_PARALLELISM",
        &["prefill.parallelism.workers"],
        COUNT,
    ),
    p(
        "max_model_len",
        "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
        &["model.maxModelLen"],
        TOKENS,
    ),
    p(
        "block_size",
        "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE",
        &["model.blockSize"],
        Kind::Int { min: 1, max: 1024 },
    ),
    p(
        "gpu_memory_utilization",
        "LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL",
        &["model.gpuMemoryUtilization"],
        Kind::Fraction {
            above: 0.0,
            max: 1.0,
        },
    ),
    p(
        "max_num_batched_tokens",
        "LLMDBENCH_VLLM_COMMON_MAX_NUM_BATCHED_TOKENS",
        &["model.maxNumBatchedTokens"],
        TOKENS,
    ),
    p(
        "max_num_seqs",
        "LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQ",
        &["model.maxNumSeq"],
        TOKENS,
    ),
    p(
        "num_cpu_blocks",
        "LLMDBENCH_VLLM_COMMON_NUM_CPU_BLOCKS",
        &["vllmCommon.kvTransfer.extraConfig.num_cpu_blocks"],
        TOKENS,
    ),
    p(
        "gaie_plugins",
        "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE",
        &["inferenceExtension.pluginsConfigFile"],
        Kind::FileName,
    ),
    Parameter {
        name: "model",
        variable: "LLMDBENCH_DEPLOY_MODEL_LIST",
        keys: &[],
        no_key: "a v2 model is its name, path and Hugging Face id set together; convert one scenario per model instead",
        kind: Kind::Model,
    },
    p(
        "decode_cpu_nr",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_NR",
        &[
            "decode.resources.limits.cpu",
            "decode.resources.requests.cpu",
        ],
        Kind::Quantity,
    ),
    p(
        "decode_cpu_mem",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_MEM",
        &[
            "decode.resources.limits.memory",
            "decode.resources.requests.memory",
        ],
        Kind::Quantity,
    ),
    p(
        "prefill_cpu_nr",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_CPU_NR",
        &[
            "prefill.resources.limits.cpu",
            "prefill.resources.requests.cpu",
        ],
        Kind::Quantity,
    ),
    p(
        "prefill_cpu_mem",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_CPU_MEM",
        &[
            "prefill.resources.limits.memory",
            "prefill.resources.requests.memory",
        ],
        Kind::Quantity,
    ),
    Parameter {
        name: "decode_shm_mem",
        variable: "LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM",
        keys: &[],
        no_key: NO_SHM,
        kind: Kind::Quantity,
    },
    Parameter {
        name: "prefill_shm_mem",
        variable: "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_SHM_MEM",
        keys: &[],
        no_key: NO_SHM,
        kind: Kind::Quantity,
    },
    p(
        "replicas",
        "LLMDBENCH_VLLM_COMMON_REPLICAS",
        &["standalone.replicas"],
        REPLICAS,
    ),
    p(
        "tensor_parallelism",
        "LLMDBENCH_VLLM_COMMON_TENSOR_PARALLELISM",
        &["standalone.parallelism.tensor"],
        COUNT,
    ),
];

const fn p(
    name: &'static str,
    variable: &'static str,
    keys: &'static [&'static str],
    kind: Kind,
) -> Parameter {
    Parameter {
        name,
        variable,
        keys,
        no_key: "",
        kind,
    }
}

/// The parameter a name refers to: its friendly name (any case, `-` for `_`), its bash
/// variable, or one of its v2 key paths.
pub fn lookup(name: &str) -> Option<&'static Parameter> {
    let t = name.trim();
    let wanted = t.to_ascii_lowercase().replace('-', "_");
    PARAMETERS
        .iter()
        .find(|p| p.name == wanted || p.variable == t || p.keys.contains(&t))
}

/// The levels of `parameter` that its kind refuses, if it is a known parameter.
pub fn bad_levels<'l>(
    parameter: &str,
    levels: &'l [String],
) -> Option<(&'static Parameter, Vec<&'l str>)> {
    let p = lookup(parameter)?;
    let bad: Vec<&str> = levels
        .iter()
        .map(String::as_str)
        .filter(|v| *v != "NA" && !p.kind.accepts(v))
        .collect();
    (!bad.is_empty()).then_some((p, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let int = Kind::Int { min: 1, max: 8 };
        for ok in ["1", "8", "4"] {
            assert!(int.accepts(ok), "{ok}");
        }
        for bad in ["0", "9", "-1", "abc", "1.5", "1.0", "", "+2", " 1", "0x1"] {
            assert!(!int.accepts(bad), "{bad}");
        }
        let frac = Kind::Fraction {
            above: 0.0,
            max: 1.0,
        };
        for ok in ["0.5", "1", "1.0", "0.95", "0.05"] {
            assert!(frac.accepts(ok), "{ok}");
        }
        for bad in [
            "0", "5", "1.01", "-0.5", "nan", "inf", "1e-1", ".5", "0.", "x",
        ] {
            assert!(!frac.accepts(bad), "{bad}");
        }
        for ok in ["4", "500m", "16Gi", "0.5", "1e3", "100M"] {
            assert!(Kind::Quantity.accepts(ok), "{ok}");
        }
        for bad in ["0", "0Gi", "-1", "Gi", "16GB", "abc", "1.2.3", ""] {
            assert!(!Kind::Quantity.accepts(bad), "{bad}");
        }
        assert!(Kind::FileName.accepts("plugins-v2.yaml"));
        for bad in ["../x", "/root/.kube/config", "a/b", "..", ""] {
            assert!(!Kind::FileName.accepts(bad), "{bad}");
        }
        assert!(Kind::Model.accepts("meta-llama/Llama-3.1-8B"));
        assert!(!Kind::Model.accepts("a:b") && !Kind::Model.accepts("a,b"));
    }

    #[test]
    fn lookups_by_name_variable_and_key() {
        let l = |s: &str| lookup(s).map(|p| p.name);
        assert_eq!(l("Decode-Replicas"), Some("decode_replicas"));
        assert_eq!(
            l("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
            Some("decode_replicas")
        );
        assert_eq!(l("decode.replicas"), Some("decode_replicas"));
        assert_eq!(l("decode.resources.requests.cpu"), Some("decode_cpu_nr"));
        assert_eq!(l("question_len"), None);
    }

    #[test]
    fn every_parameter_has_a_key_or_a_reason_and_accepts_something() {
        for p in PARAMETERS {
            assert_ne!(p.keys.is_empty(), p.no_key.is_empty(), "{}", p.name);
            let sample = match p.kind {
                Kind::Int { min, .. } => min.max(1).to_string(),
                Kind::Fraction { max, .. } => max.to_string(),
                Kind::Quantity => "1Gi".into(),
                Kind::FileName => "a.yaml".into(),
                Kind::Model => "org/m".into(),
            };
            assert!(p.kind.accepts(&sample), "{} {sample}", p.name);
        }
    }

    #[test]
    fn v2_keys_exist_in_the_2026_05_01_defaults() {
        let path =
            "../shared/corpus/llm-d-benchmark/2026-05-01/config/templates/values/defaults.yaml";
        let text = std::fs::read_to_string(path).expect("the corpus defaults.yaml");
        let doc = crate::read::yaml::parse_one(path, &text).expect("defaults parse");
        // Keys the defaults leave commented out (optional in the templates).
        const OPTIONAL: &[&str] = &[
            "model.maxNumBatchedTokens",
            "model.maxNumSeq",
            "vllmCommon.kvTransfer.extraConfig.num_cpu_blocks",
        ];
        for p in PARAMETERS {
            for key in p.keys {
                if OPTIONAL.contains(key) {
                    let parent = key.rsplit_once('.').map_or("", |(a, _)| a);
                    let root = parent.split('.').next().unwrap_or_default();
                    assert!(doc.root.get(root).is_some(), "{key}");
                    continue;
                }
                assert!(
                    doc.root.at(key).is_some(),
                    "{} -> {key} not in defaults",
                    p.name
                );
            }
        }
    }

    #[test]
    fn docs_list_every_parameter_as_the_table_has_it() {
        let docs = std::fs::read_to_string("docs/experiments.md").expect("docs/experiments.md");
        for p in PARAMETERS {
            let row = docs
                .lines()
                .find(|l| l.starts_with(&format!("| {} | ", p.name)))
                .unwrap_or_else(|| panic!("{} has no row in docs/experiments.md", p.name));
            assert!(row.contains(p.variable), "{row}");
            for k in p.keys {
                assert!(row.contains(k), "{row}");
            }
        }
    }
}
