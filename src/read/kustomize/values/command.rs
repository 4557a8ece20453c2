//! The vLLM container's command: its shell script read ([`crate::shell`]) into the model,
//! the flags as `args` and the setup commands, with the values of the container's env.

use super::*;

impl Extractor<'_> {
    /// Replace the container's `command`/`args` by what the benchmark needs: `modelCommand`,
    /// `args` and `scriptSetup`; returns the model and its entry for `modelArtifacts`.
    pub(super) fn command(
        &mut self,
        stage: &str,
        container: &mut Node,
        env: &mut EnvCtx,
        want_model: bool,
    ) -> Option<(String, Entry)> {
        let command = take(container, &["command"]);
        let args = take(container, &["args"]);
        let words = |e: &Option<Entry>| -> Vec<Node> {
            e.as_ref()
                .and_then(|e| e.value.as_seq())
                .map(|s| s.to_vec())
                .unwrap_or_default()
        };
        let (cmd, arg) = (words(&command), words(&args));
        let all: Vec<Node> = cmd.iter().chain(&arg).cloned().collect();
        let strings: Vec<Option<&str>> = all.iter().map(Node::as_str).collect();
        // `sh -c SCRIPT`: the script is the last word after -c.
        let shell_at = strings.iter().position(|s| *s == Some("-c"));
        let is_shell = shell_at.is_some_and(|i| {
            i >= 1 && strings[i - 1].is_some_and(|s| s.ends_with("sh")) && i + 2 == all.len()
        });
        let outcome = if is_shell {
            let script = all[all.len() - 1].clone();
            self.script(stage, &script, env, want_model)
        } else if command.is_none() && args.is_none() {
            None
        } else {
            self.argv(&all, env, want_model)
        };
        match outcome {
            Some(plain) => self.write_plain(container, plain),
            None => {
                // Kept as written: a custom command (or the image's own, with its args).
                let first = command.as_ref().or(args.as_ref()).map(|e| e.value.clone());
                if let Some(at) = first {
                    let mode = if command.is_some() {
                        "custom"
                    } else {
                        "imageDefault"
                    };
                    let node = self.scalar(mode, &at, at.line, at.line);
                    push(
                        container,
                        Entry {
                            key: "modelCommand".into(),
                            line: at.line,
                            value: node,
                        },
                    );
                }
                for e in [command, args].into_iter().flatten() {
                    push(container, e);
                }
                if is_shell {
                    self.warnings.push(format!(
                        "{stage}: the container's script is not a plain `vllm serve` command (see the notes): it is kept whole as a custom command"
                    ));
                }
                None
            }
        }
    }

    /// A plain launch written into the container: `modelCommand`, `scriptSetup`, `args`.
    fn write_plain(&mut self, container: &mut Node, plain: Plain) -> Option<(String, Entry)> {
        let Plain {
            model_command,
            span,
            args: items,
            setup,
            model,
        } = plain;
        let model_command_src = model_command.src;
        push(
            container,
            Entry {
                key: "modelCommand".into(),
                line: model_command.line,
                value: model_command,
            },
        );
        if !setup.is_empty() {
            let at = setup[0].clone();
            let seq = self.seq(setup, &at);
            push(
                container,
                Entry {
                    key: "scriptSetup".into(),
                    line: at.line,
                    value: seq,
                },
            );
        }
        let at = items.first().cloned().unwrap_or_else(|| {
            container
                .get("modelCommand")
                .cloned()
                .unwrap_or_else(|| container.clone())
        });
        if !items.is_empty() {
            let mut seq = self.seq(items, &at);
            if let Some((a, b)) = span {
                // The command's own lines, not those of env entries its words cite.
                (seq.src, seq.line, seq.end_line) = (model_command_src, a, b);
            }
            let line = seq.line;
            push(
                container,
                Entry {
                    key: "args".into(),
                    line,
                    value: seq,
                },
            );
        }
        model
    }

    /// A command given as words (no shell): `vllm serve MODEL FLAGS`.
    fn argv(&mut self, all: &[Node], env: &EnvCtx, want_model: bool) -> Option<Plain> {
        let text = |i: usize| all.get(i).and_then(Node::as_str).unwrap_or_default();
        let start = if text(0).rsplit('/').next() == Some("vllm") && text(1) == "serve" {
            2
        } else {
            return None;
        };
        let mut model_command = all[0].clone();
        model_command.kind = Kind::Scalar(Scalar {
            value: "vllmServe".into(),
            plain: false,
        });
        if all[1].src == all[0].src {
            model_command.end_line = model_command.end_line.max(all[1].end_line);
        }
        let mut rest: Vec<Node> = all[start..].to_vec();
        for n in &mut rest {
            // Kubernetes expands $(VAR) in command and args from the container's env.
            if let Some(s) = n.as_scalar().map(|s| s.value.clone())
                && let Some(expanded) = env.kubernetes(&s)
            {
                n.kind = Kind::Scalar(Scalar {
                    value: expanded,
                    plain: false,
                });
            }
        }
        let model = self.model_of(&mut rest, want_model);
        Some(Plain {
            model_command,
            span: None,
            args: rest,
            setup: Vec::new(),
            model,
        })
    }

    /// Take the model out of a flag list: the first positional word, or `--model X`.
    fn model_of(&mut self, items: &mut Vec<Node>, want_model: bool) -> Option<(String, Entry)> {
        let is_flag = |n: &Node| n.as_str().is_some_and(|s| s.starts_with('-'));
        let pos = match items.first() {
            Some(n) if n.as_str().is_some() && !is_flag(n) => Some(0),
            _ => items
                .iter()
                .position(|n| n.as_str() == Some("--model"))
                .map(|i| i + 1)
                .filter(|i| {
                    items
                        .get(*i)
                        .is_some_and(|n| n.as_str().is_some() && !is_flag(n))
                }),
        }?;
        let name = items[pos].as_str()?.to_string();
        if !want_model {
            // Another stage named the model: here it stays a word of the command, which the
            // mapping reports as llm-d-benchmark's (it serves its own copy of the model).
            return None;
        }
        let node = items.remove(pos);
        Some((
            name,
            Entry {
                key: "name".into(),
                line: node.line,
                value: node,
            },
        ))
    }

    /// A shell script: plain when it is setup commands, then `[exec] vllm serve ...`.
    fn script(
        &mut self,
        stage: &str,
        script: &Node,
        env: &mut EnvCtx,
        want_model: bool,
    ) -> Option<Plain> {
        let text = script.as_str()?;
        let commands = match shell::parse(text) {
            Ok(c) => c,
            Err(why) => {
                self.warnings.push(format!(
                    "{stage}: the container's script cannot be read ({why}); it is kept whole"
                ));
                return None;
            }
        };
        let lines = LineMap::new(self.sources, script, text);
        let (launch, setup) = commands.split_last()?;
        let words = vllm_words(launch)?;
        if launch.compound
            || launch.redirect
            || launch.sep != ";"
            || setup.iter().any(|c| c.compound || c.multiline)
        {
            return None;
        }
        // Setup commands run before vLLM: assignments among them are known to later words
        // only when their value is.
        let mut setup_nodes = Vec::new();
        for c in setup {
            let (a, b) = lines.range(c.line, c.end_line);
            let sep = match c.sep {
                ";" => ";",
                "&&" => " &&",
                "||" => " ||",
                "|" => " |",
                _ => return None,
            };
            setup_nodes.push(self.scalar(&format!("{}{sep}", c.text), script, a, b));
            env.assign(c);
        }
        let exec_at = launch.words.iter().position(|w| w.text == "vllm")?;
        let first = &launch.words[0];
        let serve = &launch.words[exec_at + 1];
        let (a, _) = lines.range(first.line, first.line);
        let (_, b) = lines.range(serve.end_line, serve.end_line);
        let model_command = self.scalar("vllmServe", script, a, b);
        let mut items = Vec::new();
        for w in &words[exec_at + 2..] {
            items.push(self.word(stage, w, env, script, &lines));
        }
        let model = self.model_of(&mut items, want_model);
        let last = launch.words.last().map_or(first.end_line, |w| w.end_line);
        Some(Plain {
            model_command,
            span: Some(lines.range(first.line, last)),
            args: items,
            setup: setup_nodes,
            model,
        })
    }

    /// One word of the vLLM command as an args item: its value when the env knows it
    /// (citing the env entry when the word is just that variable), else the word as shell text.
    fn word(
        &mut self,
        stage: &str,
        w: &Word,
        env: &EnvCtx,
        script: &Node,
        lines: &LineMap,
    ) -> Node {
        let (a, b) = lines.range(w.line, w.end_line);
        match shell::expand(w, &|n| env.value(n)) {
            Ok(Some(value)) => {
                let vars = shell::variables(w);
                let single = matches!(w.parts.as_slice(), [shell::Part::Var { .. }]);
                if let (true, [name]) = (single, vars.as_slice())
                    && let Some(at) = env.node(name)
                {
                    return self.scalar(&value, &at, at.line, at.end_line);
                }
                self.scalar(&value, script, a, b)
            }
            Ok(None) => self.shell_word(&w.text, script, a, b),
            Err(why) => {
                self.warnings
                    .push(format!("{stage}: {} is kept as written: {why}", w.text));
                self.shell_word(&w.text, script, a, b)
            }
        }
    }

    /// `{shell: TEXT}`: a word the pod's shell expands at run time.
    fn shell_word(&mut self, text: &str, at: &Node, a: usize, b: usize) -> Node {
        let value = self.scalar(text, at, a, b);
        Node {
            id: self.id(),
            src: at.src,
            line: a,
            end_line: b,
            column: 1,
            kind: Kind::Map(vec![Entry {
                key: "shell".into(),
                line: a,
                value,
            }]),
        }
    }
}

