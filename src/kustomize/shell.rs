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
        let word = Word {
            parts: std::mem::take(&mut self.parts),
            text: join_continuations(raw),
            line: self.line_of(start),
            end_line: self.line_of(end.saturating_sub(1).max(start)),
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
                    Some('\n') => self.i += 2,
                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                        self.lit.push(c);
                        self.i += 2;
                    }
                    _ => {
                        self.lit.push('\\');
                        self.i += 1;
                    }
                },
                Some('$') => self.dollar(true)?,
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

// -----------------------------------------------------------------------------------------
// Expansion, with what the container's env says.

/// The value of a word when every part is known: literal text, variables the lookup knows,
/// arithmetic over them. `Ok(None)`: the word depends on the pod at run time (keep it as
/// written). `Err`: the word uses something this reader refuses to evaluate.
pub fn expand(word: &Word, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, String> {
    let mut out = String::new();
    for part in &word.parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Var { name, op, quoted } => {
                let value = match (env(name), op) {
                    (Some(v), None) => v,
                    (Some(v), Some((op, _))) if !(op.starts_with(':') && v.is_empty()) => {
                        if op.ends_with('+') {
                            return Ok(None);
                        }
                        v
                    }
                    _ => return Ok(None),
                };
                // Unquoted, the shell would split or glob these: keep the word as written.
                if !quoted && value.contains([' ', '\t', '\n', '*', '?', '[']) {
                    return Ok(None);
                }
                out.push_str(&value);
            }
            Part::Arith(expr) => match arithmetic(expr, env)? {
                Some(n) => out.push_str(&n.to_string()),
                None => return Ok(None),
            },
            Part::Dynamic(_) => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// The names of the variables a word reads.
pub fn variables(word: &Word) -> Vec<String> {
    let mut out = Vec::new();
    for part in &word.parts {
        match part {
            Part::Var { name, .. } => out.push(name.clone()),
            Part::Arith(expr) => out.extend(
                Arith::tokens(expr)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|t| match t {
                        Tok::Name(n) => Some(n),
                        _ => None,
                    }),
            ),
            _ => {}
        }
    }
    out
}

/// Evaluate `$(( expr ))`: integers, variables (whose values must be integers), `+ - * / %`,
/// unary signs and parentheses. `Ok(None)` when a variable is not known.
pub fn arithmetic(expr: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<i64>, String> {
    let tokens = Arith::tokens(expr)?;
    let mut a = Arith {
        tokens,
        i: 0,
        env,
        unknown: false,
        depth: 0,
    };
    let v = a.sum()?;
    if a.i != a.tokens.len() {
        return Err(format!(
            "$(( {expr} )): cannot read past {:?}",
            a.tokens[a.i]
        ));
    }
    Ok((!a.unknown).then_some(v))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(char),
}

struct Arith<'e> {
    tokens: Vec<Tok>,
    i: usize,
    env: &'e dyn Fn(&str) -> Option<String>,
    unknown: bool,
    depth: usize,
}

impl Arith<'_> {
    fn tokens(expr: &str) -> Result<Vec<Tok>, String> {
        let refuse = |what: &str| {
            Err(format!(
                "$(( {expr} )) uses {what}; convert-guide evaluates + - * / % and parentheses over numbers and variables"
            ))
        };
        let chars: Vec<char> = expr.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                ' ' | '\t' | '\n' => i += 1,
                '0'..='9' => {
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                    let text: String = chars[start..i].iter().collect();
                    if text.len() > 1 && text.starts_with('0') {
                        return refuse("a number in another base");
                    }
                    match text.parse() {
                        Ok(n) => out.push(Tok::Num(n)),
                        Err(_) => return refuse(&format!("{text:?}")),
                    }
                }
                '$' | '_' | 'a'..='z' | 'A'..='Z' => {
                    // `$X` and `${X}` are the same variable inside arithmetic.
                    let braced = c == '$' && chars.get(i + 1) == Some(&'{');
                    i += if c != '$' {
                        0
                    } else if braced {
                        2
                    } else {
                        1
                    };
                    let start = i;
                    while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                        i += 1;
                    }
                    if start == i {
                        return refuse("a `$` that is not a variable");
                    }
                    out.push(Tok::Name(chars[start..i].iter().collect()));
                    if braced {
                        if chars.get(i) != Some(&'}') {
                            return refuse("a `${...}` expansion with an operator");
                        }
                        i += 1;
                    }
                }
                '+' | '-' | '*' | '/' | '%' | '(' | ')' => {
                    if matches!(
                        (c, chars.get(i + 1)),
                        ('*', Some('*')) | ('+', Some('+')) | ('-', Some('-'))
                    ) {
                        return refuse(&format!("`{c}{c}`"));
                    }
                    out.push(Tok::Op(c));
                    i += 1;
                }
                other => return refuse(&format!("`{other}`")),
            }
        }
        Ok(out)
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.i)
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.product()?;
        while let Some(Tok::Op(op @ ('+' | '-'))) = self.peek().cloned() {
            self.i += 1;
            let r = self.product()?;
            v = if op == '+' {
                v.checked_add(r)
            } else {
                v.checked_sub(r)
            }
            .ok_or("arithmetic overflow")?;
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut v = self.unary()?;
        while let Some(Tok::Op(op @ ('*' | '/' | '%'))) = self.peek().cloned() {
            self.i += 1;
            let r = self.unary()?;
            if op != '*' && r == 0 {
                if self.unknown {
                    // The value is not known anyway; do not report what may not happen.
                    v = 0;
                    continue;
                }
                return Err("division by zero".into());
            }
            v = match op {
                '*' => v.checked_mul(r),
                '/' => v.checked_div(r),
                _ => v.checked_rem(r),
            }
            .ok_or("arithmetic overflow")?;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        // Signs are counted, not recursed on: `- - - 1` cannot exhaust the stack.
        let mut negative = false;
        while let Some(Tok::Op(op @ ('-' | '+'))) = self.peek().cloned() {
            self.i += 1;
            negative ^= op == '-';
        }
        let v = self.primary()?;
        if negative {
            v.checked_neg().ok_or_else(|| "arithmetic overflow".into())
        } else {
            Ok(v)
        }
    }

    fn primary(&mut self) -> Result<i64, String> {
        let t = self.peek().cloned();
        self.i += 1;
        match t {
            Some(Tok::Num(n)) => Ok(n),
            Some(Tok::Name(name)) => match (self.env)(&name) {
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("variable {name} is {v:?}, not a whole number")),
                None => {
                    self.unknown = true;
                    Ok(1)
                }
            },
            Some(Tok::Op('(')) => {
                self.depth += 1;
                if self.depth > 64 {
                    return Err("arithmetic nested too deep".into());
                }
                let v = self.sum()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::Op(')')) {
                    return Err("a `(` is not closed".into());
                }
                self.i += 1;
                Ok(v)
            }
            other => Err(format!("unexpected {other:?} in arithmetic")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(s: &str) -> Vec<Command> {
        parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn words(s: &str) -> Vec<String> {
        let env = |_: &str| None;
        cmds(s)
            .into_iter()
            .flat_map(|c| c.words)
            .map(|w| expand(&w, &env).ok().flatten().unwrap_or(w.text))
            .collect()
    }

    #[test]
    fn tricky_quoting() {
        assert_eq!(
            words(r#"a'b'"c" 'it'\''s' "say \"hi\" \$x" 'a "b"'"#),
            vec!["abc", "it's", "say \"hi\" $x", "a \"b\"",]
        );
        assert_eq!(words(r"a\ b c\\d"), vec!["a b", r"c\d"]);
        assert_eq!(words("x#y # comment\n"), vec!["x#y"]);
        assert!(parse("echo 'open").is_err());
        assert!(parse("echo \"open").is_err());
    }

    #[test]
    fn continuations_and_comments() {
        let c = cmds("# header\nexec vllm serve \\\n  m \\\n  --a 1\n\n# tail\n");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, "exec vllm serve m --a 1");
        assert_eq!((c[0].line, c[0].end_line), (1, 3));
        let lines: Vec<usize> = c[0].words.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![1, 1, 1, 2, 3, 3]);
        assert_eq!(words("ab\\\ncd"), vec!["abcd"]);
    }

    #[test]
    fn multi_line_json_values() {
        let c = cmds("vllm serve m --kv '{\"a\":1,\n   \"b\":2}' \\\n  --x '{}'\n");
        assert_eq!(c.len(), 1);
        let w = &c[0].words[4];
        assert_eq!(w.parts, vec![Part::Lit("{\"a\":1,\n   \"b\":2}".into())]);
        assert_eq!((w.line, w.end_line), (0, 1));
        assert!(c[0].multiline);
        assert_eq!(c[0].words[6].line, 2);
    }

    #[test]
    fn sequences_and_separators() {
        let c = cmds(
            "find /dev/shm -type f -delete\nX=$(( 1 + 2 )); pip install a && exec vllm serve m | tee log &\n",
        );
        let seps: Vec<&str> = c.iter().map(|c| c.sep).collect();
        assert_eq!(seps, vec![";", ";", "&&", "|", "&"]);
        assert_eq!(c[1].text, "X=$(( 1 + 2 ))");
        assert!(cmds("if true; then x; fi")[0].compound);
        assert!(cmds("(cd x)")[0].compound);
        assert!(cmds("x > /tmp/log 2>&1")[0].redirect);
        assert!(parse("cat <<EOF\nx\nEOF\n").is_err());
    }

    #[test]
    fn variables_and_arithmetic() {
        let env = |n: &str| match n {
            "TP" => Some("2".to_string()),
            "DP_LOCAL" => Some("8".to_string()),
            "GROUP" => Some("2".to_string()),
            "SPACED" => Some("a b".to_string()),
            _ => None,
        };
        let one = |s: &str| {
            let w = cmds(s).remove(0).words.remove(0);
            expand(&w, &env)
        };
        assert_eq!(one("$TP"), Ok(Some("2".into())));
        assert_eq!(one("${TP}x"), Ok(Some("2x".into())));
        assert_eq!(one("$((GROUP * DP_LOCAL))"), Ok(Some("16".into())));
        assert_eq!(
            one("$(( (TP + 1) * -$DP_LOCAL % 5 ))"),
            Ok(Some("-4".into()))
        );
        assert_eq!(one("${MISSING-}"), Ok(None), "unknown at conversion");
        assert_eq!(one("${TP:-4}"), Ok(Some("2".into())));
        assert_eq!(one("$LWS_LEADER_ADDRESS"), Ok(None));
        assert_eq!(
            one("$(( ${LWS_WORKER_INDEX:-0} * DP_LOCAL ))").ok(),
            None,
            "operator inside arithmetic is refused"
        );
        assert_eq!(one("$SPACED"), Ok(None), "unquoted: split at run time");
        assert_eq!(one("\"$SPACED\""), Ok(Some("a b".into())));
        assert!(one("$((2 ** 3))").is_err());
        assert!(one("$((1 / 0))").is_err());
        assert_eq!(one("$(hostname)"), Ok(None));
        assert_eq!(arithmetic("9223372036854775807 + 1", &env).ok(), None);
        let deep = "- ".repeat(100_000) + "1";
        assert_eq!(arithmetic(&deep, &env), Ok(Some(1)));
        let nested = "(".repeat(100) + "1" + &")".repeat(100);
        assert!(
            arithmetic(&nested, &env).is_err(),
            "parentheses nest at most 64 deep"
        );
    }
}
