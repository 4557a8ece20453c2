//! The scenario rules (with `--scenario`): each setup factor on one `VAR=` line, vLLM
//! commands and files keeping the swept variable's token, accelerators, variables env.sh
//! derives before the scenario runs, and values the scheduler shares with vLLM.

use super::*;
use crate::map::bash::vars;

impl Checker<'_> {
    /// Each setup factor on exactly one line containing `VAR=`, which assigns it.
    pub(super) fn scenario_lines(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let items = b
            .factors
            .iter()
            .map(|f| (f.name.as_str(), f.line, false))
            .chain(b.constants.iter().map(|c| (c.name.as_str(), c.line, true)));
        let mut found = Vec::new();
        for (var, line, constant) in items {
            // Constants: assumed applied like factors, reported as warnings.
            let bad = if constant {
                Severity::Warning
            } else {
                Severity::Error
            };
            let what = if constant { "constant" } else { "factor" };
            let lines = s.lines_containing_assignment(var);
            let at = |n: usize| format!("{}:{n}", s.name);
            match lines.as_slice() {
                [] => {
                    let used = s.expansions(var);
                    if let Some(first) = used.first() {
                        found.push((line, bad, format!(
                            "setup {what} {var} is used by the scenario ({}) but not set by it: e2e.sh appends `export {var}=value` at the end, after that use; export it once, before it is used",
                            at(*first)
                        )));
                    } else {
                        found.push((line, Severity::Warning, format!(
                            "setup {what} {var} is not set by the scenario: e2e.sh appends `export {var}=value` at its end; an export line in the scenario would show the value a treatment with NA keeps"
                        )));
                    }
                }
                [n] if s.assigns(*n, var) => {}
                [n] => {
                    let why = match s.heredoc_of(*n) {
                        Some(h) => format!(
                            "is inside the file the scenario writes for {} (from {})",
                            h.var.as_deref().unwrap_or("a heredoc"),
                            at(h.line)
                        ),
                        None => "does not assign it".to_string(),
                    };
                    found.push((line, bad, format!(
                        "the only line of the scenario containing `{var}=` ({}) {why}: e2e.sh would replace that whole line with `export {var}=value`",
                        at(*n)
                    )));
                }
                many => {
                    let list: Vec<String> = many.iter().map(|n| at(*n)).collect();
                    found.push((line, bad, format!(
                        "{} lines of the scenario contain `{var}=` ({}): e2e.sh replaces every one of them with `export {var}=value`; keep exactly one export line",
                        many.len(),
                        list.join(", ")
                    )));
                }
            }
        }
        for (line, sev, msg) in found {
            self.push(line, sev, msg);
        }
    }

    /// vLLM commands the scenario writes must carry a swept flag variable's token.
    pub(super) fn commands(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let mut found = Vec::new();
        for f in &b.factors {
            for (stage, flag) in flags_of(&f.name) {
                let args_var = vars::stage(vars::EXTRA_ARGS, stage);
                let Some(h) = s.file_of(&args_var) else {
                    continue;
                };
                let words = s.heredoc_words(h);
                let values = flag_values(&words, flag);
                let at = format!("{}:{}", s.name, h.line);
                if values.is_empty() {
                    found.push((f.line, format!(
                        "the {stage} vLLM command the scenario writes ({at}) has no {flag}: the sweep of {} does not reach vLLM there; add `{flag} REPLACE_ENV_{}`",
                        f.name, f.name
                    )));
                    continue;
                }
                for v in values {
                    let token = v
                        .strip_prefix("REPLACE_ENV_")
                        .map(|t| t.split("++++").next().unwrap_or(t));
                    match token {
                        Some(t) if t == f.name || factors.contains(t) => {}
                        Some(t) => found.push((f.line, format!(
                            "the {stage} vLLM command the scenario writes ({at}) passes {flag} REPLACE_ENV_{t}, not {}: the sweep does not reach vLLM there",
                            f.name
                        ))),
                        None => found.push((f.line, format!(
                            "the {stage} vLLM command the scenario writes ({at}) passes {flag} {v} literally: the sweep of {} does not reach vLLM there; write REPLACE_ENV_{} instead",
                            f.name, f.name
                        ))),
                    }
                }
            }
        }
        for (line, msg) in found {
            self.push(line, Severity::Error, msg);
        }
    }

    /// Files the scenario writes in place of llm-d-benchmark's own (volumes, env list) must
    /// carry the swept variable's token, as the benchmark's own files do.
    pub(super) fn files(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let mut found = Vec::new();
        for f in &b.factors {
            for file_var in token_files(&f.name) {
                let Some(h) = s.file_of(&file_var) else {
                    continue;
                };
                let has_token = (h.first..=h.last).any(|n| {
                    s.lines
                        .get(n - 1)
                        .is_some_and(|l| l.contains(&format!("REPLACE_ENV_{}", f.name)))
                });
                if !has_token {
                    found.push((f.line, format!(
                        "the file the scenario writes for {file_var} ({}:{}) replaces llm-d-benchmark's own and has no REPLACE_ENV_{}: the sweep of {} does not reach the pod",
                        s.name, h.line, f.name, f.name
                    )));
                }
            }
        }
        for (line, msg) in found {
            self.push(line, Severity::Error, msg);
        }
    }

    /// Sweeping parallelism while the scenario fixes the accelerator count.
    pub(super) fn accelerators(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let mut found = Vec::new();
        for f in &b.factors {
            for stage in ["DECODE", "PREFILL"] {
                let parallelism = [vars::TENSOR_PARALLELISM, vars::DATA_LOCAL_PARALLELISM];
                if !parallelism.iter().any(|t| vars::stage(t, stage) == f.name) {
                    continue;
                }
                let nr = vars::stage(vars::ACCELERATOR_NR, stage);
                if factors.contains(nr.as_str()) {
                    continue;
                }
                if let Some((n, Some(v))) = s.value_of(&nr)
                    && v != "auto"
                {
                    found.push((f.line, format!(
                        "the scenario fixes {nr} at {v} ({}:{n}): every treatment's {} pods request {v} accelerators whatever {} is; `auto` follows tensor x data-local parallelism",
                        s.name,
                        stage.to_ascii_lowercase(),
                        f.name
                    )));
                }
            }
        }
        for (line, msg) in found {
            self.push(line, Severity::Warning, msg);
        }
    }

    /// A factor llm-d-benchmark reads only through variables env.sh derived from it before
    /// the scenario was sourced (or through the stages' own variables) does not sweep them.
    pub(super) fn derived(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let modelservice_only = self.modelservice_only(b);
        let mut found = Vec::new();
        for f in &b.factors {
            if !s.references(&f.name).is_empty() {
                continue;
            }
            let followers: Vec<String> = followers(self.ctx.defaults, &f.name)
                .into_iter()
                .filter(|y| !factors.contains(y.as_str()))
                .collect();
            if followers.is_empty() {
                continue;
            }
            let sev = if modelservice_only {
                Severity::Error
            } else {
                Severity::Warning
            };
            let named: Vec<String> = followers
                .iter()
                .map(|y| {
                    match crate::experiment::params::PARAMETERS
                        .iter()
                        .find(|p| p.variable == y)
                    {
                        Some(p) => format!("{y} ({})", p.name),
                        None => y.clone(),
                    }
                })
                .collect();
            found.push((f.line, sev, format!(
                "the sweep of {} does not reach {}: with modelservice llm-d-benchmark deploys from {}, which setup/env.sh sets before the scenario is sourced, and the scenario does not refer to {}; sweep {} instead",
                f.name,
                followers.join(" and "),
                if followers.len() == 1 { "it" } else { "them" },
                f.name,
                named.join(" and/or "),
            )));
        }
        for (line, sev, msg) in found {
            self.push(line, sev, msg);
        }
    }

    /// True when every deployment of the experiment is modelservice.
    pub(super) fn modelservice_only(&self, b: &Block) -> bool {
        const VAR: &str = "LLMDBENCH_DEPLOY_METHODS";
        let mut methods: BTreeSet<String> = BTreeSet::new();
        if let Some(i) = b.factors.iter().position(|f| f.name == VAR) {
            for t in &b.treatments {
                if let Some(v) = t.values().get(i).map(|v| v.trim()).filter(|v| *v != NA) {
                    methods.insert(v.to_string());
                }
            }
        } else if let Some(c) = b.constants.iter().find(|c| c.name == VAR) {
            methods.insert(c.value.clone());
        } else if let Some((_, Some(v))) = self.ctx.scenario.as_ref().and_then(|s| s.value_of(VAR))
        {
            methods.insert(v);
        } else if let Some(DefaultValue::Value(v)) = self.ctx.defaults.get(VAR) {
            methods.insert(v.clone());
        }
        !methods.is_empty() && methods.iter().all(|m| m == "modelservice")
    }

    /// Sweeping a vLLM value the scheduler keeps a copy of (see [`coupling_findings`]).
    pub(super) fn couplings(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: Vec<(&str, usize)> = b
            .factors
            .iter()
            .map(|f| (f.name.as_str(), f.line))
            .collect();
        for (line, msg) in coupling_findings(s, &factors) {
            self.push(line, Severity::Error, msg);
        }
    }
}

