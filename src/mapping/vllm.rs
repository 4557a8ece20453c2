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
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
        && !word.starts_with('=');
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
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
}
