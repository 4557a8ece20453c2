//! The accelerator each stage requests and where its pods may run, as llm-d-benchmark's
//! setup code reads them (setup/functions.py of 2026-02-05 and 2026-03-30):
//!
//! - `check_accelerator` copies `LLMDBENCH_VLLM_COMMON_ACCELERATOR_RESOURCE` to the stages
//!   only when the affinity is `auto`, and `auto` looks for NVIDIA or GKE node labels (a
//!   cluster without them stops the standup); `add_resources` turns a stage's `auto`
//!   resource into `nvidia.com/gpu`. So a guide for any other accelerator sets the stage
//!   resources itself and an explicit affinity.
//! - An accelerator count of 0 makes `add_resources` request none and `add_accelerator`
//!   write `type: cpu`; an affinity on `kubernetes.io/os` adds no node constraint
//!   (`add_affinity` returns nothing for it). That is how a CPU-only stage is written
//!   (the resource `cpu` would write `cpu:` twice, see handlers.rs).

use super::rules::{ACCELERATORS, SIMULATOR_IMAGES};
use super::{Fate, Item, Mapper};
use crate::model::scenario::Value;

use super::vars::{self, AFFINITY};
/// An affinity that constrains nothing: the pods go where their resources are.
const ANY_NODE: &str = "kubernetes.io/os:linux";
const NVIDIA: &str = "nvidia.com/gpu";
/// The stage resource that setup/functions.py's add_accelerator reads as "no accelerator".
const CPU_RESOURCE: &str = "kubernetes.io/os";

/// What a guide's pods run on.
enum Device<'a> {
    /// An accelerator resource (not NVIDIA's), and the guide value that names it.
    Resource(String, Item<'a>),
    /// No accelerator: the value that says so.
    Cpu(Item<'a>, &'static str),
}

impl<'a> Mapper<'a> {
    /// The first node at `path` in any tree, as an item.
    fn find(&self, path: &str) -> Option<Item<'a>> {
        let roots: &'a [crate::read::yaml::Node] = self.roots;
        roots.iter().enumerate().find_map(|(doc, root)| {
            root.at(path).map(|node| Item {
                doc,
                key_line: None,
                node,
            })
        })
    }

    /// The stages the guide creates.
    pub(super) fn created_stages(&self) -> Vec<&'static str> {
        ["decode", "prefill"]
            .into_iter()
            .filter(|s| {
                self.created(s)
                    && self
                        .roots
                        .iter()
                        .any(|r| r.get(s).is_some_and(|n| !n.is_null()))
            })
            .collect()
    }

    fn device(&mut self) -> Option<Device<'a>> {
        if let Some(item) = self.find("accelerator.type")
            && item.node.as_str() == Some("cpu")
        {
            return Some(Device::Cpu(item, "accelerator type cpu"));
        }
        for stage in ["decode", "prefill"] {
            if let Some(item) = self.find(&format!("{stage}.containers[0].image"))
                && let Some(image) = item.node.as_str()
                && SIMULATOR_IMAGES.iter().any(|s| image.contains(s))
            {
                return Some(Device::Cpu(
                    item,
                    "the inference simulator, which needs no accelerator",
                ));
            }
        }
        // The accelerator type, DRA's device type, or an accelerator resource the
        // containers request.
        let mut candidates = vec!["accelerator.type".to_string(), "dra.type".to_string()];
        for stage in ["decode", "prefill"] {
            candidates.push(format!("{stage}.containers[0].resources.limits"));
            candidates.push(format!("{stage}.containers[0].resources.requests"));
        }
        for path in candidates {
            let Some(item) = self.find(&path) else {
                continue;
            };
            let resource = match item.node.as_map() {
                Some(entries) => entries
                    .iter()
                    .find(|e| ACCELERATORS.iter().any(|(_, r)| *r == e.key))
                    .map(|e| e.key.clone()),
                None => item.node.as_str().and_then(|t| {
                    ACCELERATORS
                        .iter()
                        .find(|(name, _)| *name == t)
                        .map(|(_, r)| (*r).to_string())
                }),
            };
            // (DRA's device type names the accelerator, requested as an extended resource
            // instead; the DRA setting itself stays reported as not expressible.)
            if let Some(resource) = resource {
                return (resource != NVIDIA).then_some(Device::Resource(resource, item));
            }
        }
        None
    }

    /// Stage accelerator resources, counts and affinity for guides that do not run on
    /// NVIDIA GPUs (NVIDIA guides keep llm-d-benchmark's `auto`).
    pub(super) fn finish_accelerator(&mut self) {
        let Some(device) = self.device() else {
            return;
        };
        let stages = self.created_stages();
        let from = match &device {
            Device::Resource(_, item) | Device::Cpu(item, _) => *item,
        };
        for stage in &stages {
            match &device {
                Device::Resource(resource, item) => {
                    let var = vars::stage(vars::ACCELERATOR_RESOURCE, stage);
                    let note = format!(
                        "the stage's own: llm-d-benchmark copies LLMDBENCH_VLLM_COMMON_ACCELERATOR_RESOURCE to the stages only with affinity auto, and requests {NVIDIA} otherwise"
                    );
                    let o = self.origin(*item);
                    self.set_derived(&var, Value::Text(resource.clone()), vec![o], Some(note));
                }
                Device::Cpu(item, why) => {
                    let var = vars::stage(vars::ACCELERATOR_NR, stage);
                    let note = format!("{why}: with a count of 0 llm-d-benchmark requests none");
                    let o = self.origin(*item);
                    self.set_derived(&var, Value::Text("0".into()), vec![o.clone()], Some(note));
                    // add_accelerator (2026-02-05) writes `type: cpu` only for this resource.
                    let var = vars::stage(vars::ACCELERATOR_RESOURCE, stage);
                    let note = "no accelerator: the label key llm-d-benchmark reads as type cpu (else it writes type nvidia)".to_string();
                    self.set_derived(&var, Value::Text(CPU_RESOURCE.into()), vec![o], Some(note));
                }
            }
        }
        if let Device::Cpu(item, why) = &device
            && why.contains("simulator")
        {
            // Step 04 downloads the model only for protocol pvc: the simulator loads none
            // (its model name need not exist on Hugging Face).
            let note = "the simulator loads no weights: with a protocol other than pvc llm-d-benchmark starts no download job".to_string();
            let o = self.origin(*item);
            self.set_derived(
                vars::URI_PROTOCOL,
                Value::Text("hf".into()),
                vec![o],
                Some(note),
            );
        }
        if !self.values.contains_key(AFFINITY) && !stages.is_empty() {
            let what = match &device {
                Device::Resource(r, _) => format!("the nodes offering {r}"),
                Device::Cpu(..) => "any node".to_string(),
            };
            let note = format!(
                "the guide selects no node label: {what}; llm-d-benchmark's auto affinity looks for NVIDIA or GKE node labels and stops on clusters without them"
            );
            let o = self.origin(from);
            self.set_derived(AFFINITY, Value::Text(ANY_NODE.into()), vec![o], Some(note));
        }
    }

    /// A pod affinity: a required node affinity on one label value is llm-d-benchmark's
    /// affinity (`key:value`); anything else cannot be passed.
    pub(super) fn affinity(&mut self, item: Item<'a>, no_pod_config: &str) {
        let Some(entries) = item.node.as_map() else {
            return self.fate(item, Fate::Unmapped(no_pod_config.into()));
        };
        for e in entries {
            let child = Item {
                doc: item.doc,
                key_line: Some(e.line),
                node: &e.value,
            };
            let one = (e.key == "nodeAffinity")
                .then(|| single_node_label(&e.value))
                .flatten();
            match one {
                Some((key, value)) => {
                    let note =
                        "required node affinity, as llm-d-benchmark's affinity (one key:value)"
                            .to_string();
                    self.set(
                        AFFINITY,
                        Value::Text(format!("{key}:{value}")),
                        &[child],
                        Some(note),
                    );
                }
                None => self.fate(child, Fate::Unmapped(no_pod_config.into())),
            }
        }
    }
}

