//! vLLM command lines: reading a guide's `args` in every spelling, and writing words for
//! the `/bin/sh -c` command line llm-d-benchmark runs.

/// One flag of a vLLM command line with its value, and which args items it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// `--max-model-len` as written (underscores kept); `None` for a positional word.
    pub flag: Option<String>,
    pub value: Option<String>,
    /// Indexes into the args list the flag and value came from.
    pub items: Vec<usize>,
}

impl Arg {
    /// The flag as vLLM reads it: `--max_model_len` and `--max-model-len` are one flag.
    pub fn canonical(&self) -> Option<String> {
        self.flag.as_ref().map(|f| {
            let dashes = f.len() - f.trim_start_matches('-').len();
            format!("{}{}", &f[..dashes], f[dashes..].replace('_', "-"))
        })
    }
}

/// Read args given as `--f=v`, as `--f` `v` (two items), or as one string `--f v --g`.
#[cfg(test)]
pub fn parse_args(items: &[String]) -> Vec<Arg> {
    parse_marked(items, &[])
}

/// [`parse_args`], where `shell[i]` marks item `i` as shell text: never split into words.
pub fn parse_marked(items: &[String], shell: &[bool]) -> Vec<Arg> {
    // Split strings that hold several words (`--f v`) into words, keeping the item index.
    let mut words: Vec<(String, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let is_shell = shell.get(i).copied().unwrap_or(false);
        if !is_shell
            && item.starts_with('-')
            && item.contains(char::is_whitespace)
            && !item.contains('\n')
        {
            match split_words(item) {
                Some(parts) => words.extend(parts.into_iter().map(|w| (w, i))),
                None => words.push((item.clone(), i)),
            }
        } else {
            words.push((item.clone(), i));
        }
    }
    let mut args = Vec::new();
    let mut k = 0;
    while k < words.len() {
        let (word, i) = &words[k];
        k += 1;
        if is_flag(word) {
            if let Some((flag, value)) = word.split_once('=') {
                args.push(Arg {
                    flag: Some(flag.into()),
                    value: Some(value.into()),
                    items: vec![*i],
                });
            } else if let Some((next, j)) = words.get(k).filter(|(w, _)| !is_flag(w)) {
                args.push(Arg {
                    flag: Some(word.clone()),
                    value: Some(next.clone()),
                    items: dedup(*i, *j),
                });
                k += 1;
            } else {
                args.push(Arg {
                    flag: Some(word.clone()),
                    value: None,
                    items: vec![*i],
                });
            }
        } else {
            args.push(Arg {
                flag: None,
                value: Some(word.clone()),
                items: vec![*i],
            });
        }
    }
    args
}

fn dedup(i: usize, j: usize) -> Vec<usize> {
    if i == j { vec![i] } else { vec![i, j] }
}

