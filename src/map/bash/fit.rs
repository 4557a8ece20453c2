//! What a deployment needs so that llm-d-benchmark's defaults do not change the guide's
//! stack: no stage the guide lacks, no CPU limit it does not set, a model volume the model
//! fits in, and a startup probe that waits as long as the guide's.

use super::rules::BEHAVIOUR_WARNINGS;
use super::vars;
use super::{Item, Mapper};
use crate::bench::defaults::DefaultValue;
use crate::model::scenario::Value;

/// llm-d-benchmark's startup probe checks every 30 s (setup/steps/09, both eras).
const PROBE_PERIOD: u64 = 30;
/// 2026-02-05 fixes the failure threshold at 60.
const FIXED_THRESHOLD: u64 = 60;

impl<'a> Mapper<'a> {
    pub(super) fn finish_fit(&mut self) {
        self.absent_stages();
        let stages = self.created_stages();
        for stage in &stages {
            self.cpu_without_limit(stage);
            self.startup_budget(stage);
        }
        self.model_volume(&stages);
        self.one_image(&stages);
        self.behaviour_warnings();
    }

    /// llm-d-benchmark runs one vLLM image (LLMDBENCH_LLMD_IMAGE_*) in both stages
    /// (`Stage::image`).
    fn one_image(&mut self, stages: &[&str]) {
        let images: Vec<&crate::model::Sourced<String>> = stages
            .iter()
            .filter_map(|s| self.stage_model(s).image.as_ref())
            .collect();
        if let [first, second] = images.as_slice()
            && first.value != second.value
        {
            self.warn(format!(
                "{}:{}: the prefill image {} differs from the decode image; llm-d-benchmark runs one image in both stages ({})",
                second.origin.file, second.origin.first, second.value, first.value
            ));
        }
    }

    /// Warnings for guide values whose loss changes what is measured (rules::BEHAVIOUR_WARNINGS).
    fn behaviour_warnings(&mut self) {
        for (path, message) in BEHAVIOUR_WARNINGS {
            let Some(item) = self.item_at(path) else {
                continue;
            };
            let Some(value) = item.node.as_str() else {
                continue;
            };
            if item.node.as_bool() == Some(false)
                || matches!(
                    value.to_ascii_lowercase().as_str(),
                    "false" | "0" | "no" | "off"
                )
            {
                continue;
            }
            let o = self.origin(item);
            let text = message.replace("{value}", &crate::error::excerpt(value, 60));
            self.warn(format!("{}:{}: {text}", o.file, o.first));
        }
    }

    fn number_default(&self, var: &str) -> Option<u64> {
        match self.defaults.get(var)? {
            DefaultValue::Value(v) => v.trim().parse().ok(),
            DefaultValue::Dynamic(_) => None,
        }
    }

