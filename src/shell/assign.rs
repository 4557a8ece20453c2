//! Assignments as llm-d-benchmark's `setup/env.sh` writes them (`export A=${A:-word}`),
//! each value read as one bash word with nested default operators (`${A:-${B:-x}}`), ANSI-C
//! quotes and the three quoting contexts, positions kept for errors. Unlike [`super::lex`],
//! which reads container scripts command by command, this reads one kind of line completely
//! and says what it cannot know ([`Part::Dyn`]); nothing is run.

/// One assignment: the default expression of `name` (the word after `:-`, or the whole value
/// of a fixed assignment), parsed, and its raw text.
#[derive(Debug)]
pub struct Expr {
    pub name: String,
    pub parts: Vec<Part>,
    pub raw: String,
}

/// A piece of a bash word.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Lit(String),
    /// `$X`, `${X}`.
    Var(String),
    /// `${X:-word}` / `${X-word}` (also `:=` / `=`); `raw` is the text of `word`.
    Default {
        name: String,
        colon: bool,
        word: Vec<Part>,
        raw: String,
    },
    /// `${X:+word}` / `${X+word}`.
    Alt {
        name: String,
        colon: bool,
        word: Vec<Part>,
    },
    /// Only known at run time: `$(...)`, backticks, `$1`, `${#X}`, `~`, ...
    Dyn,
}

/// A line of the file after joining backslash-newline continuations, each char with its
/// 1-based line and column in the file.
pub struct LogicalLine {
    pub chars: Vec<(char, usize, usize)>,
}

impl LogicalLine {
    pub fn position(&self, at: usize) -> (usize, usize) {
        match self.chars.get(at).or(self.chars.last()) {
            Some(&(_, line, col)) => (line, col),
            None => (1, 1),
        }
    }
}

/// Logical lines that may hold an `export` of an `LLMDBENCH_*` variable.
pub fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Vec<(char, usize, usize)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut chars: Vec<(char, usize, usize)> = line
            .chars()
            .enumerate()
            .map(|(c, ch)| (ch, i + 1, c + 1))
            .collect();
        let trailing = chars
            .iter()
            .rev()
            .take_while(|&&(c, _, _)| c == '\\')
            .count();
        let continued = trailing % 2 == 1;
        if continued {
            chars.pop();
        }
        current.extend(chars);
        if !continued {
            out.push(LogicalLine {
                chars: std::mem::take(&mut current),
            });
        }
    }
    if !current.is_empty() {
        out.push(LogicalLine { chars: current });
    }
    out.retain(|l| {
        let s: String = l.chars.iter().map(|&(c, _, _)| c).collect();
        let s = s.trim_start();
        s.strip_prefix("export")
            .is_some_and(|r| r.starts_with([' ', '\t']))
            && s.contains("LLMDBENCH_")
    });
    out
}

/// The assignments of one `export` line (`export A=x B=y # comment`).
pub fn parse_export(s: &[char]) -> Result<Vec<Expr>, ParseError> {
    let scanner = Scanner { s };
    let mut pos = s.iter().take_while(|c| c.is_whitespace()).count() + "export".len();
    let mut out = Vec::new();
    loop {
        while s.get(pos).is_some_and(|c| c.is_whitespace()) {
            pos += 1;
        }
        match s.get(pos) {
            None | Some('#' | ';' | '&' | '|' | '<' | '>' | '(' | ')') => break,
            Some(_) => {}
        }
        let start = pos;
        let name_len = s[pos..]
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || c == '_')
            .count();
        let is_name = name_len > 0 && !s[pos].is_ascii_digit();
        if is_name && s.get(pos + name_len) == Some(&'=') {
            let name: String = s[pos..pos + name_len].iter().collect();
            pos += name_len + 1;
            let value_start = pos;
            let parts = scanner.word(&mut pos, Ctx::Top, value_start)?;
            let raw: String = s[value_start..pos].iter().collect();
            out.push(Expr { name, parts, raw });
        } else {
            // An option such as `-n`, or a name without a value: parsed only to skip it.
            scanner.word(&mut pos, Ctx::Top, start)?;
            if pos == start {
                break;
            }
        }
    }
    Ok(out)
}

#[derive(Debug)]
pub struct ParseError {
    /// Index in the logical line of the construct that is not closed.
    pub at: usize,
    pub msg: &'static str,
}

fn err<T>(at: usize, msg: &'static str) -> Result<T, ParseError> {
    Err(ParseError { at, msg })
}

/// The quoting context a word is read in; bash treats quotes and backslashes differently in each.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    /// The value of an assignment: ends at an unquoted blank or operator.
    Top,
    /// Inside `"..."`.
    DQuote,
    /// The word of `${X:-word}`; `dq` when the `${` is itself inside double quotes.
    Brace { dq: bool },
    /// A raw default expression from the table: the whole string.
    Free,
}

struct Scanner<'a> {
    s: &'a [char],
}