/// `--x` or `-x`, but not a negative number.
fn is_flag(word: &str) -> bool {
    word.starts_with('-')
        && word.len() > 1
        && !word[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// Split a string into words the way a shell would (quotes, backslashes); `None` if a quote
/// is left open.
pub fn split_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => cur.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => cur.push(c),
                            c => {
                                cur.push('\\');
                                cur.push(c);
                            }
                        },
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

/// A word for `/bin/sh -c`: bare when it holds only safe characters, else single-quoted.
pub fn sh_word(word: &str) -> String {
    crate::shell::quote::word(word)
}

/// A JSON value written over several lines (`--kv-events-config` in a YAML block) becomes
/// one line: newlines in JSON can only sit between tokens, so joining them keeps the value.
/// Anything else with a newline cannot go on one command line.
pub fn one_line(value: &str) -> Option<String> {
    if value.contains('\0') {
        return None;
    }
    if !value.contains(['\n', '\r']) {
        return Some(value.to_string());
    }
    let t = value.trim();
    let json = (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']'));
    json.then(|| {
        t.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// A shell script as one command line: `\`-continued lines are joined, whole-line comments
/// dropped, and other line breaks become `;` (or a space after `&&`, `|`, `then`, ...), which
/// is what they mean to the shell. `None` when quotes or a here-document span lines, since
/// joining those would change the script.
pub fn script_line(script: &str) -> Option<String> {
    if script.contains("<<") {
        return None;
    }
    let mut logical: Vec<String> = Vec::new();
    let mut current = String::new();
    for raw in script.lines() {
        let line = raw.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(line);
                logical.push(std::mem::take(&mut current).trim().to_string());
            }
        }
    }
    if !current.trim().is_empty() {
        logical.push(current.trim().to_string());
    }
    let mut out = String::new();
    for line in logical.iter().filter(|l| !l.is_empty()) {
        split_words(line)?;
        if !out.is_empty() {
            let joins = ["&&", "||", "|", ";", "then", "do", "else", "{", "("];
            out.push_str(if joins.iter().any(|j| out.ends_with(j)) {
                " "
            } else {
                "; "
            });
        }
        out.push_str(line);
    }
    (!out.is_empty()).then_some(out)
}

/// The token of the EPP service llm-d-benchmark deploys with the model (step 09 names it
/// `<model_id_label>-gaie-epp`).
pub const EPP_SERVICE_TOKEN: &str = "REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_SERVICE_NAME";
/// The token of the model step 09 is deploying (what vLLM serves).
pub const CURRENT_MODEL_TOKEN: &str = "REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL";

/// A `--kv-events-config` JSON value made to name what llm-d-benchmark deploys: a publisher
/// endpoint `tcp://<release>-epp...` (a guide's helmfile release, which the benchmark never
/// creates) names the benchmark's EPP service instead, and a topic `kv@<pod>@<model>` ends in
/// the deployed model. The new text and what changed; `None` when nothing did. Text that is
/// not JSON, or whose strings are escaped, is left alone.
pub fn kv_events_json(text: &str, model: Option<&str>) -> Option<(String, Vec<String>)> {
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut out = text.to_string();
    let mut changed = Vec::new();
    let replace_once = |out: &mut String, old: &str, new: &str| -> bool {
        let (Ok(old), Ok(new)) = (serde_json::to_string(old), serde_json::to_string(new)) else {
            return false;
        };
        let mut hits = out.match_indices(&old);
        match (hits.next(), hits.next()) {
            (Some((at, _)), None) => {
                out.replace_range(at..at + old.len(), &new);
                true
            }
            _ => false,
        }
    };
    if let Some(endpoint) = parsed.get("endpoint").and_then(|e| e.as_str())
        && let Some(rest) = endpoint.strip_prefix("tcp://")
    {
        let cut = rest.find(['.', ':']).unwrap_or(rest.len());
        let (service, tail) = rest.split_at(cut);
        if service.ends_with("-epp") && service != EPP_SERVICE_TOKEN {
            let new = format!("tcp://{EPP_SERVICE_TOKEN}{tail}");
            if replace_once(&mut out, endpoint, &new) {
                changed.push(format!(
                    "the KV-events endpoint names the EPP service llm-d-benchmark deploys ({service} is a release of the guide's helmfile)"
                ));
            }
        }
    }
    if let (Some(topic), Some(model)) = (parsed.get("topic").and_then(|t| t.as_str()), model)
        && let Some(head) = topic.strip_suffix(&format!("@{model}"))
    {
        let new = format!("{head}@{CURRENT_MODEL_TOKEN}");
        if replace_once(&mut out, topic, &new) {
            changed.push("the KV-events topic names the model llm-d-benchmark deploys".into());
        }
    }
    (!changed.is_empty()).then_some((out, changed))
}

/// A part of a shell word: literal text, or a variable the shell expands (`$X`, `${X}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Var(String),
}

/// A word of a shell command line: its byte range in the line and, when it holds nothing but
/// quoting, literal text and plain variables, its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub pieces: Option<Vec<Piece>>,
}

impl Word {
    /// The word's text when it has no variables.
    #[cfg(test)]
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in self.pieces.as_ref()? {
            match p {
                Piece::Lit(t) => out.push_str(t),
                Piece::Var(_) => return None,
            }
        }
        Some(out)
    }
}

