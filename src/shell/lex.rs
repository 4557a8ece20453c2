//! Shell scripts of container commands (`/bin/bash -c SCRIPT`): read into commands and
//! words the way a POSIX shell tokenizes them, without running anything.
//!
//! Handled: `\`-newline continuations, comments, single and double quotes, backslash
//! escapes, `$VAR`, `${VAR}`, `${VAR:-word}` and the other default operators, `$((...))`
//! integer arithmetic (`+ - * / %` and parentheses over numbers and variables), command
//! substitutions (kept as written), and the separators `;`, newline, `&&`, `||`, `|`, `&`.
//! Compound commands (`if`, `for`, subshells, ...) and redirections are recognized so callers
//! can keep such a script whole; here-documents are refused, since they cannot go on one line.

/// A word of a command: its parts (quotes removed) and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<Part>,
    /// The word as written, continuations removed: what a shell needs to read it again.
    pub text: String,
    /// Lines (0-based, in the script) of its first and last character.
    pub line: usize,
    pub end_line: usize,
    /// Its byte range in the script (continuations included).
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text, quotes and escapes removed.
    Lit(String),
    /// `$NAME`, `${NAME}`, `${NAME<op><word>}` (op one of `:-` `-` `:=` `=` `:+` `+` `:?` `?`).
    Var {
        name: String,
        op: Option<(String, String)>,
        /// Inside double quotes (no word splitting).
        quoted: bool,
    },
    /// `$((expr))`: the expression.
    Arith(String),
    /// Anything else that depends on the shell at run time (`$(...)`, backticks, `$1`, `${#X}`).
    Dynamic(String),
}

/// A simple command (or what a caller must keep whole) and the separator after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// The command as written on one line (continuations joined).
    pub text: String,
    pub line: usize,
    pub end_line: usize,
    /// `;` (also for a newline or the end), `&&`, `||`, `|` or `&`.
    pub sep: &'static str,
    /// A keyword of a compound command, a subshell or a group: not a simple command.
    pub compound: bool,
    /// Has a redirection (`>`, `<`, `2>&1`).
    pub redirect: bool,
    /// Holds a line break inside quotes: cannot be written on one line.
    pub multiline: bool,
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "select", "{", "}", "[[", "]]", "!",
];

/// Read a script into its commands.
pub fn parse(script: &str) -> Result<Vec<Command>, String> {
    Lexer::new(script).run()
}

/// Characters that make an unquoted word more than text and plain variables to [`words`].
const OPAQUE: &str = "`*?[~{();&|<>#";

/// The words of one command line, split at unquoted blanks (any whitespace) and nothing
/// else: the way a reader that edits a command line word by word must see it. Quotes,
/// backslashes and plain variables (`$X`, `${X}`) are read; anything more (a command
/// substitution, a glob, an operator, `${X:-y}`, `$1`) is kept inside its word, which then
/// ends with a [`Part::Dynamic`] holding the word as written. `Err` when a quote is left
/// open or the line ends with a backslash.
pub fn words(line: &str) -> Result<Vec<Word>, String> {
    let mut lx = Lexer::new(line);
    lx.words_only = true;
    lx.run_words()
}

