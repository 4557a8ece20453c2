//! Citations point at the value (issue 10, requirement 4): for every export of every corpus
//! conversion (Helm guides, their variants and values files; kustomize overlays), the cited
//! lines contain the line that holds the exported value.

use convert_guide::model::scenario::Value;

use crate::common::{self, Case};

/// Guide spellings that produce a value the mapping derives rather than copies.
const DERIVED: &[(&str, &[&str])] = &[
    // PyBool and Switch handlers, `create: false`.
    ("True", &["true"]),
    ("False", &["false"]),
    ("1", &["true"]),
    ("0", &["false"]),
    // Accelerator types and the resources the chart maps them to.
    ("nvidia.com/gpu", &["nvidia"]),
    ("gpu.intel.com/i915", &["i915"]),
    ("gpu.intel.com/xe", &["xe"]),
    ("habana.ai/gaudi", &["gaudi"]),
    ("amd.com/gpu", &["amd"]),
    ("google.com/tpu", &["google", "tpu"]),
    // Every way of launching vLLM becomes the benchmark's custom command.
    (
        "custom",
        &["vllmServe", "imageDefault", "vllm serve", "\"vllm\""],
    ),
    // A LeaderWorkerSet is the chart's multinode.
    ("true", &["LeaderWorkerSet"]),
    // An image without a registry is pulled from Docker Hub.
    ("docker.io", &["image:", "value:"]),
    // Gateway classes llm-d-benchmark cannot install become one it does (issue 10).
    ("kgateway", &["agentgateway"]),
    // Stages without an NVIDIA/GKE node label (other accelerators, CPU, the simulator) get an
    // affinity that places no constraint instead of `auto`, and CPU/simulator stages request
    // no accelerator (issue 10).
    (
        "kubernetes.io/os:linux",
        &[
            "intel-i915",
            "intel-xe",
            "intel-gaudi",
            "amd",
            "cpu",
            "inference-sim",
        ],
    ),
    ("kubernetes.io/os", &["cpu", "inference-sim"]),
    ("0", &["cpu", "inference-sim"]),
    // The simulator loads no weights: no download job (issue 10).
    ("hf", &["inference-sim"]),
];

/// The scalar a cited line holds: after `key:` or `- `, unquoted, without a comment.
fn token(line: &str) -> &str {
    let t = line.trim_start().trim_start_matches("- ");
    let t = t.split_once(": ").map_or(t, |(_, v)| v);
    let t = t.split(" #").next().unwrap_or(t).trim();
    t.trim_matches(['"', '\''])
}

/// The guide values a written file holds: scalars after `key: ` or `- ` that are not the
/// benchmark's own (`REPLACE_ENV_` tokens, comments, the entries it adds itself).
fn file_values(content: &str) -> Vec<String> {
    let own = content
        .find("\n# llm-d-benchmark's own entries")
        .unwrap_or(content.len());
    content[..own]
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(token)
        .filter(|t| t.len() > 1 && !t.contains("REPLACE_ENV_") && !t.ends_with(':') && *t != "|")
        .map(str::to_string)
        .collect()
}

/// Whether the cited lines hold the value: its text (or a part of it, for values split
/// into host and port, registry and tag...), a token the value was built from (a plugin
/// file the scenario renames), or a guide spelling the value is derived from.
fn holds(cited: &[&str], value: &str) -> bool {
    let parts =
        std::iter::once(value).chain(value.split([':', '/', ',', '=']).filter(|p| p.len() > 1));
    let derived = DERIVED
        .iter()
        .filter(|(v, _)| *v == value)
        .flat_map(|(_, s)| s.iter().copied());
    // A number the pod's shell computes (`$((A * B))`) is cited at the expression; a probe
    // budget (initial delay + period x failure threshold) at the probe that sets its parts.
    let number = value.parse::<i64>().is_ok();
    let computed = number
        && (cited.iter().any(|l| l.contains("$(("))
            || ["initialDelaySeconds", "periodSeconds", "failureThreshold"]
                .iter()
                .all(|k| cited.iter().any(|l| l.contains(k))));
    computed
        || parts
            .chain(derived)
            .any(|p| cited.iter().any(|l| l.contains(p)))
        || cited.iter().any(|l| {
            let t = token(l);
            t.len() > 2 && value.contains(t)
        })
}

/// The exports whose citations hold none of the value's spellings: `(label, var, value,
/// cited lines)`.
fn violations(case: &Case, scenario: &convert_guide::model::scenario::Scenario) -> Vec<String> {
    let mut out = Vec::new();
    for e in &scenario.exports {
        if e.origins.is_empty() {
            continue;
        }
        let cited: Vec<&str> = e
            .origins
            .iter()
            .flat_map(|o| o.lines.iter().map(String::as_str))
            .collect();
        let values: Vec<String> = match &e.value {
            Value::Text(v) => vec![v.clone()],
            // A file the scenario writes: each value it copies from the guide.
            Value::File(content) => file_values(content),
            _ => continue,
        };
        for value in values.into_iter().filter(|v| !holds(&cited, v)) {
            out.push(format!(
                "{}: {}={value} cites {}",
                case.label,
                e.var,
                e.origins
                    .iter()
                    .map(|o| format!("{}:{}-{} {:?}", o.file, o.first, o.last, o.lines))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ));
        }
    }
    out
}

#[test]
fn every_citation_holds_the_exported_value() {
    let mut cases = common::corpus_cases();
    cases.extend(common::kustomize_cases());
    let (mut total, mut bad) = (0, Vec::new());
    for case in &cases {
        let conv = common::convert_case(case);
        total += conv
            .scenario
            .exports
            .iter()
            .filter(|e| !e.origins.is_empty() && matches!(e.value, Value::Text(_)))
            .count();
        bad.extend(violations(case, &conv.scenario));
    }
    eprintln!(
        "citations: {} of {total} exports cite lines without their value",
        bad.len()
    );
    for b in &bad {
        eprintln!("  {b}");
    }
    assert!(
        total > 800,
        "the corpus gives {total} exports with citations"
    );
    assert!(bad.is_empty(), "{} violations (see above)", bad.len());
}

/// The check itself: a citation of a neighbouring line (a flag's key without its value, a
/// sibling key) is a violation; the value's line, a derived spelling or a source token is not.
#[test]
fn the_check_tells_a_neighbour_from_the_value() {
    assert!(holds(
        &["        - \"--max-model-len\"", "        - \"8192\""],
        "8192"
    ));
    assert!(!holds(&["        - \"--max-model-len\""], "8192"));
    assert!(!holds(&["  replicas: 2"], "3"));
    assert!(holds(&["  type: nvidia"], "nvidia.com/gpu"));
    assert!(holds(&["      modelCommand: vllmServe"], "custom"));
    assert!(holds(
        &["  pluginsConfigFile: \"pd-config.yaml\""],
        "pd-pd-config.yaml"
    ));
    assert!(!holds(&["  create: true"], "0"));
    assert!(holds(&["  create: false"], "0"));
}