    fn item_at(&self, path: &str) -> Option<Item<'a>> {
        let roots: &'a [crate::read::yaml::Node] = self.roots;
        roots.iter().enumerate().find_map(|(doc, r)| {
            r.at(path).map(|node| Item {
                doc,
                key_line: None,
                node,
            })
        })
    }

    /// A guide without a prefill stage (a kustomize guide with one Deployment) gets none:
    /// llm-d-benchmark's default is one replica.
    fn absent_stages(&mut self) {
        let has_model_server = self.roots.iter().any(|r| r.get("decode").is_some());
        if !has_model_server {
            return;
        }
        if self.roots.iter().all(|r| r.get("prefill").is_none()) {
            let var = &vars::stage(vars::REPLICAS, "prefill");
            if !self.values.contains_key(var) && self.defaults.is_known(var) {
                self.set_derived(
                    var,
                    Value::Text("0".into()),
                    Vec::new(),
                    Some("the guide has no prefill stage".into()),
                );
            }
        }
    }

    /// A container with resources but no CPU limit: llm-d-benchmark sets the CPU request and
    /// limit from one variable (default 4), so an empty one leaves both out, as the guide
    /// leaves out the limit. A guide's CPU request alone cannot be kept without a limit.
    fn cpu_without_limit(&mut self, stage: &str) {
        let Some(resources) = self
            .item_at(&format!("{stage}.containers[0].resources"))
            .or_else(|| self.item_at(&format!("{stage}.containers[0]")))
        else {
            return;
        };
        if resources.node.at("limits.cpu").is_some() {
            return;
        }
        let var = vars::stage(vars::CPU_NR, stage);
        // A swept CPU count is the experiment's to set.
        if !self.defaults.is_known(&var) || self.options.force.contains(&var) {
            return;
        }
        // Cite the first line: the whole container would be a long quote.
        let first = resources.key_line.unwrap_or(resources.node.line);
        let o = self.origin_lines(resources.node.src, first, first);
        if let Some(request) = resources.node.at("requests.cpu").and_then(|n| n.as_str()) {
            self.warn(format!(
                "{}:{}: {stage}: the CPU request {request} is not passed on: llm-d-benchmark makes the same value the CPU limit, which the guide does not set",
                o.file, o.first
            ));
        }
        // The request handler may have set it; the guide's missing limit decides.
        self.values.remove(&var);
        self.exports.retain(|e| e.var != var);
        self.defaulted.retain(|(v, _, _)| *v != var);
        self.set_derived(
            &var,
            Value::Text(String::new()),
            vec![o],
            Some("the guide sets no CPU limit: empty, so llm-d-benchmark writes neither CPU request nor limit".into()),
        );
    }

    /// The guide's startup probe budget (initial delay + failures x period), when
    /// llm-d-benchmark's default probe would give up sooner.
    fn startup_budget(&mut self, stage: &str) {
        let Some(probe) = self.item_at(&format!("{stage}.containers[0].startupProbe")) else {
            return;
        };
        let num = |k: &str, default: u64| {
            probe
                .node
                .get(k)
                .and_then(|n| n.as_str())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(default)
        };
        // Kubernetes' own defaults: no delay, 3 failures, every 10 s.
        let budget = num("initialDelaySeconds", 0)
            .saturating_add(num("failureThreshold", 3).saturating_mul(num("periodSeconds", 10)));
        let o = self.origin(probe);
        let threshold_var = vars::stage(vars::PROBE_FAILURE_THRESHOLD, stage);
        let delay_var = vars::stage(vars::PROBE_INITIAL_DELAY, stage);
        if self.defaults.is_known(&threshold_var) {
            let delay = self.number_default(&delay_var).unwrap_or(0);
            let threshold = self
                .number_default(&threshold_var)
                .unwrap_or(FIXED_THRESHOLD);
            if delay + threshold * PROBE_PERIOD >= budget {
                return;
            }
            let needed = budget.saturating_sub(delay).div_ceil(PROBE_PERIOD);
            let note = format!(
                "the guide's startup probe allows {budget} s; llm-d-benchmark checks every {PROBE_PERIOD} s after {delay} s"
            );
            self.set_derived(
                &threshold_var,
                Value::Text(needed.to_string()),
                vec![o],
                Some(note),
            );
            return;
        }
        // 2026-02-05: only the (common) initial delay can be set.
        let common_delay = vars::INITIAL_DELAY_PROBE;
        if self.defaults.is_known(common_delay) {
            let delay = self.number_default(common_delay).unwrap_or(0);
            if delay + FIXED_THRESHOLD * PROBE_PERIOD >= budget {
                return;
            }
            let needed = budget.saturating_sub(FIXED_THRESHOLD * PROBE_PERIOD);
            let current = self
                .exports
                .iter()
                .find(|e| e.var == common_delay)
                .map(|e| match &e.value {
                    Value::Text(t) => t.parse::<u64>().unwrap_or(0),
                    _ => 0,
                });
            if current.is_some_and(|c| needed <= c) {
                return;
            }
            let note = format!(
                "the guide's startup probe allows {budget} s; llm-d-benchmark checks {FIXED_THRESHOLD} times every {PROBE_PERIOD} s after this delay"
            );
            self.set_derived(
                common_delay,
                Value::Text(needed.to_string()),
                vec![o],
                Some(note),
            );
        }
    }

    /// No model size in the guide: the ephemeral storage its pods reserve (a kustomize guide
    /// downloads the model into the pod) is what the model needs, when it exceeds the
    /// benchmark's default volume.
    fn model_volume(&mut self, stages: &[&str]) {
        let var = vars::MODEL_CACHE_SIZE;
        if self.values.contains_key(var) || !self.defaults.is_known(var) {
            return;
        }
        let default = match self.defaults.get(var) {
            Some(DefaultValue::Value(v)) => gib(v),
            _ => None,
        };
        let mut best: Option<(f64, String, Item<'a>)> = None;
        for stage in stages {
            for section in ["requests", "limits"] {
                let path = format!("{stage}.containers[0].resources.{section}.ephemeral-storage");
                if let Some(item) = self.item_at(&path)
                    && let Some(text) = item.node.as_str()
                    && let Some(size) = gib(text)
                    && best.as_ref().is_none_or(|(b, _, _)| size > *b)
                {
                    best = Some((size, text.to_string(), item));
                }
            }
        }
        let Some((size, text, item)) = best else {
            return;
        };
        if default.is_some_and(|d| d >= size) {
            return;
        }
        let o = self.origin(item);
        let note = "the guide gives no model size; its pods reserve this much ephemeral storage for the model they download".to_string();
        self.set_derived(var, Value::Text(text), vec![o], Some(note));
    }
}

/// A Kubernetes quantity in GiB (`300Gi`, `1Ti`, `500G`), `None` when not one.
fn gib(q: &str) -> Option<f64> {
    const UNITS: &[(&str, f64)] = &[
        ("Ki", 1.0 / 1048576.0),
        ("Mi", 1.0 / 1024.0),
        ("Gi", 1.0),
        ("Ti", 1024.0),
        ("Pi", 1048576.0),
        ("k", 1e3 / 1073741824.0),
        ("M", 1e6 / 1073741824.0),
        ("G", 1e9 / 1073741824.0),
        ("T", 1e12 / 1073741824.0),
    ];
    let q = q.trim();
    for (unit, factor) in UNITS {
        if let Some(n) = q.strip_suffix(unit) {
            return n.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    q.parse::<f64>().ok().map(|n| n / 1073741824.0)
}

#[cfg(test)]
mod tests {
    use super::gib;

    #[test]
    fn quantities() {
        assert_eq!(gib("300Gi"), Some(300.0));
        assert_eq!(gib("1Ti"), Some(1024.0));
        assert!(gib("1T").is_some_and(|g| (g - 931.32).abs() < 0.01));
        assert_eq!(gib("lots"), None);
    }
}
