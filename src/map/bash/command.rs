//! The vLLM command of a stage, in the three forms of `modelCommand`: vllmServe (written
//! out as the custom command llm-d-benchmark runs), imageDefault (the image's own command
//! with the guide's arguments) and custom (the guide's command line, made to run in the
//! benchmark's pod; see [`super::flags`]).

use super::flags::join_notes;
use super::stage::token;
use super::vars;
use super::{Fate, Item, Mapper, refusal};
use crate::error::is_deceptive;
use crate::model::scenario::Value;
use crate::model::vllm::{script_line, sh_word};

/// Why a command word or script with control or bidirectional characters is left out.
pub(super) const DECEPTIVE_COMMAND: &str = "not expressible: control or bidirectional characters cannot go on the command line (they would show other than they run)";

/// A command's arguments as words, the nodes they came from, and which are shell text.
pub(super) struct Args<'a> {
    pub words: Vec<String>,
    pub nodes: Vec<Item<'a>>,
    pub shell: Vec<bool>,
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

/// The guide's command of a stage: the nodes it is written in and its two variables.
pub(super) struct StageCommand<'a, 's> {
    pub stage: &'s str,
    pub model_command: Option<Item<'a>>,
    pub setup: Option<Item<'a>>,
    pub command: Option<Item<'a>>,
    pub args: Option<Item<'a>>,
    command_var: String,
    args_var: String,
    origins: Vec<crate::model::scenario::Origin>,
}