impl Scanner<'_> {
    /// Read a word starting at `pos` in context `ctx`; `opener` is where an error points.
    // Over 80 lines on purpose: one arm per character bash treats specially, each guarded by
    // the contexts where it is special; split up, the guards would repeat in every piece.
    fn word(&self, pos: &mut usize, ctx: Ctx, opener: usize) -> Result<Vec<Part>, ParseError> {
        let mut parts = Vec::new();
        let mut depth = 0usize;
        let start = *pos;
        loop {
            let Some(&c) = self.s.get(*pos) else {
                return match ctx {
                    Ctx::Top | Ctx::Free => Ok(parts),
                    Ctx::DQuote => err(opener, "unterminated double quote"),
                    Ctx::Brace { .. } => err(opener, "unterminated ${"),
                };
            };
            let dq_like = matches!(ctx, Ctx::DQuote | Ctx::Brace { dq: true });
            match c {
                c if ctx == Ctx::Top && (c.is_whitespace() || ";&|<>()".contains(c)) => {
                    return Ok(parts);
                }
                '"' if ctx == Ctx::DQuote => {
                    *pos += 1;
                    return Ok(parts);
                }
                '}' if matches!(ctx, Ctx::Brace { .. }) && depth == 0 => {
                    *pos += 1;
                    return Ok(parts);
                }
                '{' | '}' if matches!(ctx, Ctx::Brace { .. }) => {
                    // bash pairs unquoted braces inside `${X:-...}`: `${X:-{}}` is `{}`.
                    depth = if c == '{' { depth + 1 } else { depth - 1 };
                    push_lit(&mut parts, c);
                    *pos += 1;
                }
                '\\' => {
                    let next = self.s.get(*pos + 1).copied();
                    let escapable = match ctx {
                        Ctx::DQuote => next.is_some_and(|n| "$`\"\\".contains(n)),
                        Ctx::Brace { dq: true } => next.is_some_and(|n| "$`\"\\}".contains(n)),
                        _ => next.is_some(),
                    };
                    match next {
                        Some(n) if escapable => {
                            push_lit(&mut parts, n);
                            *pos += 2;
                        }
                        _ => {
                            push_lit(&mut parts, '\\');
                            *pos += 1;
                        }
                    }
                }
                '\'' if !dq_like => {
                    let end = self.find(*pos + 1, '\'').ok_or(ParseError {
                        at: *pos,
                        msg: "unterminated single quote",
                    })?;
                    parts.push(Part::Lit(self.s[*pos + 1..end].iter().collect()));
                    *pos = end + 1;
                }
                '"' => {
                    let at = *pos;
                    *pos += 1;
                    parts.extend(self.word(pos, Ctx::DQuote, at)?);
                }
                '$' => parts.extend(self.dollar(pos, ctx)?),
                '`' => {
                    *pos = self.backtick(*pos)? + 1;
                    parts.push(Part::Dyn);
                }
                // Tilde expansion (home folder) applies at the start of an unquoted word.
                '~' if matches!(ctx, Ctx::Top | Ctx::Free | Ctx::Brace { dq: false })
                    && *pos == start =>
                {
                    parts.push(Part::Dyn);
                    *pos += 1;
                }
                c => {
                    push_lit(&mut parts, c);
                    *pos += 1;
                }
            }
        }
    }

    /// An expansion starting with the `$` at `pos`.
    fn dollar(&self, pos: &mut usize, ctx: Ctx) -> Result<Vec<Part>, ParseError> {
        let at = *pos;
        match self.s.get(at + 1).copied() {
            Some('{') => Ok(vec![self.brace(pos, ctx)?]),
            Some('(') => {
                *pos = self.skip(at + 2, ')', at)? + 1;
                Ok(vec![Part::Dyn])
            }
            Some('\'') if ctx != Ctx::DQuote => {
                *pos += 2;
                Ok(vec![Part::Lit(self.ansi_c(pos, at)?)])
            }
            Some('"') if ctx != Ctx::DQuote => {
                *pos += 2;
                self.word(pos, Ctx::DQuote, at + 1)
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let len = self.name_len(at + 1);
                *pos = at + 1 + len;
                Ok(vec![Part::Var(
                    self.s[at + 1..at + 1 + len].iter().collect(),
                )])
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                *pos += 2;
                Ok(vec![Part::Dyn])
            }
            _ => {
                *pos += 1;
                Ok(vec![Part::Lit("$".to_string())])
            }
        }
    }

    /// `${...}` starting with the `$` at `pos`.
    fn brace(&self, pos: &mut usize, ctx: Ctx) -> Result<Part, ParseError> {
        let at = *pos;
        let mut p = at + 2;
        let (name, special) = match self.s.get(p).copied() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let len = self.name_len(p);
                (self.s[p..p + len].iter().collect::<String>(), false)
            }
            Some(c) if c.is_ascii_digit() => {
                let len = self.s[p..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                (self.s[p..p + len].iter().collect(), true)
            }
            Some(c) if "@*?$-".contains(c) => (c.to_string(), true),
            None => return err(at, "unterminated ${"),
            // `${#X}`, `${!X}`, or something bash itself would refuse at run time.
            Some(_) => {
                *pos = self.skip(p, '}', at)? + 1;
                return Ok(Part::Dyn);
            }
        };
        p += name.chars().count();
        let op: String = self.s[p..].iter().take(2).collect();
        let (len, colon, alt) = match op.as_str() {
            ":-" | ":=" => (2, true, false),
            ":+" => (2, true, true),
            o if o.starts_with('-') || o.starts_with('=') => (1, false, false),
            o if o.starts_with('+') => (1, false, true),
            o if o.starts_with('}') => {
                *pos = p + 1;
                return Ok(if special { Part::Dyn } else { Part::Var(name) });
            }
            "" => return err(at, "unterminated ${"),
            // `${X:0:2}`, `${X#pat}`, `${X/a/b}`, ...: computed at run time.
            _ => {
                *pos = self.skip(p, '}', at)? + 1;
                return Ok(Part::Dyn);
            }
        };
        p += len;
        let raw_start = p;
        let dq = matches!(ctx, Ctx::DQuote | Ctx::Brace { dq: true });
        let word = self.word(&mut p, Ctx::Brace { dq }, at)?;
        let raw: String = self.s[raw_start..p - 1].iter().collect();
        *pos = p;
        Ok(match (special, alt) {
            (true, _) => Part::Dyn,
            (false, false) => Part::Default {
                name,
                colon,
                word,
                raw,
            },
            (false, true) => Part::Alt { name, colon, word },
        })
    }

    /// `$'...'` with `pos` after the opening quote; returns the text, `pos` after the closing quote.
    fn ansi_c(&self, pos: &mut usize, opener: usize) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            match self.s.get(*pos).copied() {
                None => return err(opener, "unterminated single quote"),
                Some('\'') => {
                    *pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    let Some(n) = self.s.get(*pos + 1).copied() else {
                        return err(opener, "unterminated single quote");
                    };
                    match n {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '\\' | '\'' | '"' | '?' => out.push(n),
                        _ => {
                            out.push('\\');
                            out.push(n);
                        }
                    }
                    *pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    *pos += 1;
                }
            }
        }
    }

    /// Index of the closing backtick of the one at `at`.
    fn backtick(&self, at: usize) -> Result<usize, ParseError> {
        let mut i = at + 1;
        while let Some(&c) = self.s.get(i) {
            match c {
                '\\' => i += 2,
                '`' => return Ok(i),
                _ => i += 1,
            }
        }
        err(at, "unterminated backquote")
    }

    /// Index of the `close` (`)` or `}`) matching an opener whose body starts at `from`,
    /// stepping over quotes and nested expansions.
    fn skip(&self, from: usize, close: char, opener: usize) -> Result<usize, ParseError> {
        let mut i = from;
        let mut depth = 0usize;
        while let Some(&c) = self.s.get(i) {
            match c {
                '\\' => {
                    i += 2;
                    continue;
                }
                '\'' => {
                    i = self.find(i + 1, '\'').ok_or(ParseError {
                        at: i,
                        msg: "unterminated single quote",
                    })?;
                }
                '"' => {
                    let mut p = i + 1;
                    self.word(&mut p, Ctx::DQuote, i)?;
                    i = p;
                    continue;
                }
                '`' => i = self.backtick(i)?,
                '$' if matches!(self.s.get(i + 1), Some('{' | '(')) => {
                    let inner = if self.s.get(i + 1) == Some(&'{') {
                        '}'
                    } else {
                        ')'
                    };
                    i = self.skip(i + 2, inner, i)?;
                }
                c if c == close && depth == 0 => return Ok(i),
                c if c == close => depth -= 1,
                '(' if close == ')' => depth += 1,
                '{' if close == '}' => depth += 1,
                _ => {}
            }
            i += 1;
        }
        err(
            opener,
            if close == ')' {
                "unterminated $("
            } else {
                "unterminated ${"
            },
        )
    }

    fn find(&self, from: usize, c: char) -> Option<usize> {
        self.s
            .get(from..)?
            .iter()
            .position(|&x| x == c)
            .map(|i| from + i)
    }

    fn name_len(&self, from: usize) -> usize {
        self.s[from..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
            .count()
    }
}

fn push_lit(parts: &mut Vec<Part>, c: char) {
    if let Some(Part::Lit(s)) = parts.last_mut() {
        s.push(c);
    } else {
        parts.push(Part::Lit(c.to_string()));
    }
}

/// A default expression as the compiled-in table writes it (the whole string is the word).
pub fn parse_expression(raw: &str) -> Result<Vec<Part>, ParseError> {
    let chars: Vec<char> = raw.chars().collect();
    let mut pos = 0;
    Scanner { s: &chars }.word(&mut pos, Ctx::Free, 0)
}
