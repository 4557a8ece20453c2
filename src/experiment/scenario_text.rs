//! A scenario as e2e.sh sees it: lines of text. e2e.sh rewrites, per setup factor, every
//! whole line containing `VAR=`; llm-d-benchmark substitutes `REPLACE_ENV_VAR` tokens in the
//! files the scenario writes. This module answers the questions the validator asks of a
//! scenario without running it: which lines contain `VAR=`, which of them are heredoc
//! content, what literal value a line assigns, where a variable is referenced, and which
//! flags a stage's vLLM command passes.

/// One `cat << DELIM > "$VAR"` heredoc: the variable whose file it writes and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The variable named in the redirection (`"$VAR"`), if any.
    pub var: Option<String>,
    /// 1-based line of the `cat <<` line.
    pub line: usize,
    /// 1-based lines of the body (the delimiter line excluded).
    pub first: usize,
    pub last: usize,
    /// `<< 'EOF'`: bash expands nothing in the body.
    pub quoted: bool,
}

/// A scenario file's text, indexed for the validator.
#[derive(Debug, Clone)]
pub struct ScenarioText<'a> {
    /// The file as shown in messages.
    pub name: &'a str,
    pub lines: Vec<&'a str>,
    pub heredocs: Vec<Heredoc>,
}

impl<'a> ScenarioText<'a> {
    pub fn new(name: &'a str, text: &'a str) -> ScenarioText<'a> {
        let lines: Vec<&str> = text.lines().collect();
        let heredocs = heredocs(&lines);
        ScenarioText {
            name,
            lines,
            heredocs,
        }
    }

    /// 1-based numbers of the lines containing `VAR=`, as e2e.sh matches them.
    pub fn lines_containing_assignment(&self, var: &str) -> Vec<usize> {
        let needle = format!("{var}=");
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.contains(&needle))
            .map(|(i, _)| i + 1)
            .collect()
    }

    /// The heredoc whose body holds line `n`, if any.
    pub fn heredoc_of(&self, n: usize) -> Option<&Heredoc> {
        self.heredocs
            .iter()
            .find(|h| (h.first..=h.last).contains(&n))
    }

    /// True when line `n` (1-based) is a shell assignment of `var`: `[export ]VAR=...`.
    pub fn assigns(&self, n: usize, var: &str) -> bool {
        self.heredoc_of(n).is_none()
            && self
                .lines
                .get(n.wrapping_sub(1))
                .is_some_and(|l| assigned_text(l, var).is_some())
    }

    /// The literal value line `n` assigns to `var`, when it is one bash would not expand:
    /// `export VAR=8`, `VAR='a b'`, `export VAR="x"`. `None` for references, command
    /// substitutions and anything else computed.
    pub fn literal_value(&self, n: usize, var: &str) -> Option<String> {
        let line = self.lines.get(n.wrapping_sub(1))?;
        literal(assigned_text(line, var)?)
    }

    /// The scenario's own value of `var`: its single assignment line and the literal it
    /// assigns (`None` when computed). `None` when no line or several lines assign it.
    pub fn value_of(&self, var: &str) -> Option<(usize, Option<String>)> {
        let assigning: Vec<usize> = self
            .lines_containing_assignment(var)
            .into_iter()
            .filter(|&n| self.assigns(n, var))
            .collect();
        match assigning.as_slice() {
            [n] => Some((*n, self.literal_value(*n, var))),
            _ => None,
        }
    }

    /// Lines that use `var`: a `$VAR` or `${VAR...}` that bash expands while sourcing, or a
    /// `REPLACE_ENV_VAR` token llm-d-benchmark substitutes at stand-up.
    pub fn references(&self, var: &str) -> Vec<usize> {
        let mut out: Vec<usize> =
            self.expansions(var)
                .into_iter()
                .chain(self.lines.iter().enumerate().filter_map(|(i, l)| {
                    mentions(l, &format!("REPLACE_ENV_{var}")).then_some(i + 1)
                }))
                .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Lines where bash expands `$VAR` or `${VAR...}` while sourcing the scenario (not in
    /// comments, not in the body of a quoted heredoc): uses that see the value the scenario
    /// has at that point.
    pub fn expansions(&self, var: &str) -> Vec<usize> {
        let (plain, braced) = (format!("${var}"), format!("${{{var}"));
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(n, l)| {
                !l.trim_start().starts_with('#')
                    && !self.heredoc_of(*n).is_some_and(|h| h.quoted)
                    && (mentions(l, &plain) || mentions(l, &braced))
            })
            .map(|(n, _)| n)
            .collect()
    }

    /// The words of the file a heredoc writes, as llm-d-benchmark would read a command line:
    /// `\`-newline continuations joined, then split on blanks, quotes removed.
    pub fn heredoc_words(&self, h: &Heredoc) -> Vec<String> {
        let mut joined = String::new();
        for n in h.first..=h.last {
            let line = self.lines.get(n - 1).copied().unwrap_or_default();
            match line.strip_suffix('\\') {
                Some(body) => joined.push_str(body),
                None => {
                    joined.push_str(line);
                    joined.push('\n');
                }
            }
        }
        // llm-d-benchmark reads `____` as a blank, and a non-custom command's args as the
        // list form `[--flag____value]` (setup/functions.py, add_command_line_options).
        let joined = joined.replace("____", " ");
        let trimmed = joined.trim();
        let joined = match trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some(list) => list.to_string(),
            None => joined,
        };
        joined
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
            .collect()
    }

    /// The heredoc that writes the file of `var` (`cat << EOF > "$VAR"`), if the scenario
    /// sets `var` to a file it writes.
    pub fn file_of(&self, var: &str) -> Option<&Heredoc> {
        self.heredocs.iter().find(|h| h.var.as_deref() == Some(var))
    }
}

