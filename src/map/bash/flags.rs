//! The guide's flags on the command lines the bench runs: benchmark-owned flags reported,
//! flags with a variable written as its token, JSON numbers with a variable tokenized, and a
//! custom command line edited to run in the benchmark's pod.

use std::collections::BTreeSet;

use super::command::{Args, DECEPTIVE_COMMAND};
use super::rules::{FLAG_JSON_FIELDS, FLAGS, OWNED_FLAGS};
use super::stage::token;
use super::{Fate, Item, Mapper};
use crate::error::is_deceptive;
use crate::model::scenario::Value;
use crate::model::vllm::{
    Arg, Piece, Word, encode_word, kv_events_json, one_line, parse_marked, pieces_text, sh_word,
    shell_words, text_pieces,
};

use super::vars::{self, MODEL_LIST};

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

/// Notes on what a command line was changed in, as one export note.
pub(super) fn join_notes(notes: Vec<String>) -> Option<String> {
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The port token vLLM listens on, given whether it sits behind the routing sidecar.
pub(super) fn port_token(behind_sidecar: bool) -> String {
    token(if behind_sidecar {
        vars::METRICS_PORT
    } else {
        vars::INFERENCE_PORT
    })
}

/// A parsed flag (or positional word), its canonical spelling and the nodes it came from.
#[derive(Clone, Copy)]
struct Flagged<'f, 'a> {
    arg: &'f Arg,
    canonical: Option<&'f str>,
    from: &'f [Item<'a>],
}

/// A flag and its value in a command line: `--flag=value` (one word) or `--flag value`.
struct FlagWords {
    flag: String,
    value: Vec<Piece>,
    /// Where the value is written (the whole word for `--flag=value`).
    span: (usize, usize),
    /// What stays before the value in that span (`--flag=`, or nothing).
    prefix: String,
}

/// A word of a command line as [`Mapper::custom_line`] reads it.
enum Lexed<'w> {
    /// A flag with its value, and the number of words it takes.
    Flag(FlagWords, usize),
    /// A flag without a value.
    Bare,
    /// Any other word, by its pieces.
    Other(&'w [Piece]),
}

/// The word at `words[k]`: a flag with its value (in the word, or the next word), a flag
/// alone, or another word. Words without pieces (operators) are `Bare`.
fn lex_flag(words: &[Word], k: usize) -> Lexed<'_> {
    let w = &words[k];
    let Some(pieces) = &w.pieces else {
        return Lexed::Bare;
    };
    match pieces.first() {
        Some(Piece::Lit(t)) if t.starts_with("--") && t.contains('=') => {
            let (f, v) = t.split_once('=').unwrap_or_default();
            let mut value = pieces.clone();
            value[0] = Piece::Lit(v.to_string());
            if v.is_empty() {
                value.remove(0);
            }
            let flag = FlagWords {
                flag: f.to_string(),
                value,
                span: (w.start, w.end),
                prefix: format!("{f}="),
            };
            Lexed::Flag(flag, 1)
        }
        Some(Piece::Lit(t)) if t.starts_with("--") && pieces.len() == 1 => {
            let is_value = |p: &Vec<Piece>| match p.first() {
                Some(Piece::Lit(t)) => !t.starts_with("--"),
                _ => true,
            };
            match words.get(k + 1) {
                Some(next) if next.pieces.as_ref().is_some_and(is_value) => {
                    let flag = FlagWords {
                        flag: t.clone(),
                        value: next.pieces.clone().unwrap_or_default(),
                        span: (next.start, next.end),
                        prefix: String::new(),
                    };
                    Lexed::Flag(flag, 2)
                }
                _ => Lexed::Bare,
            }
        }
        _ => Lexed::Other(pieces),
    }
}

/// Whether llm-d-benchmark's own command line (`preamble`) already passes `flag`.
fn in_preamble(preamble: &[String], flag: &str) -> bool {
    preamble.iter().any(|l| l.starts_with(&format!("{flag} ")))
}