fn push(container: &mut Node, e: Entry) {
    if let Kind::Map(entries) = &mut container.kind {
        entries.push(e);
    }
}

/// A plain vLLM launch.
struct Plain {
    model_command: Node,
    /// Lines of the whole launch command (the `args` cite them), when known.
    span: Option<(usize, usize)>,
    args: Vec<Node>,
    setup: Vec<Node>,
    model: Option<(String, Entry)>,
}

/// The words of `[exec] vllm serve ...`, or `None` when the command is something else.
fn vllm_words(c: &Command) -> Option<&[Word]> {
    let texts: Vec<&str> = c.words.iter().map(|w| w.text.as_str()).collect();
    let at = usize::from(texts.first() == Some(&"exec"));
    (texts.get(at) == Some(&"vllm") && texts.get(at + 1) == Some(&"serve")).then_some(&c.words[..])
}

/// Script lines to file lines: one to one when the script is a literal block whose lines the
/// file shows; otherwise every word cites the whole script.
struct LineMap {
    first: usize,
    last: usize,
    exact: bool,
}

impl LineMap {
    fn new(sources: &[Doc], node: &Node, text: &str) -> LineMap {
        let exact = sources.get(node.src).is_some_and(|d| {
            text.lines().enumerate().all(|(i, l)| {
                d.lines(node.line + i, node.line + i)
                    .first()
                    .is_some_and(|f| f.trim() == l.trim())
            })
        });
        LineMap {
            first: node.line,
            last: node.end_line,
            exact,
        }
    }