struct Lexer<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    i: usize,
    line_starts: Vec<usize>,
    commands: Vec<Command>,
    // The command being read.
    words: Vec<Word>,
    cmd_start: Option<usize>,
    redirect: bool,
    compound: bool,
    // The word being read.
    parts: Vec<Part>,
    lit: String,
    word_start: Option<usize>,
    /// Where the last word read ends (the command's text ends there).
    last_word_end: Option<usize>,
    /// Reading for [`words`]: one command line split at blanks.
    words_only: bool,
    /// The word being read holds shell syntax [`words`] does not take apart.
    opaque: bool,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lexer {
            src,
            chars: src.char_indices().collect(),
            i: 0,
            line_starts,
            commands: Vec::new(),
            words: Vec::new(),
            cmd_start: None,
            redirect: false,
            compound: false,
            parts: Vec::new(),
            lit: String::new(),
            word_start: None,
            last_word_end: None,
            words_only: false,
            opaque: false,
        }
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).map(|(_, c)| *c)
    }

    fn pos(&self) -> usize {
        self.chars.get(self.i).map_or(self.src.len(), |(p, _)| *p)
    }

    fn line_of(&self, byte: usize) -> usize {
        self.line_starts
            .partition_point(|s| *s <= byte)
            .saturating_sub(1)
    }

    fn start_word(&mut self) {
        if self.word_start.is_none() {
            let p = self.pos();
            self.word_start = Some(p);
            self.cmd_start.get_or_insert(p);
        }
    }

    fn flush_lit(&mut self) {
        if !self.lit.is_empty() {
            self.parts.push(Part::Lit(std::mem::take(&mut self.lit)));
        }
    }

    fn end_word(&mut self) {
        self.flush_lit();
        let Some(start) = self.word_start.take() else {
            return;
        };
        let end = self.pos();
        let raw = &self.src[start..end];
        if std::mem::take(&mut self.opaque) {
            self.parts.push(Part::Dynamic(raw.to_string()));
        }
        let word = Word {
            parts: std::mem::take(&mut self.parts),
            text: join_continuations(raw),
            line: self.line_of(start),
            end_line: self.line_of(end.saturating_sub(1).max(start)),
            start,
            end,
        };
        if self.words.is_empty() && KEYWORDS.contains(&word.text.as_str()) {
            self.compound = true;
        }
        self.words.push(word);
    }

    fn end_command(&mut self, sep: &'static str) {
        self.end_word();
        let Some(start) = self.cmd_start.take() else {
            self.redirect = false;
            self.compound = false;
            return;
        };
        let last_end = self.last_word_end.take().unwrap_or(start).max(start);
        let raw = &self.src[start..last_end];
        let text = join_continuations(raw);
        let words = std::mem::take(&mut self.words);
        self.commands.push(Command {
            multiline: text.contains('\n'),
            text: text.trim().to_string(),
            line: self.line_of(start),
            end_line: self.line_of(last_end.saturating_sub(1).max(start)),
            sep,
            compound: std::mem::take(&mut self.compound),
            redirect: std::mem::take(&mut self.redirect),
            words,
        });
    }
}