/// The words of a one-line shell command, split at unquoted blanks. `None` when a quote is
/// left open. Command substitutions and other expansions leave a word without pieces.
///
/// (Over 80 lines on purpose: one state machine over the characters, its quoting states
/// side by side, reads better whole than split into functions sharing that state.)
pub fn shell_words(line: &str) -> Option<Vec<Word>> {
    use crate::shell::Part;
    let piece = |p: &Part| match p {
        Part::Lit(t) => Some(Piece::Lit(t.clone())),
        Part::Var { name, op: None, .. } => Some(Piece::Var(name.clone())),
        _ => None,
    };
    let words = crate::shell::words(line).ok()?;
    let words = words.iter().map(|w| Word {
        start: w.start,
        end: w.end,
        pieces: w.parts.iter().map(piece).collect(),
    });
    Some(words.collect())
}

/// A shell word holding `pieces`, written without a single backslash: literal text
/// single-quoted, variables as `"${X}"`. (llm-d-benchmark's step 09 deletes every backslash
/// of the last argument of a command line.)
pub fn encode_word(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Lit(t) if sh_word(t) == *t => out.push_str(t),
            Piece::Lit(t) => out.push_str(&crate::shell::quote::single_quoted_no_backslash(t)),
            Piece::Var(name) => out.push_str(&format!("\"${{{name}}}\"")),
        }
    }
    if out.is_empty() { "''".into() } else { out }
}

/// Text with `${X}` for each variable piece, and back: lets a JSON value with shell variables
/// in its strings be edited as JSON. `None` when the literal text itself holds `${`.
pub fn pieces_text(pieces: &[Piece]) -> Option<String> {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Lit(t) if t.contains("${") => return None,
            Piece::Lit(t) => out.push_str(t),
            Piece::Var(name) => out.push_str(&format!("${{{name}}}")),
        }
    }
    Some(out)
}