/// `requiredDuringSchedulingIgnoredDuringExecution` with one term of one `In` expression on
/// one value, and nothing else: the label it requires.
fn single_node_label(node: &crate::read::yaml::Node) -> Option<(String, String)> {
    let map = node.as_map()?;
    if map.len() != 1 || map[0].key != "requiredDuringSchedulingIgnoredDuringExecution" {
        return None;
    }
    let terms = map[0].value.get("nodeSelectorTerms")?.as_seq()?;
    let [term] = terms else { return None };
    let exprs = term.get("matchExpressions")?.as_seq()?;
    let [expr] = exprs else { return None };
    if expr.get("operator")?.as_str()? != "In" || expr.as_map()?.len() != 3 {
        return None;
    }
    let key = expr.get("key")?.as_str()?;
    let [value] = expr.get("values")?.as_seq()? else {
        return None;
    };
    let value = value.as_str()?;
    let plain = |s: &str| !s.is_empty() && !s.contains([':', ',', ' ']);
    (plain(key) && plain(value)).then(|| (key.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::single_node_label;
    use crate::read::yaml::parse_one;

    fn label(text: &str) -> Option<(String, String)> {
        single_node_label(&parse_one("t.yaml", text).expect("yaml").root)
    }

    #[test]
    fn one_required_label_is_an_affinity_and_nothing_else_is() {
        let one = "requiredDuringSchedulingIgnoredDuringExecution:\n  nodeSelectorTerms:\n  - matchExpressions:\n    - key: gpu.nvidia.com/model\n      operator: In\n      values: [H200]\n";
        assert_eq!(
            label(one),
            Some(("gpu.nvidia.com/model".into(), "H200".into()))
        );
        // Two values, another operator, a preferred term: not one key:value.
        assert_eq!(label(&one.replace("[H200]", "[H200, H100]")), None);
        assert_eq!(label(&one.replace("operator: In", "operator: NotIn")), None);
        assert_eq!(label(&one.replace("required", "preferred")), None);
        // A value llm-d-benchmark would split.
        assert_eq!(label(&one.replace("[H200]", "[\"a:b\"]")), None);
    }
}