/// `\`-newline and the indentation after it become one space (inside a word: nothing).
fn join_continuations(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find("\\\n") {
        // An escaped backslash before it is not a continuation.
        let backslashes = rest[..at].chars().rev().take_while(|c| *c == '\\').count();
        out.push_str(&rest[..at]);
        if backslashes % 2 == 1 {
            out.push_str("\\\n");
            rest = &rest[at + 2..];
            continue;
        }
        let after = rest[at + 2..].trim_start_matches([' ', '\t']);
        let glued = !out.ends_with([' ', '\t']) && rest.len() - after.len() == at + 2;
        if !glued && !out.ends_with(' ') {
            out.push(' ');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

impl Lexer<'_> {
    // Over 80 lines on purpose: one match arm per character a shell treats specially, in one
    // place, so the order in which they are tried (it matters: `&&` before `&`, `<<` before
    // `<`) reads top to bottom.
    fn run(mut self) -> Result<Vec<Command>, String> {
        while let Some(c) = self.peek(0) {
            match c {
                '\\' if self.peek(1) == Some('\n') => {
                    // A continuation: nothing, the word (if any) goes on.
                    self.i += 2;
                }
                '\\' => {
                    self.start_word();
                    self.i += 1;
                    if let Some(n) = self.peek(0) {
                        self.lit.push(n);
                        self.i += 1;
                    }
                    self.mark_end();
                }
                '\'' => {
                    self.start_word();
                    self.single_quoted()?;
                    self.mark_end();
                }
                '"' => {
                    self.start_word();
                    self.double_quoted()?;
                    self.mark_end();
                }
                '$' => {
                    self.start_word();
                    self.dollar(false)?;
                    self.mark_end();
                }
                '`' => {
                    self.start_word();
                    let raw = self.backticks()?;
                    self.flush_lit();
                    self.parts.push(Part::Dynamic(raw));
                    self.mark_end();
                }
                '#' if self.word_start.is_none() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                ' ' | '\t' | '\r' => {
                    self.end_word();
                    self.i += 1;
                }
                '\n' => {
                    self.end_command(";");
                    self.i += 1;
                }
                ';' => {
                    if self.peek(1) == Some(';') {
                        self.compound = true;
                    }
                    self.end_command(";");
                    self.i += 1;
                }
                '&' if self.peek(1) == Some('&') => {
                    self.end_command("&&");
                    self.i += 2;
                }
                '|' if self.peek(1) == Some('|') => {
                    self.end_command("||");
                    self.i += 2;
                }
                '|' => {
                    self.end_command("|");
                    self.i += 1;
                }
                '&' if self.word_start.is_none() || !self.lit.ends_with('>') => {
                    self.end_command("&");
                    self.i += 1;
                }
                '<' if self.peek(1) == Some('<') => {
                    return Err("a here-document (<<) cannot be written on one command line".into());
                }
                '<' | '>' => {
                    self.redirect = true;
                    self.start_word();
                    self.lit.push(c);
                    self.i += 1;
                    self.mark_end();
                }
                '(' | ')' if self.word_start.is_none() => {
                    self.compound = true;
                    self.start_word();
                    self.lit.push(c);
                    self.i += 1;
                    self.mark_end();
                    self.end_word();
                }
                c => {
                    self.start_word();
                    self.lit.push(c);
                    self.i += 1;
                    self.mark_end();
                }
            }
        }
        self.end_command(";");
        Ok(self.commands)
    }
}

// The byte where the last word read ends (for the command's text).
impl Lexer<'_> {
    fn mark_end(&mut self) {
        self.last_word_end = Some(self.pos());
    }
}

impl Lexer<'_> {
    fn single_quoted(&mut self) -> Result<(), String> {
        self.i += 1;
        loop {
            match self.peek(0) {
                None => return Err("a single quote is not closed".into()),
                Some('\'') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(c) => {
                    self.lit.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn double_quoted(&mut self) -> Result<(), String> {
        self.i += 1;
        loop {
            match self.peek(0) {
                None => return Err("a double quote is not closed".into()),
                Some('"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some('\\') => match self.peek(1) {
                    Some('\n') if !self.words_only => self.i += 2,
                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                        self.lit.push(c);
                        self.i += 2;
                    }
                    _ => {
                        self.lit.push('\\');
                        self.i += 1;
                    }
                },
                Some('$') if self.words_only => self.plain_dollar(true),
                Some('$') => self.dollar(true)?,
                Some('`') if self.words_only => {
                    self.opaque = true;
                    self.lit.push('`');
                    self.i += 1;
                }
                Some('`') => {
                    let raw = self.backticks()?;
                    self.flush_lit();
                    self.parts.push(Part::Dynamic(raw));
                }
                Some(c) => {
                    self.lit.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn backticks(&mut self) -> Result<String, String> {
        let start = self.pos();
        self.i += 1;
        loop {
            match self.peek(0) {
                None => return Err("a backquote is not closed".into()),
                Some('\\') => self.i += 2,
                Some('`') => {
                    self.i += 1;
                    return Ok(self.src[start..self.pos()].to_string());
                }
                Some(_) => self.i += 1,
            }
        }
    }

    /// Up to the `close` that balances `open` (quotes inside skipped); returns the inside.
    fn balanced(&mut self, open: char, close: char, what: &str) -> Result<String, String> {
        let start = self.pos();
        let mut depth = 1;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek(0) {
            self.i += 1;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some('"'), '\\') => self.i += 1,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '\\') => self.i += 1,
                (None, c) if c == open => depth += 1,
                (None, c) if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        let end = self
                            .chars
                            .get(self.i - 1)
                            .map_or(self.src.len(), |(p, _)| *p);
                        return Ok(self.src[start..end].to_string());
                    }
                }
                _ => {}
            }
        }
        Err(format!("{what} is not closed"))
    }

    fn dollar(&mut self, quoted: bool) -> Result<(), String> {
        let start = self.pos();
        match (self.peek(1), self.peek(2)) {
            (Some('('), Some('(')) => {
                self.i += 3;
                let expr = self.balanced('(', ')', "$((")?;
                // The balanced `)` was the first of `))`.
                if self.peek(0) != Some(')') {
                    return Err("$(( ... )) is not closed by ))".into());
                }
                self.i += 1;
                self.flush_lit();
                self.parts.push(Part::Arith(expr.trim().to_string()));
            }
            (Some('('), _) => {
                self.i += 2;
                self.balanced('(', ')', "$(")?;
                let raw = self.src[start..self.pos()].to_string();
                self.flush_lit();
                self.parts.push(Part::Dynamic(raw));
            }
            (Some('{'), _) => {
                self.i += 2;
                let inner = self.balanced('{', '}', "${")?;
                self.flush_lit();
                self.parts
                    .push(braced(&inner, quoted, &self.src[start..self.pos()]));
            }
            (Some(c), _) if c == '_' || c.is_ascii_alphabetic() => {
                self.i += 1;
                let mut name = String::new();
                while let Some(c) = self
                    .peek(0)
                    .filter(|c| *c == '_' || c.is_ascii_alphanumeric())
                {
                    name.push(c);
                    self.i += 1;
                }
                self.flush_lit();
                self.parts.push(Part::Var {
                    name,
                    op: None,
                    quoted,
                });
            }
            (Some(c), _) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.i += 2;
                self.flush_lit();
                self.parts
                    .push(Part::Dynamic(self.src[start..self.pos()].to_string()));
            }
            _ => {
                self.lit.push('$');
                self.i += 1;
            }
        }
        Ok(())
    }
}

// Reading for `words`.
impl Lexer<'_> {
    fn run_words(mut self) -> Result<Vec<Word>, String> {
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() {
                self.end_word();
                self.i += 1;
                continue;
            }
            self.start_word();
            match c {
                '\\' => {
                    let n = self.peek(1).ok_or("the line ends with a backslash")?;
                    self.lit.push(n);
                    self.i += 2;
                }
                '\'' => self.single_quoted()?,
                '"' => self.double_quoted()?,
                '$' => self.plain_dollar(false),
                c => {
                    self.opaque |= OPAQUE.contains(c);
                    self.lit.push(c);
                    self.i += 1;
                }
            }
        }
        self.end_word();
        Ok(self.words)
    }

    /// `$NAME` or `${NAME}`; any other `$` is kept as text, and makes the word opaque unless
    /// it is the last character inside double quotes (where the shell keeps it as well).
    fn plain_dollar(&mut self, quoted: bool) {
        let braced = self.peek(1) == Some('{');
        let mut k = if braced { 2 } else { 1 };
        let mut name = String::new();
        while let Some(c) = self
            .peek(k)
            .filter(|c| *c == '_' || c.is_ascii_alphanumeric())
        {
            name.push(c);
            k += 1;
        }
        let closed = !braced || self.peek(k) == Some('}');
        if closed && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()) {
            self.i += k + usize::from(braced);
            self.flush_lit();
            self.parts.push(Part::Var {
                name,
                op: None,
                quoted,
            });
            return;
        }
        self.opaque |= !quoted || !matches!(self.peek(1), None | Some('"'));
        self.lit.push('$');
        self.i += 1;
    }
}

/// `${...}`: a variable with an optional default operator, or something dynamic.
fn braced(inner: &str, quoted: bool, raw: &str) -> Part {
    let name_len = inner
        .char_indices()
        .take_while(|(i, c)| *c == '_' || c.is_ascii_alphabetic() || (*i > 0 && c.is_ascii_digit()))
        .count();
    let (name, rest) = inner.split_at(name_len);
    if name.is_empty() {
        return Part::Dynamic(raw.to_string());
    }
    if rest.is_empty() {
        return Part::Var {
            name: name.into(),
            op: None,
            quoted,
        };
    }
    for op in [":-", ":=", ":+", ":?", "-", "=", "+", "?"] {
        if let Some(word) = rest.strip_prefix(op) {
            return Part::Var {
                name: name.into(),
                op: Some((op.into(), word.into())),
                quoted,
            };
        }
    }
    Part::Dynamic(raw.to_string())
}