/// The inverse of [`pieces_text`].
pub fn text_pieces(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let Some(close) = after.find('}') else {
            break;
        };
        if !rest[..at].is_empty() {
            pieces.push(Piece::Lit(rest[..at].to_string()));
        }
        pieces.push(Piece::Var(after[..close].to_string()));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Lit(rest.to_string()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(items: &[&str]) -> Vec<(Option<String>, Option<String>)> {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        parse_args(&items)
            .into_iter()
            .map(|a| (a.flag, a.value))
            .collect()
    }

    fn fv(f: &str, v: Option<&str>) -> (Option<String>, Option<String>) {
        (Some(f.into()), v.map(Into::into))
    }

    #[test]
    fn every_spelling_of_a_flag() {
        let want = vec![
            fv("--max-model-len", Some("8192")),
            fv("--enforce-eager", None),
        ];
        assert_eq!(parsed(&["--max-model-len=8192", "--enforce-eager"]), want);
        assert_eq!(
            parsed(&["--max-model-len", "8192", "--enforce-eager"]),
            want
        );
        assert_eq!(parsed(&["--max-model-len 8192 --enforce-eager"]), want);
        assert_eq!(parsed(&["--max-model-len 8192", "--enforce-eager"]), want);
    }

    #[test]
    fn values_that_look_odd() {
        assert_eq!(parsed(&["--x", "-1"]), vec![fv("--x", Some("-1"))]);
        assert_eq!(
            parsed(&["--kv-transfer-config", r#"{"a":"b", "c":"d"}"#]),
            vec![fv("--kv-transfer-config", Some(r#"{"a":"b", "c":"d"}"#))]
        );
        assert_eq!(
            parsed(&["serve", "--a"]),
            vec![(None, Some("serve".into())), fv("--a", None)]
        );
        let a = &parse_args(&["--max_model_len".into(), "1".into()])[0];
        assert_eq!(a.canonical().as_deref(), Some("--max-model-len"));
        assert_eq!(a.items, vec![0, 1]);
    }

    #[test]
    fn shell_words() {
        assert_eq!(sh_word("--block-size"), "--block-size");
        assert_eq!(sh_word(r#"{"a": 1}"#), r#"'{"a": 1}'"#);
        assert_eq!(sh_word("it's"), r"'it'\''s'");
        assert_eq!(sh_word(""), "''");
        assert_eq!(sh_word("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(
            split_words(r#"a 'b c' "d \"e\"" f\ g"#),
            Some(vec![
                "a".into(),
                "b c".into(),
                "d \"e\"".into(),
                "f g".into()
            ])
        );
        assert_eq!(split_words("'open"), None);
    }

    #[test]
    fn scripts_become_one_line() {
        let script = "source /x/env.sh\nvllm serve m \\\n  --port 8200 \\\n  --kv '{\"a\": 1}'\n";
        assert_eq!(
            script_line(script).as_deref(),
            Some("source /x/env.sh; vllm serve m --port 8200 --kv '{\"a\": 1}'")
        );
        assert_eq!(
            script_line("set -x\n# note\nexec vllm serve m\n").as_deref(),
            Some("set -x; exec vllm serve m")
        );
        assert_eq!(
            script_line("if true; then\n  echo a\nfi\n").as_deref(),
            Some("if true; then echo a; fi")
        );
        assert_eq!(script_line("echo 'a\nb'\n"), None, "a quote spanning lines");
        assert_eq!(script_line("cat <<EOF\nx\nEOF\n"), None);
    }

    #[test]
    fn json_values_join_onto_one_line() {
        assert_eq!(
            one_line("{\n  \"a\": 1,\n  \"b\": \"x y\"\n}").as_deref(),
            Some("{ \"a\": 1, \"b\": \"x y\" }")
        );
        assert_eq!(one_line("plain"), Some("plain".into()));
        assert_eq!(one_line("two\nlines"), None);
    }

    #[test]
    fn kv_events_name_the_benchmark_deployment() {
        let guide = r#"{ "enable_kv_cache_events": true, "publisher": "zmq", "endpoint": "tcp://gaie-$(GAIE_RELEASE_NAME_POSTFIX)-epp.$(NAMESPACE).svc.cluster.local:5557", "topic": "kv@$(POD_IP)@Qwen/Qwen3-32B" }"#;
        let (out, changed) = kv_events_json(guide, Some("Qwen/Qwen3-32B")).unwrap();
        assert_eq!(
            out,
            r#"{ "enable_kv_cache_events": true, "publisher": "zmq", "endpoint": "tcp://REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_SERVICE_NAME.$(NAMESPACE).svc.cluster.local:5557", "topic": "kv@$(POD_IP)@REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL" }"#
        );
        assert_eq!(changed.len(), 2);
        // A bind address (pod discovery) and another model stay as they are.
        let bind = r#"{"endpoint": "tcp://*:5557", "topic": "kv@x@other/model"}"#;
        assert_eq!(kv_events_json(bind, Some("Qwen/Qwen3-32B")), None);
        assert_eq!(kv_events_json("not json", Some("m")), None);
        // Only the topic: the endpoint names no EPP service.
        let (out, _) = kv_events_json(r#"{"topic":"kv@p@m/x"}"#, Some("m/x")).unwrap();
        assert_eq!(
            out,
            r#"{"topic":"kv@p@REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL"}"#
        );
    }

    #[test]
    fn shell_words_keep_their_variables() {
        let line = r#"exec vllm serve m --port 8000 --kv "{\"a\":\"tcp://${NS}.x\",\"t\":\"kv@$POD_IP@m\"}" 'it''s' $(id)"#;
        let words = super::shell_words(line).unwrap();
        let texts: Vec<&str> = words.iter().map(|w| &line[w.start..w.end]).collect();
        assert_eq!(texts[4], "--port");
        assert_eq!(words[5].literal().as_deref(), Some("8000"));
        let json = words[7].pieces.as_ref().unwrap();
        assert_eq!(
            pieces_text(json).as_deref(),
            Some(r#"{"a":"tcp://${NS}.x","t":"kv@${POD_IP}@m"}"#)
        );
        let encoded = encode_word(json);
        assert!(!encoded.contains('\\'), "{encoded}");
        assert_eq!(
            encoded,
            r#"'{"a":"tcp://'"${NS}"'.x","t":"kv@'"${POD_IP}"'@m"}'"#
        );
        // bash reads the encoded word back as the same word.
        assert_eq!(
            super::shell_words(&encoded).unwrap()[0].pieces.as_ref(),
            Some(json)
        );
        assert_eq!(words[8].literal().as_deref(), Some("its"));
        assert_eq!(words[9].pieces, None, "a command substitution");
        assert_eq!(super::shell_words("echo 'open"), None);
        assert_eq!(text_pieces(&pieces_text(json).unwrap()), *json);
    }
}