/// Values the EPP's scheduler must share with vLLM: (variable that sets vLLM's, key in the
/// plugin configuration, what vLLM calls it). A sweep of the variable reaches the scheduler
/// only where the plugin file holds the variable's token.
const COUPLED: &[(&str, &str, &str)] = &[
    (
        "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE",
        "blockSize",
        "--block-size",
    ),
    (
        "LLMDBENCH_DEPLOY_MODEL_LIST",
        "modelName",
        "the served model",
    ),
];

/// Setup factors that would break a coupling between vLLM and the scheduler: the plugin file
/// the scenario writes (LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS) gives the coupled
/// key a literal value (or another variable's token), so the sweep changes vLLM alone.
/// `factors` are (name, line in the experiment); the findings are (line, message).
pub fn coupling_findings(s: &ScenarioText, factors: &[(&str, usize)]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let Some(h) = s.file_of("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS") else {
        return out;
    };
    for (factor, line) in factors {
        for (var, key, vllm) in COUPLED.iter().filter(|(v, _, _)| v == factor) {
            for n in h.first..=h.last {
                let Some(text) = s.lines.get(n - 1) else {
                    continue;
                };
                let Some(value) = text.trim_start().strip_prefix(&format!("{key}:")) else {
                    continue;
                };
                let value = value
                    .split(" #")
                    .next()
                    .unwrap_or(value)
                    .trim()
                    .trim_matches(['"', '\'']);
                if value == format!("REPLACE_ENV_{var}") {
                    continue;
                }
                out.push((
                    *line,
                    format!(
                        "the scheduler's {key} in the plugin file the scenario writes ({}:{n}) is {value}, not REPLACE_ENV_{var}: sweeping {var} changes {vllm} of vLLM but not the scheduler's copy, and its prefix-cache scores stop matching; write REPLACE_ENV_{var} there",
                        s.name
                    ),
                ));
            }
        }
    }
    out
}