/// The text after `VAR=` when `line` is `[export ]VAR=...` (leading blanks allowed).
fn assigned_text<'l>(line: &'l str, var: &str) -> Option<&'l str> {
    let t = line.trim_start();
    let t = match t.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => t,
    };
    t.strip_prefix(var)?.strip_prefix('=')
}

/// A bash word that expands to itself once quotes are removed, followed by nothing or a
/// comment: its value. `None` when bash would expand something.
fn literal(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '$' | '`' | '\\' => return None,
                    c => out.push(c),
                }
            },
            ' ' | '\t' => {
                let rest: String = chars.collect();
                let rest = rest.trim_start();
                return (rest.is_empty() || rest.starts_with('#')).then_some(out);
            }
            '$' | '`' | '\\' | '(' | ')' | ';' | '&' | '|' | '<' | '>' | '*' | '?' | '[' => {
                return None;
            }
            '~' if out.is_empty() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// `needle` occurs in `line` and is not followed by a character of a longer name.
fn mentions(line: &str, needle: &str) -> bool {
    line.match_indices(needle).any(|(i, _)| {
        !line[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Find `cat << DELIM > "$VAR"` heredocs (also `<<-`, quoted delimiters, `cat <<EOF >$VAR`).
fn heredocs(lines: &[&str]) -> Vec<Heredoc> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let Some(pos) = line
            .find("<<")
            .filter(|_| !line.trim_start().starts_with('#'))
        else {
            i += 1;
            continue;
        };
        let rest = &line[pos + 2..];
        let (dash, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let rest = rest.trim_start();
        let quoted = rest.starts_with(['\'', '"']);
        let delim: String = rest
            .trim_start_matches(['\'', '"'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if delim.is_empty() {
            i += 1;
            continue;
        }
        let var = line[pos..].find('>').and_then(|g| {
            let target = line[pos + g + 1..]
                .trim_start()
                .trim_start_matches('"')
                .strip_prefix('$')?;
            let target = target.strip_prefix('{').unwrap_or(target);
            let name: String = target
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        });
        let start = i + 1;
        let mut end = start;
        while end < lines.len() {
            let l = if dash {
                lines[end].trim_start_matches('\t')
            } else {
                lines[end]
            };
            if l == delim {
                break;
            }
            end += 1;
        }
        out.push(Heredoc {
            var,
            line: i + 1,
            first: start + 1,
            last: end,
            quoted,
        });
        i = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN=1 in a comment
export LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN=8192
  LLMDBENCH_X='a b' # c
export LLMDBENCH_Y="${LLMDBENCH_X}-z"
export LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS=$(mktemp)
cat << EOF > "$LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS"
vllm serve m \
--max-model-len REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN \
--block-size=16 "--x" 'y'
LLMDBENCH_Z=3
EOF
export LLMDBENCH_Z=4
"#;

    #[test]
    fn lines_heredocs_and_assignments() {
        let s = ScenarioText::new("s.sh", TEXT);
        assert_eq!(
            s.lines_containing_assignment("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"),
            [1, 2]
        );
        assert_eq!(
            s.heredocs,
            [Heredoc {
                var: Some("LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS".into()),
                line: 6,
                first: 7,
                last: 10,
                quoted: false
            }]
        );
        assert_eq!(s.lines_containing_assignment("LLMDBENCH_Z"), [10, 12]);
        assert!(!s.assigns(10, "LLMDBENCH_Z") && s.assigns(12, "LLMDBENCH_Z"));
        assert_eq!(s.value_of("LLMDBENCH_Z"), Some((12, Some("4".into()))));
        assert_eq!(s.value_of("LLMDBENCH_X"), Some((3, Some("a b".into()))));
        assert_eq!(s.value_of("LLMDBENCH_Y"), Some((4, None)));
        assert_eq!(
            s.value_of("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"),
            Some((2, Some("8192".into())))
        );
        assert_eq!(s.value_of("LLMDBENCH_NONE"), None);
        assert_eq!(s.references("LLMDBENCH_X"), [4]);
        assert_eq!(
            s.expansions("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"),
            Vec::<usize>::new()
        );
        assert_eq!(s.references("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"), [8]);
        assert!(s.references("LLMDBENCH_VLLM_COMMON_MAX").is_empty());
        let h = s
            .file_of("LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS")
            .expect("heredoc");
        assert_eq!(
            s.heredoc_words(h),
            [
                "vllm",
                "serve",
                "m",
                "--max-model-len",
                "REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
                "--block-size=16",
                "--x",
                "y",
                "LLMDBENCH_Z=3"
            ]
        );
    }

    #[test]
    fn literals() {
        for (text, want) in [
            ("8", Some("8")),
            ("'a b'", Some("a b")),
            ("\"x y\"", Some("x y")),
            ("a'b'c", Some("abc")),
            ("1 # comment", Some("1")),
            ("", Some("")),
            ("$X", None),
            ("\"$X\"", None),
            ("$(mktemp)", None),
            ("~/x", None),
            ("a b", None),
            ("'open", None),
        ] {
            assert_eq!(literal(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn odd_heredocs() {
        let s = ScenarioText::new(
            "s",
            "cat <<-'END' >$A\n\tx\n\tEND\ncat <<\nnot\ncat << EOF\nopen\n",
        );
        assert_eq!(s.heredocs.len(), 2);
        assert_eq!(s.heredocs[0].var.as_deref(), Some("A"));
        assert!(s.heredocs[0].quoted && !s.heredocs[1].quoted);
        assert_eq!((s.heredocs[0].first, s.heredocs[0].last), (2, 2));
        assert_eq!(s.heredocs[1].var, None);
        assert_eq!((s.heredocs[1].first, s.heredocs[1].last), (7, 7));
    }
}