impl<'a> Mapper<'a> {
    /// The stage's command, by `modelCommand` (`model::Command::mode`): vllmServe when the
    /// guide gives args without one, else imageDefault.
    pub(super) fn command(
        &mut self,
        stage: &str,
        model_command: Option<Item<'a>>,
        setup: Option<Item<'a>>,
        command: Option<Item<'a>>,
        args: Option<Item<'a>>,
    ) {
        let command_var = vars::stage(vars::MODEL_COMMAND, stage);
        let args_var = vars::stage(vars::EXTRA_ARGS, stage);
        let typed_mode = self.stage_model(stage).command.as_ref().map(|c| &c.mode);
        let mode = model_command
            .and_then(|i| match typed_mode {
                Some(field) => self.text_of(field, i),
                None => i.node.as_str().map(str::to_string),
            })
            .unwrap_or_else(|| {
                if args.is_some() {
                    "vllmServe"
                } else {
                    "imageDefault"
                }
                .to_string()
            });
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
        let c = StageCommand {
            stage,
            model_command,
            setup,
            command,
            args,
            command_var,
            args_var,
            origins,
        };
        match mode.as_str() {
            "vllmServe" => self.vllm_serve(c),
            "imageDefault" => self.image_default(c),
            "custom" => self.custom_command(c),
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

    /// vllmServe: llm-d-benchmark's own command line with the guide's flags, written out as
    /// the custom command the benchmark runs.
    fn vllm_serve(&mut self, c: StageCommand<'a, '_>) {
        let mut lines = self.preamble(c.stage);
        let args = self.arg_items(c.args);
        let mut notes = Vec::new();
        lines.extend(self.flag_lines(c.stage, &args, &lines.clone(), &mut notes));
        // The guide's setup commands run after the benchmark's preprocess step.
        let setup = self.setup_lines(&c.args_var, c.setup);
        lines.splice(1..1, setup);
        let note = "the guide's vllmServe, written out as the custom command llm-d-benchmark runs"
            .to_string();
        self.set_from(&c.command_var, "custom", c.model_command, Some(note));
        self.set_derived(
            &c.args_var,
            Value::Command(lines),
            c.origins,
            join_notes(notes),
        );
    }

    /// imageDefault: the image's own command gets the guide's args, plus any swept flag, in
    /// the `[--flag____value]` list form step 09 renders as one argument per word. No args at
    /// all: an empty list, or llm-d-benchmark would pass its vLLM flags.
    fn image_default(&mut self, c: StageCommand<'a, '_>) {
        self.set_from(&c.command_var, "imageDefault", c.model_command, None);
        let args = self.arg_items(c.args);
        let arg_nodes = args.nodes.clone();
        let mut notes = Vec::new();
        let lines = self.flag_lines(c.stage, &args, &[], &mut notes);
        let (var, origins) = (&c.args_var, c.origins);
        match bracket_list(&lines) {
            Ok(list) if lines.is_empty() => {
                let note = "the guide passes no arguments to the image's own command: none, rather than llm-d-benchmark's vLLM flags".to_string();
                self.set_derived(var, Value::Text(list), origins, Some(note));
            }
            Ok(list) => {
                let note = "the arguments of the image's own command, in the `[--flag____value]` form step 09 turns into a list".to_string();
                self.set_derived(var, Value::File(list), origins, Some(note));
            }
            Err(why) => {
                let why = format!(
                    "not expressible: step 09 of llm-d-benchmark passes an image's own command only `--flag value` pairs of plain words, and {why}; the stage gets no arguments"
                );
                self.warn(format!("{}: {why}", c.stage));
                self.fates_all(&arg_nodes, Fate::Unmapped(why));
                self.set_derived(var, Value::Text(String::new()), origins, None);
            }
        }
    }

    /// custom: the guide's command and args as one command line (an `sh -c` script's line),
    /// made to run in llm-d-benchmark's pod ([`Mapper::custom_line`]).
    fn custom_command(&mut self, c: StageCommand<'a, '_>) {
        let stage = c.stage;
        let Args {
            mut words,
            mut nodes,
            ..
        } = self.arg_items(c.command);
        let more = self.arg_items(c.args);
        words.extend(more.words);
        nodes.extend(more.nodes);
        let mut refused = false;
        for n in &nodes {
            refused |= self.refuse_tokens(*n);
        }
        if refused {
            // The stage keeps llm-d-benchmark's own command.
            if let Some(m) = c.model_command {
                self.fate(m, Fate::Unmapped(super::TOKEN_REFUSED.into()));
            }
            return;
        }
        // `sh -c SCRIPT`: the script, on one line, is the command line itself.
        let line = match words.as_slice() {
            [sh, dash_c, script] if sh.ends_with("sh") && dash_c == "-c" => script_line(script),
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
            for n in nodes.into_iter().chain(c.model_command) {
                self.fate(n, Fate::Unmapped(why.into()));
            }
            self.warn(format!("{stage}: {why}"));
            return;
        };
        let (line, notes) = self.custom_line(stage, line, &nodes);
        self.fates_all(&nodes, Fate::Mapped(c.args_var.clone()));
        self.set_from(&c.command_var, "custom", c.model_command, None);
        self.served_model(stage, &line, &c.origins);
        self.set_derived(
            &c.args_var,
            Value::Command(vec![line]),
            c.origins,
            join_notes(notes),
        );
    }

    /// A custom command that serves a model when the guide names none (modelArtifacts):
    /// llm-d-benchmark must deploy, download and address that model, not its default.
    pub(super) fn served_model(
        &mut self,
        stage: &str,
        line: &str,
        origins: &[crate::model::scenario::Origin],
    ) {
        const VAR: &str = vars::MODEL_LIST;
        if self.values.contains_key(VAR) || self.exports.iter().any(|e| e.var == VAR) {
            return;
        }
        let Some(words) = crate::model::vllm::split_words(line) else {
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
    pub(super) fn set_from(
        &mut self,
        var: &str,
        value: &str,
        item: Option<Item<'a>>,
        note: Option<String>,
    ) {
        match item {
            Some(item) => self.set(var, Value::Text(value.into()), &[item], note),
            None => self.set_derived(var, Value::Text(value.into()), Vec::new(), note),
        }
    }

    /// The args as strings, with the node each came from. An item `{shell: TEXT}` is shell
    /// text the pod's shell expands (a kustomize guide's `$LWS_LEADER_ADDRESS`): kept as written.
    pub(super) fn arg_items(&mut self, args: Option<Item<'a>>) -> Args<'a> {
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
    pub(super) fn setup_lines(&mut self, args_var: &str, setup: Option<Item<'a>>) -> Vec<String> {
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
    pub(super) fn preamble(&self, stage: &str) -> Vec<String> {
        // Decode listens behind the routing sidecar (unless it is off); prefill is reached
        // directly.
        let port = if stage == "decode" && !self.routing_sidecar_off() {
            vars::METRICS_PORT
        } else {
            vars::INFERENCE_PORT
        };
        let of_stage = |template| token(&vars::stage(template, stage));
        let mut lines = vec![
            format!("{};", of_stage(vars::PREPROCESS)),
            format!(
                "vllm serve /model-cache/models/{}",
                token(vars::CURRENT_MODEL)
            ),
            format!("--served-model-name {}", token(vars::CURRENT_MODEL)),
            format!("--port {}", token(port)),
            format!(
                "--tensor-parallel-size {}",
                of_stage(vars::TENSOR_PARALLELISM)
            ),
        ];
        // The chart passes data parallelism on when the guide asks for more than one.
        let parallelism = &self.stage_model(stage).parallelism;
        for (value, flag, template) in [
            (
                &parallelism.data,
                "--data-parallel-size",
                vars::DATA_PARALLELISM,
            ),
            (
                &parallelism.data_local,
                "--data-parallel-size-local",
                vars::DATA_LOCAL_PARALLELISM,
            ),
        ] {
            if value
                .as_ref()
                .and_then(|v| v.value.parse::<u64>().ok())
                .is_some_and(|n| n > 1)
            {
                lines.push(format!("{flag} {}", of_stage(template)));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