/// Variables llm-d-benchmark's modelservice deployment reads instead of `var`: those env.sh
/// derives from it, and for `LLMDBENCH_VLLM_COMMON_X` the stages' own `..._{STAGE}_X`.
pub fn followers(defaults: &Defaults, var: &str) -> Vec<String> {
    let mut out: BTreeSet<String> = defaults
        .derived_from(var)
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(suffix) = var.strip_prefix(vars::COMMON_PREFIX) {
        for stage in ["DECODE", "PREFILL"] {
            let own = vars::stage(&format!("{}{suffix}", vars::STAGE_PREFIX), stage);
            if defaults.is_known(&own) {
                out.insert(own);
            }
        }
    }
    out.into_iter().collect()
}

/// Files whose llm-d-benchmark default carries `var` as a `REPLACE_ENV_` token: a scenario
/// that writes its own must keep the token for a sweep of `var` to reach the pod.
pub fn token_files(var: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stage in ["DECODE", "PREFILL"] {
        if var == vars::stage(vars::SHM_MEM, stage) {
            out.push(vars::stage(vars::EXTRA_VOLUMES, stage));
        }
        if BENCH_ENV.iter().any(|(_, v)| var == *v) {
            out.push(vars::stage(vars::ENVVARS, stage));
        }
    }
    out
}

/// The (stage, flag) pairs whose value `var` carries in llm-d-benchmark's vLLM commands.
pub fn flags_of(var: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for flag in FLAGS {
        for stage in ["decode", "prefill"] {
            let own = flag.stage.map(|t| vars::stage(t, stage));
            if flag.common == Some(var) || own.as_deref() == Some(var) {
                out.push((stage, flag.name));
            }
        }
    }
    out
}

/// The values `flag` is given in a command's words (`--flag v`, `--flag=v`, `--flag_x` too).
pub(super) fn flag_values(words: &[String], flag: &str) -> Vec<String> {
    let canon = |w: &str| {
        let dashes = w.len() - w.trim_start_matches('-').len();
        format!("{}{}", &w[..dashes], w[dashes..].replace('_', "-"))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w.starts_with("--") {
            match w.split_once('=') {
                Some((f, v)) if canon(f) == flag => out.push(v.to_string()),
                None if canon(w) == flag => {
                    out.push(words.get(i + 1).cloned().unwrap_or_default());
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    out
}