impl<'a> Mapper<'a> {
    /// The guide's flags as command lines: benchmark-owned ones reported, those with a
    /// variable written as its token, the rest kept verbatim; then the flags of swept
    /// variables the guide leaves out.
    pub(super) fn flag_lines(
        &mut self,
        stage: &str,
        args: &Args<'a>,
        preamble: &[String],
        notes: &mut Vec<String>,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        let mut seen = BTreeSet::new();
        for arg in parse_marked(&args.words, &args.shell) {
            let from: Vec<Item<'a>> = arg
                .items
                .iter()
                .filter_map(|i| args.nodes.get(*i).copied())
                .collect();
            let canonical = arg.canonical();
            if let Some(flag) = &canonical {
                seen.insert(flag.clone());
            }
            let mut refused = false;
            for item in &from {
                refused |= self.refuse_tokens(*item);
            }
            if refused {
                continue;
            }
            let shell_at = |i: &usize| args.shell.get(*i).copied().unwrap_or(false);
            let line = if arg.items.iter().any(shell_at) {
                self.shell_line(stage, args, &arg, &from)
            } else {
                let flag = Flagged {
                    arg: &arg,
                    canonical: canonical.as_deref(),
                    from: &from,
                };
                self.plain_line(stage, flag, preamble, notes)
            };
            lines.extend(line);
        }
        // Swept variables must reach vLLM even when the guide leaves the flag out.
        for flag in FLAGS {
            let var = flag
                .common
                .map(str::to_string)
                .or(flag.stage.map(|t| vars::stage(t, stage)));
            if let Some(var) = var
                && self.options.force.contains(&var)
                && !seen.contains(flag.name)
                && !in_preamble(preamble, flag.name)
            {
                lines.push(format!("{} {}", flag.name, token(&var)));
            }
        }
        lines
    }

