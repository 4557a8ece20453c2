//! The sidecars: llm-d's routing sidecar in front of the decode servers, and the EPP's
//! verbosity and tokenizer sidecar.

use super::rules::UDS_TOKENIZER_IMAGE;
use super::{Fate, Item, Mapper};
use crate::model::scenario::Value;

use super::vars::{GAIE_SIDECAR, ROUTING_SIDECAR};

impl<'a> Mapper<'a> {
    /// True when the guide has no routing sidecar and the checkout can leave it out: vLLM of
    /// the decode stage then listens on the inference port itself.
    pub(super) fn routing_sidecar_off(&self) -> bool {
        self.defaults.is_known(ROUTING_SIDECAR)
            && self.dep.networking.proxy.enabled.as_ref().map(|e| e.value) == Some(false)
    }

    pub(super) fn routing_sidecar(&mut self, item: Item<'a>, var: &str) {
        let enabled = self
            .typed(&self.dep.networking.proxy.enabled, item)
            .copied();
        let Some(enabled) = enabled.or_else(|| item.node.as_bool()) else {
            return self.fate(item, Fate::Unmapped("expected true or false".into()));
        };
        if self.defaults.is_known(var) {
            let note = (!enabled).then(|| {
                "no routing sidecar: vLLM of the decode stage listens on the inference port itself"
                    .to_string()
            });
            self.set(var, Value::Text(enabled.to_string()), &[item], note);
        } else {
            if !enabled {
                // The pods serve as the guide's do, but every request takes one more hop
                // than the guide's: a latency benchmark must know.
                let o = self.origin(item);
                self.warn(format!(
                    "{}:{}: the guide runs no routing sidecar, but {} defines no {var}: llm-d-benchmark puts its sidecar in front of vLLM, one more hop per request",
                    o.file,
                    o.first,
                    self.defaults.describe()
                ));
            }
            self.fate(
                item,
                Fate::Framework(
                    "llm-d-benchmark always deploys its routing sidecar: it listens on the inference port and forwards to vLLM on the metrics port".into(),
                ),
            );
        }
    }

    pub(super) fn epp_verbosity(&mut self, item: Item<'a>, var: &str) {
        let flag = self.dep.router.flags.iter().find(|(k, _)| k == "v");
        let field = flag.map(|(_, v)| v.clone());
        let Some(level) = self.text_of(&field, item) else {
            return self.fate(item, Fate::Unmapped("expected a number".into()));
        };
        if self.defaults.is_known(var) {
            return self.set(var, Value::Text(level), &[item], None);
        }
        let why = format!(
            "not expressible: {} defines no {var}, and no other setting passes EPP flags on",
            self.defaults.describe()
        );
        let o = self.origin(item);
        self.warn(format!(
            "{}:{}: the EPP's log verbosity {level} is not carried: {why}",
            o.file, o.first
        ));
        self.fate(item, Fate::Unmapped(why));
    }

    /// The EPP's tokenizer sidecar (`inferenceExtension.sidecar`) and the socket volume it
    /// shares with the EPP (`inferenceExtension.volumes`, `.volumeMounts`): llm-d-benchmark
    /// deploys its own (container `tokenizer-uds`, volume `tokenizer-uds` at /tmp/tokenizer)
    /// where setup/env.sh has LLMDBENCH_VLLM_MODELSERVICE_GAIE_SIDECAR_ENABLED.
    pub(super) fn gaie_sidecar(&mut self, path: &str, item: Item<'a>) {
        const OWN: &str = "llm-d-benchmark configures its tokenizer sidecar itself (container tokenizer-uds, socket volume tokenizer-uds at /tmp/tokenizer)";
        if !self.defaults.is_known(GAIE_SIDECAR) {
            let why = format!(
                "not expressible: {} defines no {GAIE_SIDECAR}: the EPP gets no tokenizer sidecar",
                self.defaults.describe()
            );
            if path.ends_with(".sidecar")
                && item.node.get("enabled").and_then(|n| n.as_bool()) == Some(true)
            {
                let o = self.origin(item);
                self.warn(format!(
                    "{}:{}: the guide's EPP tokenizer sidecar is not deployed ({why}); a scheduler plugin that tokenizes over its socket will fail",
                    o.file, o.first
                ));
            }
            return self.fate(item, Fate::Unmapped(why));
        }
        let Some(children) = item.node.as_map().map(|m| {
            m.iter()
                .map(|e| {
                    (
                        e.key.clone(),
                        Item {
                            doc: item.doc,
                            key_line: Some(e.line),
                            node: &e.value,
                        },
                    )
                })
                .collect::<Vec<_>>()
        }) else {
            // volumes / volumeMounts: only the sidecar's socket volume has a place.
            for node in item.node.as_seq().unwrap_or_default() {
                let child = Item {
                    doc: item.doc,
                    key_line: None,
                    node,
                };
                let ours = node.get("name").and_then(|n| n.as_str()) == Some("tokenizer-uds")
                    && node
                        .get("mountPath")
                        .is_none_or(|p| p.as_str() == Some("/tmp/tokenizer"));
                let fate = if ours {
                    Fate::Framework(OWN.into())
                } else {
                    Fate::Unmapped(
                        "not expressible: llm-d-benchmark gives the EPP only its tokenizer sidecar's volume".into(),
                    )
                };
                self.fate(child, fate);
            }
            return;
        };
        for (key, child) in children {
            match key.as_str() {
                "enabled" => self.boolean(child, GAIE_SIDECAR, ["True", "False"]),
                "image" => {
                    // (The model keeps the EPP's sidecars as nodes: no typed field.)
                    let reference = child.node.as_str().map(str::to_string);
                    self.image(child, reference, &UDS_TOKENIZER_IMAGE)
                }
                _ => self.fate(child, Fate::Framework(OWN.into())),
            }
        }
    }
}