    fn range(&self, a: usize, b: usize) -> (usize, usize) {
        if self.exact {
            (self.first + a, self.first + b.max(a))
        } else {
            (self.first, self.last)
        }
    }
}

/// The container's env as the script sees it: literal values (Kubernetes `$(VAR)` references
/// to earlier entries resolved), LeaderWorkerSet's `LWS_GROUP_SIZE`, and setup assignments.
pub(super) struct EnvCtx {
    vars: Vec<(String, Option<String>, Option<Node>)>,
}

impl EnvCtx {
    pub(super) fn of(container: &Node, group_size: Option<&Node>) -> EnvCtx {
        let mut ctx = EnvCtx { vars: Vec::new() };
        if let Some(size) = group_size
            && let Some(v) = size.as_str()
        {
            ctx.vars.push((
                "LWS_GROUP_SIZE".into(),
                Some(v.to_string()),
                Some(size.clone()),
            ));
        }
        for item in container
            .get("env")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let Some(name) = item.get("name").and_then(Node::as_str) else {
                continue;
            };
            let value = item
                .get("value")
                .and_then(|v| v.as_scalar())
                .filter(|_| item.get("valueFrom").is_none())
                .map(|s| s.value.clone())
                .map(|v| ctx.kubernetes(&v).unwrap_or(v));
            ctx.vars.retain(|(n, _, _)| n != name);
            ctx.vars.push((name.to_string(), value, Some(item.clone())));
        }
        ctx
    }

    fn value(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, v, _)| v.clone())
    }

    fn node(&self, name: &str) -> Option<Node> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, n)| n.clone())
    }

    /// `$(VAR)` references Kubernetes expands (`$$` escapes); `None` when there are none.
    fn kubernetes(&self, text: &str) -> Option<String> {
        if !text.contains("$(") {
            return None;
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(r) = after.strip_prefix('$') {
                out.push('$');
                rest = r;
            } else if let Some(inner) = after.strip_prefix('(')
                && let Some(close) = inner.find(')')
                && let Some(v) = self.value(&inner[..close])
            {
                out.push_str(&v);
                rest = &inner[close + 1..];
            } else {
                out.push('$');
                rest = after;
            }
        }
        out.push_str(rest);
        Some(out)
    }

    /// A setup command `NAME=word`: NAME is known from then on when its word expands, and
    /// unknown (a run-time value) otherwise.
    fn assign(&mut self, c: &Command) {
        let [w] = c.words.as_slice() else {
            return;
        };
        let Some((name, _)) = w.text.split_once('=') else {
            return;
        };
        if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
            return;
        }
        let mut value_word = w.clone();
        let prefix = format!("{name}=");
        let value = match value_word.parts.first_mut() {
            Some(shell::Part::Lit(first)) if first.starts_with(&prefix) => {
                first.replace_range(..prefix.len(), "");
                shell::expand(&value_word, &|n| self.value(n))
                    .ok()
                    .flatten()
            }
            _ => None,
        };
        self.vars.push((name.to_string(), value, None));
    }
}