    /// Shell text: the whole word as written, or a literal flag and its shell value.
    fn shell_line(
        &mut self,
        stage: &str,
        args: &Args<'a>,
        arg: &Arg,
        from: &[Item<'a>],
    ) -> Option<String> {
        let words = &args.words;
        let shell_at = |i: &usize| args.shell.get(*i).copied().unwrap_or(false);
        let line = match arg.items.as_slice() {
            [one] => words[*one].clone(),
            [f, v] if !shell_at(f) => format!("{} {}", sh_word(&words[*f]), words[*v]),
            items => items
                .iter()
                .map(|i| words[*i].clone())
                .collect::<Vec<_>>()
                .join(" "),
        };
        if line.chars().any(is_deceptive) {
            self.fates_all(from, Fate::Unmapped(DECEPTIVE_COMMAND.into()));
            return None;
        }
        self.fates_all(from, Fate::Mapped(vars::stage(vars::EXTRA_ARGS, stage)));
        Some(line)
    }

    /// A literal flag (or positional word): reported when llm-d-benchmark owns it, its
    /// variable's token when it has one, else written as the guide has it.
    fn plain_line(
        &mut self,
        stage: &str,
        f: Flagged<'_, 'a>,
        preamble: &[String],
        notes: &mut Vec<String>,
    ) -> Option<String> {
        let (arg, canonical, from) = (f.arg, f.canonical, f.from);
        let model = self.values.get(MODEL_LIST).map(|(v, _)| v.clone());
        if let Some((_, why)) = OWNED_FLAGS.iter().find(|(f, _)| Some(*f) == canonical) {
            self.fates_all(from, Fate::Framework((*why).into()));
            return None;
        }
        if canonical.is_none()
            && model.as_ref().is_some_and(|m| {
                Some(m) == arg.value.as_ref().map(|v| Value::Text(v.clone())).as_ref()
            })
        {
            self.fates_all(
                from,
                Fate::Framework(
                    "llm-d-benchmark serves the model from /model-cache/models/<model>".into(),
                ),
            );
            return None;
        }
        // A value reaches the command through a token only when it is one plain word:
        // llm-d-benchmark pastes the variable's value into `/bin/sh -c` unquoted.
        if let (Some(flag), Some(value)) =
            (FLAGS.iter().find(|f| Some(f.name) == canonical), &arg.value)
            && sh_word(value) == *value
            && let Some(var) = self.flag_var(flag, stage, value, from)
        {
            return (!in_preamble(preamble, flag.name))
                .then(|| format!("{} {}", flag.name, token(&var)));
        }
        let value = match arg.value.as_deref().map(one_line) {
            Some(None) => {
                self.fates_all(from, Fate::Unmapped("not expressible: a value with line breaks or NUL characters cannot go on the one-line command llm-d-benchmark needs".into()));
                return None;
            }
            // Tokens of FLAG_JSON_FIELDS go in after the check below.
            Some(Some(v)) => Some(v),
            None => None,
        };
        // (Guide text holding REPLACE_ENV_ was refused above; tokens of FLAG_JSON_FIELDS
        // are the converter's own.)
        let value = value.map(|v| {
            let v = match (canonical, &model) {
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
            sh_word(&self.json_fields(canonical, v, from))
        });
        let line = match (&arg.flag, value) {
            (Some(f), Some(v)) => format!("{} {v}", sh_word(f)),
            (Some(f), None) => sh_word(f),
            (None, Some(v)) => v,
            (None, None) => return None,
        };
        if line.chars().any(is_deceptive) {
            self.fates_all(from, Fate::Unmapped(DECEPTIVE_COMMAND.into()));
            return None;
        }
        self.fates_all(from, Fate::Mapped(vars::stage(vars::EXTRA_ARGS, stage)));
        Some(line)
    }

    /// Numbers inside a JSON flag value that have a benchmark variable (rules::FLAG_JSON_FIELDS)
    /// become that variable's token, and the variable is exported.
    pub(super) fn json_fields(
        &mut self,
        flag: Option<&str>,
        value: String,
        from: &[Item<'a>],
    ) -> String {
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
    pub(super) fn flag_var(
        &mut self,
        flag: &super::rules::Flag,
        stage: &str,
        value: &str,
        from: &[Item<'a>],
    ) -> Option<String> {
        let stage_var = flag.stage.map(|t| vars::stage(t, stage));
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

    /// A custom command line made to run in llm-d-benchmark's pod: `--port` on the port the
    /// benchmark routes to, `--block-size` as its variable's token, the KV-events publisher
    /// pointed at the benchmark's EPP, and values written without backslashes (step 09
    /// deletes those of the last argument). The line and notes on what changed.
    pub(super) fn custom_line(
        &mut self,
        stage: &str,
        line: String,
        nodes: &[Item<'a>],
    ) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        let Some(words) = shell_words(&line) else {
            return (line, notes);
        };
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut k = 0;
        while k < words.len() {
            let w = &words[k];
            match lex_flag(&words, k) {
                Lexed::Flag(f, used) => {
                    k += used;
                    let raw = &line[f.span.0..f.span.1];
                    if let Some(new) = self.flag_edit(stage, &f, raw, nodes, &mut notes) {
                        edits.push((f.span.0, f.span.1, format!("{}{new}", f.prefix)));
                    }
                }
                Lexed::Bare => k += 1,
                Lexed::Other(pieces) => {
                    k += 1;
                    if line[w.start..w.end].contains('\\') {
                        edits.push((w.start, w.end, encode_word(pieces)));
                    }
                }
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
            self.warn(format!(
                "{stage}: the custom command's last argument holds a backslash, which llm-d-benchmark's step 09 deletes"
            ));
        }
        (line, notes)
    }

    /// What a flag's value in a custom command line becomes (`raw`: as written), if it
    /// changes.
    fn flag_edit(
        &mut self,
        stage: &str,
        f: &FlagWords,
        raw: &str,
        nodes: &[Item<'a>],
        notes: &mut Vec<String>,
    ) -> Option<String> {
        let number = match f.value.as_slice() {
            [Piece::Lit(t)] if t.bytes().all(|b| b.is_ascii_digit()) => Some(t.clone()),
            _ => None,
        };
        let canonical = f.flag.replace('_', "-");
        match (canonical.as_str(), number) {
            ("--port", Some(n)) => {
                let behind_sidecar = stage == "decode" && !self.routing_sidecar_off();
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
                    .filter(|i| i.node.as_str().is_some_and(|t| t.contains(&f.flag)))
                    .copied()
                    .collect();
                FLAGS
                    .iter()
                    .find(|f| f.name == "--block-size")
                    .and_then(|f| self.flag_var(f, stage, &n, &from))
                    .map(|var| token(&var))
            }
            ("--kv-events-config", _) => {
                let model = match self.values.get(MODEL_LIST) {
                    Some((Value::Text(m), _)) => Some(m.clone()),
                    _ => None,
                };
                let edited = pieces_text(&f.value)
                    .and_then(|t| kv_events_json(&t, model.as_deref()))
                    .map(|(t, changed)| {
                        notes.extend(changed);
                        text_pieces(&t)
                    });
                match edited {
                    Some(p) => Some(encode_word(&p)),
                    None if raw.contains('\\') => Some(encode_word(&f.value)),
                    None => None,
                }
            }
            _ if raw.contains('\\') => Some(encode_word(&f.value)),
            _ => None,
        }
    }
}
