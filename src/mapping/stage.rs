//! Per-stage synthesis: the vLLM command, env file, volumes, mounts and container config of
//! the decode and prefill stages, and the GAIE plugin configuration. These need several guide
//! values at once, so the walk collects them and this step writes them.

use std::collections::{BTreeSet, HashMap};

use super::emit::{emit, emit_entry, emit_item};
use super::rules::{
    APPENDED_ENV, BENCH_ENV, FLAG_JSON_FIELDS, FLAGS, FRAMEWORK_ENV, OWNED_FLAGS,
    UDS_TOKENIZER_IMAGE,
};
use super::vllm::{
    encode_word, kv_events_json, one_line, parse_marked, pieces_text, script_line, sh_word,
    shell_words, text_pieces,
};
use super::{Fate, Item, Mapper, refusal};
use crate::error::is_deceptive;
use crate::scenario::Value;
use crate::yaml::plain_ok;

/// Why a command word or script with control or bidirectional characters is left out.
const DECEPTIVE_COMMAND: &str = "not expressible: control or bidirectional characters cannot go on the command line (they would show other than they run)";

const PLUGINS_FILE: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE";
const PLUGINS_CUSTOM: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS";
const ROUTING_SIDECAR: &str = "LLMDBENCH_LLMD_ROUTINGSIDECAR_ENABLED";
const GAIE_SIDECAR: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_SIDECAR_ENABLED";
const BLOCK_SIZE: &str = "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE";
const MODEL_LIST: &str = "LLMDBENCH_DEPLOY_MODEL_LIST";

fn token(var: &str) -> String {
    format!("REPLACE_ENV_{var}")
}

/// A command's arguments as words, the nodes they came from, and which are shell text.
struct Args<'a> {
    words: Vec<String>,
    nodes: Vec<Item<'a>>,
    shell: Vec<bool>,
}

/// The number at `path` (object keys) of a JSON text, with its byte range in the text, when
/// its key appears once in the text.
fn json_number(text: &str, path: &[&str]) -> Option<(String, usize, usize)> {
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut v = &parsed;
    for key in path {
        v = v.get(key)?;
    }
    let number = v.as_u64()?.to_string();
    let key = format!("\"{}\"", path.last()?);
    let mut found = text.match_indices(&key);
    let (at, _) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let rest = &text[at + key.len()..];
    let colon = rest.find(':')?;
    if !rest[..colon].trim().is_empty() {
        return None;
    }
    let after = &rest[colon + 1..];
    let start = at + key.len() + colon + 1 + (after.len() - after.trim_start().len());
    let end = start + number.len();
    (text.get(start..end) == Some(number.as_str())).then_some((number, start, end))
}

