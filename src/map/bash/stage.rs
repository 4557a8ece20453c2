//! Per-stage synthesis: the decode and prefill stages' command (see [`super::command`]),
//! env file, volumes, mounts and container config. These need several guide values at once,
//! so the walk collects them and this step writes them.

use std::collections::{BTreeSet, HashMap};

use super::emit::{emit, emit_entry, emit_item};
use super::rules::{APPENDED_ENV, BENCH_ENV, FRAMEWORK_ENV};
use super::vars;
use super::{Fate, Item, Mapper, refusal};
use crate::model::Sourced;
use crate::model::scenario::Value;
use crate::model::vllm::sh_word;
use crate::read::yaml::Node;
use crate::read::yaml::plain_ok;

/// The `REPLACE_ENV_` token llm-d-benchmark replaces by the variable's value.
pub(super) fn token(var: &str) -> String {
    format!("REPLACE_ENV_{var}")
}

impl<'a> Mapper<'a> {
    pub(super) fn finish_stages(&mut self) {
        for stage in ["decode", "prefill"] {
            let mut take = |suffix: &str| self.collected.remove(&format!("{stage}.{suffix}"));
            let model_command = take("containers.0.modelCommand");
            let setup = take("containers.0.scriptSetup");
            let command = take("containers.0.command");
            let args = take("containers.0.args");
            let env = take("containers.0.env");
            let volumes = take("volumes");
            let mounts = take("containers.0.volumeMounts");
            let config: Vec<(String, Item<'a>)> = self
                .container_config
                .iter()
                .filter(|(s, _, _)| *s == stage)
                .map(|(_, f, i)| (f.clone(), *i))
                .collect();
            let present: Vec<Item<'a>> =
                [model_command, setup, command, args, env, volumes, mounts]
                    .into_iter()
                    .flatten()
                    .chain(config.iter().map(|(_, i)| *i))
                    .collect();
            if present.is_empty() {
                continue;
            }
            if !self.created(stage) {
                for item in present {
                    self.fate(
                        item,
                        Fate::Unmapped(format!("the guide does not create the {stage} stage")),
                    );
                }
                continue;
            }
            self.command(stage, model_command, setup, command, args);
            if let Some(env) = env {
                self.env_file(stage, env);
            }
            self.volume_files(stage, volumes, mounts);
            self.container_config_file(stage, &config);
            self.appended_ucx(stage);
        }
    }

    /// True when setup/env.sh defines every variable of a pair (command and its args, plugins
    /// file and its content); otherwise the items are reported and nothing half is written.
    pub(super) fn knows_all(&mut self, vars: &[&str], items: &[Item<'a>]) -> bool {
        let missing: Vec<&str> = vars
            .iter()
            .copied()
            .filter(|v| !self.defaults.is_known(v))
            .collect();
        if missing.is_empty() {
            return true;
        }
        let why = format!(
            "{} defines no {}, so these values cannot be passed on",
            self.defaults.describe(),
            missing.join(" or ")
        );
        self.fates_all(items, Fate::Unmapped(why));
        false
    }

    pub(super) fn fates_all(&mut self, items: &[Item<'a>], fate: Fate) {
        for item in items {
            self.fate(*item, fate.clone());
        }
    }

    /// The stage's env list as the file llm-d-benchmark puts in the container, keeping the
    /// benchmark's own entries it replaces.
    pub(super) fn env_file(&mut self, stage: &str, env: Item<'a>) {
        let var = vars::stage(vars::ENVVARS, stage);
        if env.node.as_seq().is_none() {
            return self.fate(env, Fate::Unmapped("expected a list of env entries".into()));
        }
        let list = self.model_list(&self.stage_model(stage).env, env);
        let mut out = String::new();
        let mut present = BTreeSet::new();
        for node in list {
            let item = Item {
                doc: env.doc,
                key_line: None,
                node,
            };
            if self.refuse_tokens(item) {
                continue;
            }
            let name = node
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string();
            if let Some((_, why)) = FRAMEWORK_ENV.iter().find(|(n, _)| *n == name) {
                self.fate(item, Fate::Framework((*why).into()));
                continue;
            }
            if self.env_entry(item, &name, &mut out) {
                present.insert(name);
            }
            self.fate(item, Fate::Mapped(var.clone()));
        }
        if out.is_empty() {
            // Nothing of the guide's own is left: llm-d-benchmark's default list stays.
            return;
        }
        // This file replaces llm-d-benchmark's default env list: keep its entries.
        let missing: Vec<&(&str, &str)> = BENCH_ENV
            .iter()
            .filter(|(n, _)| !present.contains(*n))
            .collect();
        if !missing.is_empty() {
            out.push_str("# llm-d-benchmark's own entries, which this file replaces\n");
            for (name, var) in missing {
                out.push_str(&format!("- name: {name}\n  value: \"{}\"\n", token(var)));
            }
        }
        let origins = self.origins(env);
        self.set_derived(&var, Value::File(out), origins, None);
    }

    /// One env entry `name` into the file text. A name the benchmark also sets from a
    /// variable (BENCH_ENV; APPENDED_ENV where the checkout appends it) is written as that
    /// variable's token, the variable carrying the guide's value: the benchmark's own entry,
    /// which comes later, then agrees. True when the benchmark's own entry is not needed.
    fn env_entry(&mut self, item: Item<'a>, name: &str, out: &mut String) -> bool {
        let own = BENCH_ENV.iter().find(|(n, _)| *n == name);
        let appended = APPENDED_ENV
            .iter()
            .find(|(n, v)| *n == name && self.defaults.is_known(v));
        let bench_var = appended.or(own).map(|(_, v)| *v);
        // A value that cannot be exported (see `refusal`) stays in the file as it is.
        let value = item.node.entry("value").filter(|e| {
            e.value
                .as_scalar()
                .is_some_and(|s| bench_var.is_some_and(|var| refusal(var, &s.value).is_none()))
        });
        let (Some(bench_var), Some(value)) = (bench_var, value) else {
            out.push_str(&emit_item(item.node, &|_| None));
            // Written as the guide has it: the benchmark's own entry is not added.
            return own.is_some();
        };
        let value_item = Item {
            doc: item.doc,
            key_line: Some(value.line),
            node: &value.value,
        };
        let text = value
            .value
            .as_scalar()
            .map(|s| s.value.clone())
            .unwrap_or_default();
        self.set(bench_var, Value::Text(text), &[value_item], None);
        out.push_str(&format!(
            "- name: {name}\n  value: \"{}\"\n",
            token(bench_var)
        ));
        true
    }

    pub(super) fn volume_files(
        &mut self,
        stage: &str,
        volumes: Option<Item<'a>>,
        mounts: Option<Item<'a>>,
    ) {
        let shm_var = vars::stage(vars::SHM_MEM, stage);
        let model = self.stage_model(stage);
        let shm_names: Vec<String> = mounts
            .map(|m| self.model_list(&model.mounts, m))
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.get("mountPath").and_then(|p| p.as_str()) == Some("/dev/shm"))
            .filter_map(|m| m.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect();
        if let Some(volumes) = volumes {
            let mut tokens: HashMap<usize, String> = HashMap::new();
            for v in self.model_list(&model.volumes, volumes) {
                let name = v.get("name").and_then(|n| n.as_str()).unwrap_or_default();
                let memory = v.at("emptyDir.medium").and_then(|m| m.as_str()) == Some("Memory");
                if !(memory
                    && (shm_names.iter().any(|n| n == name) || name == "dshm" || name == "shm"))
                {
                    continue;
                }
                if let Some(size) = v.get("emptyDir").and_then(|e| e.entry("sizeLimit")) {
                    let item = Item {
                        doc: volumes.doc,
                        key_line: Some(size.line),
                        node: &size.value,
                    };
                    // A token only for a plain word (the token sits unquoted in YAML).
                    if let Some(text) = size
                        .value
                        .as_str()
                        .filter(|t| sh_word(t) == *t && plain_ok(t))
                        .map(str::to_string)
                    {
                        self.set(&shm_var, Value::Text(text), &[item], None);
                        tokens.insert(size.value.id, token(&shm_var));
                    }
                }
            }
            let var = vars::stage(vars::EXTRA_VOLUMES, stage);
            self.list_file(&var, volumes, &model.volumes, &|id| {
                tokens.get(&id).cloned()
            });
        }
        if let Some(mounts) = mounts {
            let var = vars::stage(vars::EXTRA_VOLUME_MOUNTS, stage);
            self.list_file(&var, mounts, &model.mounts, &|_| None);
        }
    }

    /// The entries of a list the model holds (`Stage::env`, `volumes`, `volumeMounts`), when
    /// it read them from `list`'s node (the same nodes, by source and id); another tree's
    /// copy of the list is read from its own node.
    pub(super) fn model_list(&self, field: &'a [Sourced<Node>], list: Item<'a>) -> Vec<&'a Node> {
        let own = list.node.as_seq().unwrap_or_default();
        let same = own.len() == field.len()
            && own
                .iter()
                .zip(field)
                .all(|(n, f)| (n.src, n.id) == (f.value.src, f.value.id));
        if same {
            field.iter().map(|f| &f.value).collect()
        } else {
            own.iter().collect()
        }
    }

    /// A YAML list file of the guide's items (the model's `field`, see
    /// [`Mapper::model_list`]), but those refused (see [`Mapper::refuse_tokens`]).
    pub(super) fn list_file(
        &mut self,
        var: &str,
        list: Item<'a>,
        field: &'a [Sourced<Node>],
        token: &dyn Fn(usize) -> Option<String>,
    ) {
        let items = self.model_list(field, list);
        let text = match list.node.as_seq() {
            Some(_) if !items.is_empty() => {
                let mut text = String::new();
                for node in items {
                    let item = Item {
                        doc: list.doc,
                        key_line: None,
                        node,
                    };
                    if !self.refuse_tokens(item) {
                        text.push_str(&emit_item(node, token));
                    }
                }
                text
            }
            _ if self.refuse_tokens(list) => return,
            _ => emit(list.node, token),
        };
        self.fate(list, Fate::Mapped(var.to_string()));
        if text.is_empty() {
            return;
        }
        let origins = self.origins(list);
        self.set_derived(var, Value::File(text), origins, None);
    }

    pub(super) fn container_config_file(&mut self, stage: &str, fields: &[(String, Item<'a>)]) {
        if fields.is_empty() {
            return;
        }
        let var = vars::stage(vars::EXTRA_CONTAINER_CONFIG, stage);
        let mut text = String::new();
        let mut origins = Vec::new();
        for (field, item) in fields {
            if self.refuse_tokens(*item) {
                continue;
            }
            if field == "extraConfig" {
                for e in item.node.as_map().unwrap_or_default() {
                    text.push_str(&emit_entry(&e.key, &e.value, &|_| None));
                }
            } else {
                text.push_str(&emit_entry(field, item.node, &|_| None));
            }
            self.fate(*item, Fate::Mapped(var.clone()));
            origins.extend(self.origins(*item));
        }
        if !text.is_empty() {
            self.set_derived(&var, Value::File(text), origins, None);
        }
    }

    /// A stage that transfers KV with NIXL but leaves UCX's transports to UCX. A checkout
    /// that appends `UCX_TLS` to every pod (2026-03-30) would hold NIXL to its own default
    /// list (no RDMA), so the scenario sets UCX's own defaults instead
    /// ([`vars::UCX_DEFAULTS`]). Cited: the stage's command, whose NixlConnector is the reason.
    pub(super) fn appended_ucx(&mut self, stage: &str) {
        if !self.defaults.is_known(vars::UCX_TLS) || self.values.contains_key(vars::UCX_TLS) {
            return;
        }
        let args = vars::stage(vars::EXTRA_ARGS, stage);
        let origins = match self.exports.iter().find(|e| e.var == args) {
            Some(e) => match &e.value {
                Value::Command(lines) if lines.iter().any(|l| l.contains("NixlConnector")) => {
                    e.origins.clone()
                }
                _ => return,
            },
            None => return,
        };
        for &(var, value) in vars::UCX_DEFAULTS {
            if self.defaults.is_known(var) && !self.values.contains_key(var) {
                self.set_derived(
                    var,
                    Value::Text(value.into()),
                    origins.clone(),
                    Some(format!(
                        "{stage} transfers KV with NIXL and the guide leaves UCX's transports to UCX: this is UCX's own default, which {} would otherwise replace by its own list",
                        self.defaults.describe()
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exported_values_are_inert() {
        use super::super::refusal;
        assert_eq!(
            refusal("LLMDBENCH_DEPLOY_MODEL_LIST", "Qwen/Qwen3-0.6B"),
            None
        );
        assert_eq!(refusal("LLMDBENCH_WVA_CHART_VERSION", "~0.5.0"), None);
        assert_eq!(refusal("X", ""), None);
        for bad in [
            "a b", "$(id)", "x;y", "a\nb", "'", "\"", "\\", "`", "a#b", "{a}", "é",
        ] {
            assert!(refusal("X", bad).is_some(), "{bad:?}");
        }
        assert!(refusal("X", "~root").is_some());
        assert!(
            refusal("X", "REPLACE_ENV_LLMDBENCH_HF_TOKEN")
                .is_some_and(|w| w.contains("REPLACE_ENV_"))
        );
    }
}