/// Command lines (`--flag value` or `--flag`, shell-quoted words) in the list form step 09
/// of llm-d-benchmark renders for a non-custom command: `[--a____1____--b]` (it splits on
/// `--`, takes at most a flag and one value from each piece, and wraps each in double
/// quotes). Empty lines give an empty text. `Err` says which word cannot be written.
fn bracket_list(lines: &[String]) -> Result<String, String> {
    if lines.is_empty() {
        return Ok(String::new());
    }
    let mut words = Vec::new();
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        let plain = |w: &str| {
            !w.is_empty()
                && !w.contains(['"', '\'', '\\', '[', ']', '$', '`'])
                && !w.chars().any(char::is_whitespace)
        };
        match parts.as_slice() {
            [flag] | [flag, _] if !flag.starts_with("--") || !plain(flag) => {
                return Err(format!(
                    "{} is not a plain flag",
                    crate::error::excerpt(flag, 60)
                ));
            }
            [_, value] if !plain(value) || value.contains("--") => {
                return Err(format!(
                    "the value {} is not one plain word",
                    crate::error::excerpt(value, 60)
                ));
            }
            [_] | [_, _] => words.extend(parts.iter().map(|w| w.to_string())),
            _ => {
                return Err(format!(
                    "{} is more than a flag and its value",
                    crate::error::excerpt(line, 60)
                ));
            }
        }
    }
    Ok(format!("[{}]\n", words.join("____")))
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

    fn command(
        &mut self,
        stage: &str,
        model_command: Option<Item<'a>>,
        setup: Option<Item<'a>>,
        command: Option<Item<'a>>,
        args: Option<Item<'a>>,
    ) {
        let up = stage.to_ascii_uppercase();
        let command_var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_MODEL_COMMAND");
        let args_var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_ARGS");
        let mode = model_command
            .and_then(|i| i.node.as_str())
            .unwrap_or(if args.is_some() {
                "vllmServe"
            } else {
                "imageDefault"
            })
            .to_string();
        let present: Vec<Item<'a>> = [model_command, setup, command, args]
            .into_iter()
            .flatten()
            .collect();
        if !self.knows_all(&[&command_var, &args_var], &present) {
            return;
        }
        if mode != "vllmServe"
            && let Some(setup) = setup
        {
            self.fate(
                setup,
                Fate::Unmapped("setup commands belong to a vllmServe command".into()),
            );
        }
        let origins = [setup, command, args]
            .into_iter()
            .flatten()
            .flat_map(|i| self.origins(i))
            .collect();
        match mode.as_str() {
            "vllmServe" => {
                let mut lines = self.preamble(stage);
                let args = self.arg_items(args);
                let mut notes = Vec::new();
                lines.extend(self.flag_lines(stage, &args, &lines.clone(), &mut notes));
                // The guide's setup commands run after the benchmark's preprocess step.
                let setup = self.setup_lines(&args_var, setup);
                lines.splice(1..1, setup);
                let note =
                    "the guide's vllmServe, written out as the custom command llm-d-benchmark runs"
                        .to_string();
                self.set_from(&command_var, "custom", model_command, Some(note));
                self.set_derived(&args_var, Value::Command(lines), origins, join_notes(notes));
            }
            "imageDefault" => {
                self.set_from(&command_var, "imageDefault", model_command, None);
                // The image's own command gets the guide's args, plus any swept flag, in the
                // `[--flag____value]` list form step 09 renders as one argument per word. No
                // args at all: an empty list, or llm-d-benchmark would pass its vLLM flags.
                let args = self.arg_items(args);
                let arg_nodes = args.nodes.clone();
                let mut notes = Vec::new();
                let lines = self.flag_lines(stage, &args, &[], &mut notes);
                let _ = notes;
                match bracket_list(&lines) {
                    Ok(list) if lines.is_empty() => {
                        let note = "the guide passes no arguments to the image's own command: none, rather than llm-d-benchmark's vLLM flags".to_string();
                        self.set_derived(&args_var, Value::Text(list), origins, Some(note));
                    }
                    Ok(list) => {
                        let note = "the arguments of the image's own command, in the `[--flag____value]` form step 09 turns into a list".to_string();
                        self.set_derived(&args_var, Value::File(list), origins, Some(note));
                    }
                    Err(why) => {
                        let why = format!(
                            "not expressible: step 09 of llm-d-benchmark passes an image's own command only `--flag value` pairs of plain words, and {why}; the stage gets no arguments"
                        );
                        self.warnings.push(format!("{stage}: {why}"));
                        self.fates_all(&arg_nodes, Fate::Unmapped(why));
                        self.set_derived(&args_var, Value::Text(String::new()), origins, None);
                    }
                }
            }
            "custom" => {
                let Args {
                    mut words,
                    mut nodes,
                    ..
                } = self.arg_items(command);
                let more = self.arg_items(args);
                words.extend(more.words);
                nodes.extend(more.nodes);
                let mut refused = false;
                for n in &nodes {
                    refused |= self.refuse_tokens(*n);
                }
                if refused {
                    // The stage keeps llm-d-benchmark's own command.
                    if let Some(m) = model_command {
                        self.fate(m, Fate::Unmapped(super::TOKEN_REFUSED.into()));
                    }
                    return;
                }
                // `sh -c SCRIPT`: the script, on one line, is the command line itself.
                let line = match words.as_slice() {
                    [sh, c, script] if sh.ends_with("sh") && c == "-c" => script_line(script),
                    _ => Some(
                        words
                            .iter()
                            .map(|w| sh_word(w))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                };
                let line = line.filter(|l| !l.chars().any(is_deceptive));
                let Some(line) = line else {
                    let why = "not expressible: this script cannot be written as the one-line command llm-d-benchmark runs (quotes or a here-document span lines, or control characters); the stage keeps llm-d-benchmark's own command";
                    for n in nodes.into_iter().chain(model_command) {
                        self.fate(n, Fate::Unmapped(why.into()));
                    }
                    self.warnings.push(format!("{stage}: {why}"));
                    return;
                };
                let (line, notes) = self.custom_line(stage, line, &nodes);
                self.fates_all(&nodes, Fate::Mapped(args_var.clone()));
                self.set_from(&command_var, "custom", model_command, None);
                self.served_model(stage, &line, &origins);
                self.set_derived(
                    &args_var,
                    Value::Command(vec![line]),
                    origins,
                    join_notes(notes),
                );
            }
            other => {
                if let Some(item) = model_command {
                    self.fate(
                        item,
                        Fate::Unmapped(format!(
                            "unknown modelCommand {}",
                            crate::error::excerpt(other, 60)
                        )),
                    );
                }
            }
        }
    }

    /// A custom command that serves a model when the guide names none (modelArtifacts):
    /// llm-d-benchmark must deploy, download and address that model, not its default.
    fn served_model(&mut self, stage: &str, line: &str, origins: &[crate::scenario::Origin]) {
        const VAR: &str = "LLMDBENCH_DEPLOY_MODEL_LIST";
        if self.values.contains_key(VAR) || self.exports.iter().any(|e| e.var == VAR) {
            return;
        }
        let Some(words) = super::vllm::split_words(line) else {
            return;
        };
        let model = words
            .windows(3)
            .find(|w| w[0].ends_with("vllm") && w[1] == "serve" && !w[2].starts_with('-'))
            .map(|w| w[2].clone());
        if let Some(model) = model.filter(|m| refusal(VAR, m).is_none() && !m.contains(',')) {
            let note = format!(
                "the model the guide's {stage} command serves (the guide names no modelArtifacts)"
            );
            self.set_derived(VAR, Value::Text(model), origins.to_vec(), Some(note));
        }
    }

    /// Set `var` from an optional guide node, or as a derived value when there is none.
    fn set_from(&mut self, var: &str, value: &str, item: Option<Item<'a>>, note: Option<String>) {
        match item {
            Some(item) => self.set(var, Value::Text(value.into()), &[item], note),
            None => self.set_derived(var, Value::Text(value.into()), Vec::new(), note),
        }
    }

    /// The args as strings, with the node each came from. An item `{shell: TEXT}` is shell
    /// text the pod's shell expands (a kustomize guide's `$LWS_LEADER_ADDRESS`): kept as written.
    fn arg_items(&mut self, args: Option<Item<'a>>) -> Args<'a> {
        let mut out = Args {
            words: Vec::new(),
            nodes: Vec::new(),
            shell: Vec::new(),
        };
        let Some(args) = args else {
            return out;
        };
        match args.node.as_seq() {
            Some(list) => {
                for node in list {
                    let item = Item {
                        doc: args.doc,
                        key_line: None,
                        node,
                    };
                    let shell = node
                        .as_map()
                        .filter(|m| m.len() == 1 && m[0].key == "shell")
                        .map(|m| &m[0]);
                    match (node.as_scalar(), shell) {
                        (Some(s), _) => {
                            out.words.push(s.value.clone());
                            out.nodes.push(item);
                            out.shell.push(false);
                        }
                        (None, Some(e)) if e.value.as_str().is_some() => {
                            out.words
                                .push(e.value.as_str().unwrap_or_default().to_string());
                            out.nodes.push(Item {
                                doc: args.doc,
                                key_line: Some(e.line),
                                node: &e.value,
                            });
                            out.shell.push(true);
                        }
                        _ => self.fate(
                            item,
                            Fate::Unmapped("a command-line argument must be a string".into()),
                        ),
                    }
                }
            }
            None => match args.node.as_str() {
                Some(s) => {
                    out.words.push(s.to_string());
                    out.nodes.push(args);
                    out.shell.push(false);
                }
                None => self.fate(args, Fate::Unmapped("expected a list of arguments".into())),
            },
        }
        out
    }

    /// The guide's setup commands (`scriptSetup`, from a kustomize guide's script), as they
    /// were written, each ending in its separator.
    fn setup_lines(&mut self, args_var: &str, setup: Option<Item<'a>>) -> Vec<String> {
        let Some(setup) = setup else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for node in setup.node.as_seq().unwrap_or_default() {
            let item = Item {
                doc: setup.doc,
                key_line: None,
                node,
            };
            match node.as_str().filter(|t| !t.contains(['\n', '\r', '\0'])) {
                Some(text) => {
                    lines.push(text.to_string());
                    self.fate(item, Fate::Mapped(args_var.to_string()));
                }
                None => self.fate(
                    item,
                    Fate::Unmapped(
                        "not expressible: a setup command must fit on the one-line command llm-d-benchmark runs".into(),
                    ),
                ),
            }
        }
        lines
    }

    /// What llm-d-benchmark's own command line for a stage starts with.
    fn preamble(&self, stage: &str) -> Vec<String> {
        let up = stage.to_ascii_uppercase();
        // Decode listens behind the routing sidecar (unless it is off); prefill is reached
        // directly.
        let port = if stage == "decode" && !self.routing_sidecar_off() {
            "METRICS_PORT"
        } else {
            "INFERENCE_PORT"
        };
        let mut lines = vec![
            format!(
                "{};",
                token(&format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_PREPROCESS"))
            ),
            format!(
                "vllm serve /model-cache/models/{}",
                token("LLMDBENCH_DEPLOY_CURRENT_MODEL")
            ),
            format!(
                "--served-model-name {}",
                token("LLMDBENCH_DEPLOY_CURRENT_MODEL")
            ),
            format!("--port {}", token(&format!("LLMDBENCH_VLLM_COMMON_{port}"))),
            format!(
                "--tensor-parallel-size {}",
                token(&format!(
                    "LLMDBENCH_VLLM_MODELSERVICE_{up}_TENSOR_PARALLELISM"
                ))
            ),
        ];
        // The chart passes data parallelism on when the guide asks for more than one.
        let parallelism = &self.stage_model(stage).parallelism;
        for (value, flag, suffix) in [
            (
                &parallelism.data,
                "--data-parallel-size",
                "DATA_PARALLELISM",
            ),
            (
                &parallelism.data_local,
                "--data-parallel-size-local",
                "DATA_LOCAL_PARALLELISM",
            ),
        ] {
            if value
                .as_ref()
                .and_then(|v| v.value.parse::<u64>().ok())
                .is_some_and(|n| n > 1)
            {
                lines.push(format!(
                    "{flag} {}",
                    token(&format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_{suffix}"))
                ));
            }
        }
        lines
    }

    /// The guide's flags as command lines: benchmark-owned ones reported, those with a
    /// variable written as its token, the rest kept verbatim.
    fn flag_lines(
        &mut self,
        stage: &str,
        args: &Args<'a>,
        preamble: &[String],
        notes: &mut Vec<String>,
    ) -> Vec<String> {
        let (words, nodes) = (&args.words, &args.nodes);
        let up = stage.to_ascii_uppercase();
        let args_var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_ARGS");
        let model = self
            .values
            .get("LLMDBENCH_DEPLOY_MODEL_LIST")
            .map(|(v, _)| v.clone());
        let in_preamble = |flag: &str| preamble.iter().any(|l| l.starts_with(&format!("{flag} ")));
        let mut lines = Vec::new();
        let mut seen = BTreeSet::new();
        for arg in parse_marked(words, &args.shell) {
            let from: Vec<Item<'a>> = arg
                .items
                .iter()
                .filter_map(|i| nodes.get(*i).copied())
                .collect();
            let canonical = arg.canonical();
            let mut refused = false;
            for item in &from {
                refused |= self.refuse_tokens(*item);
            }
            if refused {
                if let Some(flag) = &canonical {
                    seen.insert(flag.clone());
                }
                continue;
            }
            // Shell text: the whole word as written, or a literal flag and its shell value.
            let shell_at = |i: &usize| args.shell.get(*i).copied().unwrap_or(false);
            if arg.items.iter().any(shell_at) {
                let line = match arg.items.as_slice() {
                    [one] => words[*one].clone(),
                    [f, v] if !shell_at(f) => format!("{} {}", sh_word(&words[*f]), words[*v]),
                    items => items
                        .iter()
                        .map(|i| words[*i].clone())
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                if let Some(flag) = &canonical {
                    seen.insert(flag.clone());
                }
                if line.chars().any(is_deceptive) {
                    self.fates_all(&from, Fate::Unmapped(DECEPTIVE_COMMAND.into()));
                    continue;
                }
                self.fates_all(&from, Fate::Mapped(args_var.clone()));
                lines.push(line);
                continue;
            }
            if let Some(flag) = &canonical {
                seen.insert(flag.clone());
            }
            if let Some((_, why)) = OWNED_FLAGS
                .iter()
                .find(|(f, _)| Some(*f) == canonical.as_deref())
            {
                self.fates_all(&from, Fate::Framework((*why).into()));
                continue;
            }
            if canonical.is_none()
                && model.as_ref().is_some_and(|m| {
                    Some(m) == arg.value.as_ref().map(|v| Value::Text(v.clone())).as_ref()
                })
            {
                self.fates_all(
                    &from,
                    Fate::Framework(
                        "llm-d-benchmark serves the model from /model-cache/models/<model>".into(),
                    ),
                );
                continue;
            }
            // A value reaches the command through a token only when it is one plain word:
            // llm-d-benchmark pastes the variable's value into `/bin/sh -c` unquoted.
            if let (Some(flag), Some(value)) = (
                FLAGS.iter().find(|f| Some(f.name) == canonical.as_deref()),
                &arg.value,
            ) && sh_word(value) == *value
                && let Some(var) = self.flag_var(flag, &up, value, &from)
            {
                if !in_preamble(flag.name) {
                    lines.push(format!("{} {}", flag.name, token(&var)));
                }
                continue;
            }
            let value = match arg.value.as_deref().map(one_line) {
                Some(None) => {
                    self.fates_all(&from, Fate::Unmapped("not expressible: a value with line breaks or NUL characters cannot go on the one-line command llm-d-benchmark needs".into()));
                    continue;
                }
                // Tokens of FLAG_JSON_FIELDS go in after the check below.
                Some(Some(v)) => Some(v),
                None => None,
            };
            // (Guide text holding REPLACE_ENV_ was refused above; tokens of FLAG_JSON_FIELDS
            // are the converter's own.)
            let value = value.map(|v| {
                let v = match (canonical.as_deref(), &model) {
                    (Some("--kv-events-config"), Some(Value::Text(m))) => {
                        match kv_events_json(&v, Some(m)) {
                            Some((text, changed)) => {
                                notes.extend(changed);
                                text
                            }
                            None => v,
                        }
                    }
                    _ => v,
                };
                sh_word(&self.json_fields(canonical.as_deref(), v, &from))
            });
            let line = match (&arg.flag, value) {
                (Some(f), Some(v)) => format!("{} {v}", sh_word(f)),
                (Some(f), None) => sh_word(f),
                (None, Some(v)) => v,
                (None, None) => continue,
            };
            if line.chars().any(is_deceptive) {
                self.fates_all(&from, Fate::Unmapped(DECEPTIVE_COMMAND.into()));
                continue;
            }
            self.fates_all(&from, Fate::Mapped(args_var.clone()));
            lines.push(line);
        }
        // Swept variables must reach vLLM even when the guide leaves the flag out.
        for flag in FLAGS {
            let var = flag.common.map(str::to_string).or(flag
                .stage
                .map(|s| format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_{s}")));
            if let Some(var) = var
                && self.options.force.contains(&var)
                && !seen.contains(flag.name)
                && !in_preamble(flag.name)
            {
                lines.push(format!("{} {}", flag.name, token(&var)));
            }
        }
        lines
    }

    /// Numbers inside a JSON flag value that have a benchmark variable (rules::FLAG_JSON_FIELDS)
    /// become that variable's token, and the variable is exported.
    fn json_fields(&mut self, flag: Option<&str>, value: String, from: &[Item<'a>]) -> String {
        let mut value = value;
        for (f, path, var) in FLAG_JSON_FIELDS {
            if Some(*f) != flag {
                continue;
            }
            let Some((number, start, end)) = json_number(&value, path) else {
                continue;
            };
            self.set(var, Value::Text(number.clone()), from, None);
            if self.values.get(*var).map(|(v, _)| v) == Some(&Value::Text(number)) {
                value.replace_range(start..end, &token(var));
            }
        }
        value
    }

    /// The variable a flag's value goes to: the common one while the stages agree, the
    /// stage's own when they differ; `None` when neither can carry it.
    fn flag_var(
        &mut self,
        flag: &super::rules::Flag,
        up: &str,
        value: &str,
        from: &[Item<'a>],
    ) -> Option<String> {
        let stage_var = flag
            .stage
            .map(|s| format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_{s}"));
        let text = Value::Text(value.to_string());
        let var = match flag.common {
            Some(common) if self.values.get(common).is_none_or(|(v, _)| *v == text) => {
                common.to_string()
            }
            Some(_) => stage_var?,
            None => stage_var?,
        };
        self.set(&var, text, from, None);
        Some(var)
    }

    /// True when setup/env.sh defines every variable of a pair (command and its args, plugins
    /// file and its content); otherwise the items are reported and nothing half is written.
    fn knows_all(&mut self, vars: &[&str], items: &[Item<'a>]) -> bool {
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

    fn fates_all(&mut self, items: &[Item<'a>], fate: Fate) {
        for item in items {
            self.fate(*item, fate.clone());
        }
    }

    fn env_file(&mut self, stage: &str, env: Item<'a>) {
        let up = stage.to_ascii_uppercase();
        let var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_ENVVARS_TO_YAML");
        let Some(list) = env.node.as_seq() else {
            return self.fate(env, Fate::Unmapped("expected a list of env entries".into()));
        };
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
            // A name the benchmark also sets from a variable (BENCH_ENV; APPENDED_ENV where the
            // checkout appends it) is written as that variable's token, the variable carrying
            // the guide's value: the benchmark's own entry, which comes later, then agrees.
            let appended = APPENDED_ENV
                .iter()
                .find(|(n, v)| *n == name && self.defaults.is_known(v))
                .map(|(_, v)| v.to_string());
            let carried = BENCH_ENV.contains(&name.as_str()) || appended.is_some();
            let bench_var = appended.unwrap_or(format!("LLMDBENCH_VLLM_COMMON_{name}"));
            // A value that cannot be exported (see `refusal`) stays in the file as it is.
            let value = node.entry("value").filter(|e| {
                e.value
                    .as_scalar()
                    .is_some_and(|s| refusal(&bench_var, &s.value).is_none())
            });
            if carried && let Some(value) = value {
                let value_item = Item {
                    doc: env.doc,
                    key_line: Some(value.line),
                    node: &value.value,
                };
                let text = value
                    .value
                    .as_scalar()
                    .map(|s| s.value.clone())
                    .unwrap_or_default();
                self.set(&bench_var, Value::Text(text), &[value_item], None);
                out.push_str(&format!(
                    "- name: {name}\n  value: \"{}\"\n",
                    token(&bench_var)
                ));
                present.insert(name);
            } else {
                if BENCH_ENV.contains(&name.as_str()) {
                    // Written as the guide has it: the benchmark's own entry is not added.
                    present.insert(name);
                }
                out.push_str(&emit_item(node, &|_| None));
            }
            self.fate(item, Fate::Mapped(var.clone()));
        }
        if out.is_empty() {
            // Nothing of the guide's own is left: llm-d-benchmark's default list stays.
            return;
        }
        // This file replaces llm-d-benchmark's default env list: keep its entries.
        let missing: Vec<&&str> = BENCH_ENV
            .iter()
            .filter(|n| !present.contains(**n))
            .collect();
        if !missing.is_empty() {
            out.push_str("# llm-d-benchmark's own entries, which this file replaces\n");
            for name in missing {
                out.push_str(&format!(
                    "- name: {name}\n  value: \"{}\"\n",
                    token(&format!("LLMDBENCH_VLLM_COMMON_{name}"))
                ));
            }
        }
        let origins = self.origins(env);
        self.set_derived(&var, Value::File(out), origins, None);
    }

    fn volume_files(&mut self, stage: &str, volumes: Option<Item<'a>>, mounts: Option<Item<'a>>) {
        let up = stage.to_ascii_uppercase();
        let shm_var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_SHM_MEM");
        let shm_names: Vec<String> = mounts
            .and_then(|m| m.node.as_seq())
            .unwrap_or_default()
            .iter()
            .filter(|m| m.get("mountPath").and_then(|p| p.as_str()) == Some("/dev/shm"))
            .filter_map(|m| m.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect();
        if let Some(volumes) = volumes {
            let mut tokens: HashMap<usize, String> = HashMap::new();
            for v in volumes.node.as_seq().unwrap_or_default() {
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
            let var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_VOLUMES");
            self.list_file(&var, volumes, &|id| tokens.get(&id).cloned());
        }
        if let Some(mounts) = mounts {
            let var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_VOLUME_MOUNTS");
            self.list_file(&var, mounts, &|_| None);
        }
    }

    /// A YAML list file of the guide's items, but those refused (see [`Mapper::refuse_tokens`]).
    fn list_file(&mut self, var: &str, list: Item<'a>, token: &dyn Fn(usize) -> Option<String>) {
        let text = match list.node.as_seq() {
            Some(items) if !items.is_empty() => {
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

    fn container_config_file(&mut self, stage: &str, fields: &[(String, Item<'a>)]) {
        if fields.is_empty() {
            return;
        }
        let var = format!(
            "LLMDBENCH_VLLM_MODELSERVICE_{}_EXTRA_CONTAINER_CONFIG",
            stage.to_ascii_uppercase()
        );
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

    /// `pluginsConfigFile` names the EPP configuration; `pluginsCustomConfig` may hold it.
    pub(super) fn finish_plugins(&mut self) {
        let file = self
            .collected
            .remove("inferenceExtension.pluginsConfigFile");
        let custom = self
            .collected
            .remove("inferenceExtension.pluginsCustomConfig");
        let present: Vec<Item<'a>> = [file, custom].into_iter().flatten().collect();
        if custom.is_some() && !self.knows_all(&[PLUGINS_FILE, PLUGINS_CUSTOM], &present) {
            return;
        }
        let chosen = file.and_then(|f| f.node.as_str()).map(str::to_string);
        let mut used = false;
        if let Some(custom) = custom {
            let entries = custom.node.as_map().unwrap_or_default();
            for e in entries {
                let item = Item {
                    doc: custom.doc,
                    key_line: Some(e.line),
                    node: &e.value,
                };
                let selected = chosen.as_deref() == Some(e.key.as_str())
                    || (chosen.is_none() && entries.len() == 1);
                let Some(content) = e.value.as_str().filter(|_| selected) else {
                    self.fate(
                        item,
                        Fate::Unmapped("pluginsConfigFile selects another plugins file".into()),
                    );
                    continue;
                };
                if self.refuse_tokens(item) {
                    continue;
                }
                if let Some(why) = plugins_refusal(&e.key, content) {
                    self.warnings.push(format!(
                        "GAIE plugins {}: {why}",
                        crate::error::excerpt(&e.key, 60)
                    ));
                    self.fate(item, Fate::Unmapped(why));
                    continue;
                }
                // A preset of the same name would win over the custom content.
                let (name, note) = if self.options.gaie_presets.contains(&e.key) {
                    let renamed = format!("{}-{}", self.guide_name, e.key);
                    let note = format!(
                        "renamed from {}: llm-d-benchmark has a preset of that name, which would replace the guide's configuration",
                        e.key
                    );
                    (renamed, Some(note))
                } else {
                    (e.key.clone(), None)
                };
                let (content, coupled) = self.coupled_plugins(&name, content);
                let content = content.as_str();
                let mut text = format!("{name}: {}\n", block_header(content));
                for line in content.lines() {
                    if line.is_empty() {
                        text.push('\n');
                    } else {
                        text.push_str(&format!("  {line}\n"));
                    }
                }
                match file {
                    Some(f) => self.set(PLUGINS_FILE, Value::Text(name), &[f], note),
                    None => self.set_derived(PLUGINS_FILE, Value::Text(name), Vec::new(), note),
                }
                self.fate(item, Fate::Mapped(PLUGINS_CUSTOM.into()));
                let origins = self.origins(item);
                let note = (!coupled.is_empty()).then(|| {
                    format!(
                        "{}, so a sweep keeps the scheduler and vLLM in step",
                        coupled.join(", ")
                    )
                });
                self.set_derived(PLUGINS_CUSTOM, Value::File(text), origins, note);
                used = true;
            }
            if !used && entries.is_empty() {
                self.fate(custom, Fate::Framework("empty".into()));
            }
        }
        if let (false, Some(f), Some(name)) = (used, file, chosen) {
            // llm-d-benchmark looks the name up under setup/presets/gaie/: a plain name only.
            if let Some(why) = plugins_refusal(&name, "") {
                self.warnings.push(format!(
                    "GAIE plugins {}: {why}",
                    crate::error::excerpt(&name, 60)
                ));
                self.fate(f, Fate::Unmapped(why));
                return;
            }
            self.set(PLUGINS_FILE, Value::Text(name), &[f], None);
        }
    }
}

/// Notes on what a command line was changed in, as one export note.
fn join_notes(notes: Vec<String>) -> Option<String> {
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The port token vLLM listens on, given whether it sits behind the routing sidecar.
fn port_token(behind_sidecar: bool) -> String {
    token(if behind_sidecar {
        "LLMDBENCH_VLLM_COMMON_METRICS_PORT"
    } else {
        "LLMDBENCH_VLLM_COMMON_INFERENCE_PORT"
    })
}

/// The value text of `key: value` on `line` when it is exactly `scalar` (plain or quoted).
fn value_at<'l>(line: &'l str, key: &str, scalar: &str) -> Option<(usize, &'l str)> {
    let at = line.find(&format!("{key}:"))? + key.len() + 1;
    let rest = line[at..].trim();
    let quoted = [format!("\"{scalar}\""), format!("'{scalar}'")];
    (rest == scalar || quoted.iter().any(|q| q == rest)).then_some((at, rest))
}

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
                self.warnings.push(format!(
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
        self.warnings.push(format!(
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
                self.warnings.push(format!(
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

    /// A stage that transfers KV with NIXL but leaves UCX's transports to UCX: a checkout
    /// that appends `UCX_TLS` (2026-03-30) then holds NIXL to its own default list.
    fn appended_ucx(&mut self, stage: &str) {
        const VAR: &str = "LLMDBENCH_VLLM_COMMON_UCX_TLS";
        if !self.defaults.is_known(VAR) || self.values.contains_key(VAR) {
            return;
        }
        let up = stage.to_ascii_uppercase();
        let nixl = match self
            .exports
            .iter()
            .find(|e| e.var == format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_ARGS"))
            .map(|e| &e.value)
        {
            Some(Value::Command(lines)) => lines.iter().any(|l| l.contains("NixlConnector")),
            _ => false,
        };
        if nixl {
            let default = self
                .defaults
                .get(VAR)
                .map(|d| match d {
                    crate::defaults::DefaultValue::Value(v)
                    | crate::defaults::DefaultValue::Dynamic(v) => v.clone(),
                })
                .unwrap_or_default();
            self.warnings.push(format!(
                "{stage}: the guide leaves UCX_TLS to UCX, but {} appends UCX_TLS from {VAR} (default {default}) to every pod: NIXL is held to those transports; export {VAR} to choose",
                self.defaults.describe()
            ));
        }
    }

    /// A custom command line made to run in llm-d-benchmark's pod: `--port` on the port the
    /// benchmark routes to, `--block-size` as its variable's token, the KV-events publisher
    /// pointed at the benchmark's EPP, and values written without backslashes (step 09
    /// deletes those of the last argument). The line and notes on what changed.
    fn custom_line(
        &mut self,
        stage: &str,
        line: String,
        nodes: &[Item<'a>],
    ) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        let Some(words) = shell_words(&line) else {
            return (line, notes);
        };
        let model = match self.values.get(MODEL_LIST) {
            Some((Value::Text(m), _)) => Some(m.clone()),
            _ => None,
        };
        let up = stage.to_ascii_uppercase();
        let behind_sidecar = stage == "decode" && !self.routing_sidecar_off();
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut k = 0;
        while k < words.len() {
            let w = &words[k];
            k += 1;
            let Some(pieces) = &w.pieces else {
                continue;
            };
            // `--flag=value` (in one word) or `--flag value`.
            let (flag, value, span, prefix) = match pieces.first() {
                Some(super::vllm::Piece::Lit(t)) if t.starts_with("--") && t.contains('=') => {
                    let (f, v) = t.split_once('=').unwrap_or_default();
                    let mut value = pieces.clone();
                    value[0] = super::vllm::Piece::Lit(v.to_string());
                    if v.is_empty() {
                        value.remove(0);
                    }
                    (f.to_string(), value, (w.start, w.end), format!("{f}="))
                }
                Some(super::vllm::Piece::Lit(t)) if t.starts_with("--") && pieces.len() == 1 => {
                    let is_value = |p: &Vec<super::vllm::Piece>| match p.first() {
                        Some(super::vllm::Piece::Lit(t)) => !t.starts_with("--"),
                        _ => true,
                    };
                    match words.get(k) {
                        Some(next) if next.pieces.as_ref().is_some_and(is_value) => {
                            k += 1;
                            (
                                t.clone(),
                                next.pieces.clone().unwrap_or_default(),
                                (next.start, next.end),
                                String::new(),
                            )
                        }
                        _ => continue,
                    }
                }
                _ => {
                    if line[w.start..w.end].contains('\\') {
                        edits.push((w.start, w.end, encode_word(pieces)));
                    }
                    continue;
                }
            };
            let raw = &line[span.0..span.1];
            let number = match value.as_slice() {
                [super::vllm::Piece::Lit(t)] if t.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(t.clone())
                }
                _ => None,
            };
            let canonical = flag.replace('_', "-");
            let new = match (canonical.as_str(), number) {
                ("--port", Some(n)) => {
                    notes.push(format!(
                        "--port {n} becomes the port llm-d-benchmark routes to{}",
                        if behind_sidecar {
                            " (its routing sidecar listens on the inference port)"
                        } else {
                            ""
                        }
                    ));
                    Some(port_token(behind_sidecar))
                }
                ("--block-size", Some(n)) => {
                    // Cite the node the flag is written in (the script), not the whole command.
                    let from: Vec<Item<'a>> = nodes
                        .iter()
                        .filter(|i| i.node.as_str().is_some_and(|t| t.contains(&flag)))
                        .copied()
                        .collect();
                    FLAGS
                        .iter()
                        .find(|f| f.name == "--block-size")
                        .and_then(|f| self.flag_var(f, &up, &n, &from))
                        .map(|var| token(&var))
                }
                ("--kv-events-config", _) => {
                    let edited = pieces_text(&value)
                        .and_then(|t| kv_events_json(&t, model.as_deref()))
                        .map(|(t, changed)| {
                            notes.extend(changed);
                            text_pieces(&t)
                        });
                    match edited {
                        Some(p) => Some(encode_word(&p)),
                        None if raw.contains('\\') => Some(encode_word(&value)),
                        None => None,
                    }
                }
                _ if raw.contains('\\') => Some(encode_word(&value)),
                _ => None,
            };
            if let Some(new) = new {
                edits.push((span.0, span.1, format!("{prefix}{new}")));
            }
        }
        let mut line = line;
        for (start, end, new) in edits.into_iter().rev() {
            line.replace_range(start..end, &new);
        }
        if line
            .rsplit("--")
            .next()
            .is_some_and(|last| last.contains('\\'))
        {
            self.warnings.push(format!(
                "{stage}: the custom command's last argument holds a backslash, which llm-d-benchmark's step 09 deletes"
            ));
        }
        (line, notes)
    }

    /// The scheduler's copies of vLLM values in a plugin configuration (`blockSize`, the
    /// tokenizer's `modelName`) written as the tokens of the variables that set vLLM's, so
    /// that they stay equal when an experiment sweeps them; `hashSeed` is compared with the
    /// guide's PYTHONHASHSEED (no variable sets that). The model servers' side of block size
    /// and hash seed is the deployment's (`Deployment::coupled`); the tokenizer's model is
    /// compared with the model the scenario deploys (LLMDBENCH_DEPLOY_MODEL_LIST, which a
    /// custom command may have set). The content and notes.
    fn coupled_plugins(&mut self, name: &str, content: &str) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        let Ok(doc) = crate::yaml::parse_one(name, content) else {
            return (content.to_string(), notes);
        };
        let text_of = |v: Option<&(Value, String)>| match v {
            Some((Value::Text(t), _)) => Some(t.clone()),
            _ => None,
        };
        let servers = |c: &Option<crate::model::Coupled<String>>| {
            c.as_ref()
                .and_then(|c| c.servers.as_ref())
                .map(|s| s.value.clone())
        };
        let coupled = &self.dep.coupled;
        // The token only where the variable carries vLLM's value. A command the model keeps
        // as a script (`set -x; exec vllm serve ...`) states its block size only to the
        // custom command's own reading, which set the variable.
        let block_var = text_of(self.values.get(BLOCK_SIZE));
        let block = servers(&coupled.block_size).or_else(|| block_var.clone());
        let model = text_of(self.values.get(MODEL_LIST));
        let seed = servers(&coupled.hash_seed);
        let mut found: Vec<(usize, String, String)> = Vec::new();
        doc.root.walk(|n| {
            for e in n.as_map().unwrap_or_default() {
                if let Some(s) = e.value.as_scalar()
                    && matches!(e.key.as_str(), "blockSize" | "modelName" | "hashSeed")
                    && e.line == e.value.end_line
                {
                    found.push((e.line, e.key.clone(), s.value.clone()));
                }
            }
        });
        let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
        for (line_no, key, value) in found {
            let Some(line) = lines.get_mut(line_no.wrapping_sub(1)) else {
                continue;
            };
            let replacement = match key.as_str() {
                "blockSize" => match &block {
                    Some(b) if *b == value => {
                        (block_var.as_ref() == Some(b)).then(|| token(BLOCK_SIZE))
                    }
                    Some(b) => {
                        self.warnings.push(format!(
                            "GAIE plugins {name}: the scheduler's blockSize {value} differs from vLLM's --block-size {b}: prefix-cache hits will not match"
                        ));
                        None
                    }
                    None => None,
                },
                "modelName" => match &model {
                    Some(m) => {
                        if *m != value {
                            self.warnings.push(format!(
                                "GAIE plugins {name}: the scheduler's tokenizer model {value} is not the model vLLM serves ({m}); the scenario gives it the deployed model"
                            ));
                        }
                        Some(format!("\"{}\"", token(MODEL_LIST)))
                    }
                    None => None,
                },
                _ => {
                    if seed.as_deref() != Some(value.as_str()) {
                        self.warnings.push(format!(
                            "GAIE plugins {name}: the scheduler's hashSeed {value} is not vLLM's PYTHONHASHSEED ({}): prefix-cache hashes will not match",
                            seed.as_deref().unwrap_or("unset")
                        ));
                    }
                    None
                }
            };
            if let Some(new) = replacement
                && let Some((at, rest)) = value_at(line, &key, &value)
            {
                notes.push(format!("{key} follows {}", new.trim_matches('"')));
                let tail = line[at..].replacen(rest, &new, 1);
                line.replace_range(at.., &tail);
            }
        }
        let mut out = lines.join("\n");
        if content.ends_with('\n') {
            out.push('\n');
        }
        (out, notes)
    }
}

/// Why a custom plugins configuration cannot be written as the `<name>: |` block
/// llm-d-benchmark reads, if it cannot.
fn plugins_refusal(name: &str, content: &str) -> Option<String> {
    let plain_name = !name.is_empty()
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain_name {
        return Some(format!(
            "refused: the plugins file name {} is not a plain file name (letters, digits, . _ -)",
            crate::error::excerpt(name, 60)
        ));
    }
    if content.chars().any(is_deceptive) {
        return Some(
            "not expressible: control or bidirectional characters cannot be written in the YAML block llm-d-benchmark reads"
                .into(),
        );
    }
    None
}

/// `|`, with the indentation indicator when the content's first line starts with blanks
/// (or is empty) and the chomping indicator when its final line breaks are not exactly
/// one, so the block reads back as exactly the content.
fn block_header(content: &str) -> String {
    let plain_start = content
        .chars()
        .next()
        .is_some_and(|c| !matches!(c, ' ' | '\t' | '\n'));
    let indent = if plain_start { "" } else { "2" };
    let chomp = if !content.ends_with('\n') {
        "-"
    } else if content.ends_with("\n\n") || content == "\n" {
        "+"
    } else {
        ""
    };
    format!("|{indent}{chomp}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_one;

    #[test]
    fn image_default_args_in_the_list_form_step_09_renders() {
        let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(bracket_list(&[]).as_deref(), Ok(""));
        assert_eq!(
            bracket_list(&lines(&["--block-size 128", "--enforce-eager"])).as_deref(),
            Ok("[--block-size____128____--enforce-eager]\n")
        );
        // What step 09 would split or quote wrongly is refused, with the word.
        for bad in [
            "--a 'x y'",
            "--a \"q\"",
            "positional",
            "--a b c",
            "--a --b",
            "--a [x]",
        ] {
            assert!(bracket_list(&lines(&[bad])).is_err(), "{bad}");
        }
    }

    /// The block written for `content` reads back as exactly `content`.
    fn round_trip(content: &str) -> String {
        let mut text = format!("p.yaml: {}\n", block_header(content));
        for line in content.lines() {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("  {line}\n"));
            }
        }
        let doc = parse_one("t", &text).unwrap_or_else(|e| panic!("{content:?}: {e}\n{text}"));
        doc.root
            .get("p.yaml")
            .and_then(|n| n.as_scalar())
            .map(|s| s.value.clone())
            .unwrap_or_default()
    }

    #[test]
    fn plugin_blocks_read_back_exactly() {
        assert_eq!(block_header("a: 1\n"), "|");
        for content in [
            "a: 1\n",
            "  indented: first\nb: 2\n",
            "\n\nlate: start\n",
            "no final newline",
            "two\n\n",
            "\n",
            "",
            "\tx\n",
            "   \n x\n",
            "---\n...\n# not a comment\n",
        ] {
            assert_eq!(round_trip(content), content, "{content:?}");
        }
    }

    #[test]
    fn plugin_configs_that_cannot_be_written_are_refused() {
        assert!(plugins_refusal("custom.yaml", "a: 1\n").is_none());
        assert!(plugins_refusal("../x.yaml", "a").is_some());
        assert!(plugins_refusal("x y.yaml", "a").is_some());
        assert!(plugins_refusal("x.yaml", "a\r\nb").is_some());
        assert!(plugins_refusal("x.yaml", "# \u{202e}evil").is_some());
    }

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
