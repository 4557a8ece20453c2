//! Go text/template, the subset llm-d helmfiles use: text and `{{ }}` actions with trim
//! markers and comments; `if` / `else if` / `else` / `end`; variables (`$x := ...`,
//! `$x = ...`) with Go's scoping; pipelines and parenthesized pipelines; fields of the
//! helmfile data (`.Environment.Name`, `.Environment.Values.*`, `.Values.*`, `.Namespace`);
//! literals; and the functions `and or not eq ne printf quote default env toYaml nindent
//! indent`. `readFile`, `exec` and `tpl` are known but never run: they render as `""` with a
//! warning. Everything else (`range`, `with`, `define`, other functions, method calls) is
//! refused with its position, even in branches the chosen environment does not take.
//!
//! Missing map keys are errors, as in helmfile (which renders with `missingkey=error`).
//! Hostile input is bounded: template size, nesting depth, variable count and output size
//! all have limits, and recursion never goes deeper than [`MAX_DEPTH`].

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::yaml::{Kind, Node as YamlNode};

/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;
/// Deepest nesting of `if` blocks, and separately of parentheses.
pub const MAX_DEPTH: usize = 100;
/// Largest rendered output, and largest string any function may produce, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 4 << 20;
/// Most variable declarations one template may hold.
pub const MAX_VARIABLES: usize = 1000;
/// Largest `indent` / `nindent` width.
const MAX_INDENT: i64 = 1000;
/// Deepest value `toYaml` writes (values from YAML files are at most `yaml::MAX_DEPTH` deep).
const MAX_VALUE_DEPTH: usize = 1000;

/// A template value: what fields, variables, literals and functions produce.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    /// Entries in source order.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// Go's truth: false, 0, "", nil and empty collections are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The entry `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Merge `over` into `self` as helmfile merges environment values: maps merge key by key,
    /// recursively; lists and scalars are replaced whole. (Recursion follows the depth of the
    /// values, which YAML parsing bounds.)
    pub fn merge(&mut self, over: Value) {
        match (self, over) {
            (Value::Map(base), Value::Map(over)) => {
                for (key, value) in over {
                    match base.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, existing)) => existing.merge(value),
                        None => base.push((key, value)),
                    }
                }
            }
            (this, over) => *this = over,
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }
}

/// The data a helmfile template sees.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `.Environment.Name`
    pub environment_name: String,
    /// `.Environment.Values` (a Map); `.Values` is the same map.
    pub environment_values: Value,
    /// `.Namespace` ("" unless given).
    pub namespace: String,
    /// What `env "X"` sees; empty by default so output never depends on the machine.
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    /// For output line i (0-based), the template line (1-based, in the file) that produced its
    /// first character. One entry per line of `text` as [`str::lines`] counts them.
    pub lines: Vec<usize>,
    /// `file:line: readFile is not run by convert-guide; rendered as an empty string`, for
    /// each known-but-not-run function the rendering went through.
    pub warnings: Vec<String>,
}

/// Render `template`, which starts at line `first_line` of `file` (helmfiles: the second document).
pub fn render(file: &str, template: &str, first_line: usize, ctx: &Context) -> Result<Rendered> {
    let src = Src::new(file, template, first_line)?;
    let (items, _) = Parser::new(&src).run()?;
    let values = match &ctx.environment_values {
        Value::Null => Value::Map(Vec::new()),
        v => v.clone(),
    };
    let root = Value::Map(vec![
        (
            "Environment".into(),
            Value::Map(vec![
                ("Name".into(), Value::Str(ctx.environment_name.clone())),
                ("Values".into(), values.clone()),
            ]),
        ),
        ("Values".into(), values),
        ("Namespace".into(), Value::Str(ctx.namespace.clone())),
    ]);
    let mut eval = Eval {
        src: &src,
        ctx,
        root,
        vars: Vec::new(),
        out: Out::default(),
        warnings: Vec::new(),
    };
    eval.exec(&items)?;
    Ok(Rendered {
        text: eval.out.text,
        lines: eval.out.lines,
        warnings: eval.warnings,
    })
}

/// Parse only; reject unknown functions and constructs anywhere, even in branches a given
/// environment never takes. Returns the warnings of every known-but-not-run function
/// (`readFile`, `exec`, `tpl`) in the template, in the format of [`Rendered::warnings`].
pub fn check(file: &str, template: &str, first_line: usize) -> Result<Vec<String>> {
    let src = Src::new(file, template, first_line)?;
    let (_, warnings) = Parser::new(&src).run()?;
    Ok(warnings)
}

/// Convert parsed YAML into a Value: plain scalars typed as YAML 1.2 core (ints, floats,
/// true/false, null); quoted and block scalars are strings. Iterative: any depth is fine.
pub fn from_yaml(node: &YamlNode) -> Value {
    enum Work<'a> {
        Visit(&'a YamlNode),
        Seq(usize),
        Map(Vec<String>),
    }
    let mut work = vec![Work::Visit(node)];
    let mut done: Vec<Value> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Work::Visit(n) => match &n.kind {
                Kind::Scalar(s) if s.plain => done.push(plain_scalar(&s.value)),
                Kind::Scalar(s) => done.push(Value::Str(s.value.clone())),
                Kind::Seq(items) => {
                    work.push(Work::Seq(items.len()));
                    work.extend(items.iter().rev().map(Work::Visit));
                }
                Kind::Map(entries) => {
                    work.push(Work::Map(entries.iter().map(|e| e.key.clone()).collect()));
                    work.extend(entries.iter().rev().map(|e| Work::Visit(&e.value)));
                }
            },
            Work::Seq(n) => {
                let items = done.split_off(done.len() - n);
                done.push(Value::List(items));
            }
            Work::Map(keys) => {
                let values = done.split_off(done.len() - keys.len());
                done.push(Value::Map(keys.into_iter().zip(values).collect()));
            }
        }
    }
    done.pop().unwrap_or(Value::Null)
}

/// A plain YAML scalar typed by the YAML 1.2 core schema.
fn plain_scalar(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let (sign, digits) = match s.as_bytes()[0] {
        b'-' => (-1.0, &s[1..]),
        b'+' => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if matches!(digits, ".inf" | ".Inf" | ".INF") {
        return Value::Float(sign * f64::INFINITY);
    }
    let all = |t: &str, f: fn(u8) -> bool| !t.is_empty() && t.bytes().all(f);
    if all(digits, |b| b.is_ascii_digit()) {
        return match s.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => s.parse::<f64>().map_or(Value::Str(s.into()), Value::Float),
        };
    }
    if let Some(oct) = s
        .strip_prefix("0o")
        .filter(|t| all(t, |b| (b'0'..=b'7').contains(&b)))
    {
        return i64::from_str_radix(oct, 8).map_or(Value::Str(s.into()), Value::Int);
    }
    if let Some(hex) = s
        .strip_prefix("0x")
        .filter(|t| all(t, |b| b.is_ascii_hexdigit()))
    {
        return i64::from_str_radix(hex, 16).map_or(Value::Str(s.into()), Value::Int);
    }
    if is_core_float(digits)
        && let Ok(f) = s.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(s.into())
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, sign already removed.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

// ---------------------------------------------------------------------------------------
// Source positions

struct Src<'a> {
    file: &'a str,
    text: &'a str,
    first_line: usize,
    /// Byte offset where each template line starts.
    starts: Vec<usize>,
}

impl<'a> Src<'a> {
    fn new(file: &'a str, text: &'a str, first_line: usize) -> Result<Src<'a>> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let src = Src {
            file,
            text,
            first_line: first_line.max(1),
            starts,
        };
        if text.len() > MAX_TEMPLATE_BYTES {
            return Err(src.err(
                0,
                format!(
                    "template is {} bytes; convert-guide reads templates up to {MAX_TEMPLATE_BYTES} bytes",
                    text.len()
                ),
            ));
        }
        Ok(src)
    }

    fn index(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1) - 1
    }

    /// The file line (1-based) of a byte offset of the template.
    fn line(&self, offset: usize) -> usize {
        self.index(offset) + self.first_line
    }

    fn column(&self, offset: usize) -> usize {
        let start = self.starts[self.index(offset)];
        let offset = offset.min(self.text.len());
        self.text[start..offset].chars().count() + 1
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> Error {
        // Error::syntax numbers the lines of the text it quotes: pad so they are file lines.
        let mut padded = "\n".repeat(self.first_line - 1);
        padded.push_str(self.text);
        Error::syntax(
            self.file,
            &padded,
            self.line(offset),
            self.column(offset),
            message,
        )
    }

    fn refused(&self, offset: usize, construct: &str, hint: &str) -> Error {
        self.err(
            offset,
            format!("{construct} is not supported by convert-guide{hint}"),
        )
    }

    fn warning(&self, offset: usize, func: Func) -> String {
        format!(
            "{}:{}: {} is not run by convert-guide; rendered as an empty string",
            self.file,
            self.line(offset),
            func.name()
        )
    }
}

// ---------------------------------------------------------------------------------------
// Lexer: one action at a time

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `.a.b`; empty for `.` itself.
    Field(Vec<String>),
    /// `$x.a.b`; the name is "" for `$`.
    Var(String, Vec<String>),
    /// `.a.b` written right after `)`.
    Chain(Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

const BYTE_ESCAPE: &str =
    "byte escapes above \\x7f (\\177) are not supported; write the character or \\u";

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

struct Action {
    /// Offset of `{{`.
    open: usize,
    left_trim: bool,
    right_trim: bool,
    /// Offset just after `}}`.
    end: usize,
    /// None for a comment.
    toks: Option<Vec<Token>>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Src<'_> {
    fn lex_action(&self, open: usize) -> Result<Action> {
        let text = self.text;
        let bytes = text.as_bytes();
        let unclosed = || self.err(open, "unclosed action: no matching `}}`");
        let left_trim =
            bytes.get(open + 2) == Some(&b'-') && bytes.get(open + 3).is_some_and(|b| is_space(*b));
        let mut i = if left_trim { open + 4 } else { open + 2 };
        if text[i..].starts_with("/*") {
            let close = text[i + 2..]
                .find("*/")
                .ok_or_else(|| self.err(open, "unclosed comment"))?;
            let after = i + 2 + close + 2;
            let (right_trim, end) = if text[after..].starts_with("}}") {
                (false, after + 2)
            } else if text[after..].len() >= 4
                && is_space(bytes[after])
                && text[after + 1..].starts_with("-}}")
            {
                (true, after + 4)
            } else {
                return Err(self.err(after, "comment ends before closing delimiter `}}`"));
            };
            return Ok(Action {
                open,
                left_trim,
                right_trim,
                end,
                toks: None,
            });
        }
        let mut toks: Vec<Token> = Vec::new();
        let mut last_end: Option<usize> = None;
        loop {
            let before = i;
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            let spaced = i > before || (left_trim && i == open + 4);
            if i >= bytes.len() {
                return Err(unclosed());
            }
            let rest = &text[i..];
            if rest.starts_with("}}") {
                return Ok(Action {
                    open,
                    left_trim,
                    right_trim: false,
                    end: i + 2,
                    toks: Some(toks),
                });
            }
            if rest.starts_with("-}}") && spaced {
                return Ok(Action {
                    open,
                    left_trim,
                    right_trim: true,
                    end: i + 3,
                    toks: Some(toks),
                });
            }
            let adjacent = last_end == Some(i);
            let start = i;
            let c = rest.chars().next().unwrap_or('\0');
            let next = rest[c.len_utf8()..].chars().next().unwrap_or('\0');
            let tok = if c == '.' && is_ident_char(next) && !next.is_ascii_digit() {
                let (fields, end) = self.lex_fields(i);
                i = end;
                let last = toks.last().filter(|_| adjacent).map(|t| &t.tok);
                match last {
                    Some(Tok::RParen) => Tok::Chain(fields),
                    Some(Tok::LParen | Tok::Pipe | Tok::Declare | Tok::Assign | Tok::Comma)
                    | None => Tok::Field(fields),
                    Some(_) => {
                        return Err(self.err(
                            start,
                            "unexpected field access after a term; write a space before it or use a variable",
                        ));
                    }
                }
            } else if c == '.' && !next.is_ascii_digit() {
                i += 1;
                Tok::Field(Vec::new())
            } else if c.is_ascii_digit()
                || (c == '.' && next.is_ascii_digit())
                || ((c == '-' || c == '+') && (next.is_ascii_digit() || next == '.'))
            {
                let (tok, end) = self.lex_number(i)?;
                i = end;
                tok
            } else if c == '$' {
                let name_end = text[i + 1..]
                    .char_indices()
                    .find(|(_, c)| !is_ident_char(*c))
                    .map_or(text.len(), |(k, _)| i + 1 + k);
                let name = text[i + 1..name_end].to_string();
                i = name_end;
                let mut fields = Vec::new();
                if text[i..].starts_with('.')
                    && text[i + 1..]
                        .chars()
                        .next()
                        .is_some_and(|c| is_ident_char(c) && !c.is_ascii_digit())
                {
                    let (f, end) = self.lex_fields(i);
                    fields = f;
                    i = end;
                }
                Tok::Var(name, fields)
            } else if is_ident_char(c) {
                let end = text[i..]
                    .char_indices()
                    .find(|(_, c)| !is_ident_char(*c))
                    .map_or(text.len(), |(k, _)| i + k);
                let word = text[i..end].to_string();
                i = end;
                Tok::Ident(word)
            } else if c == '"' {
                let (s, end) = self.lex_string(i)?;
                i = end;
                Tok::Str(s)
            } else if c == '`' {
                let close = text[i + 1..]
                    .find('`')
                    .ok_or_else(|| self.err(i, "unterminated raw string"))?;
                let s = text[i + 1..i + 1 + close].replace('\r', "");
                i += close + 2;
                Tok::Str(s)
            } else if c == '\'' {
                return Err(self.refused(i, "a character constant", " (write a string instead)"));
            } else if c == '(' {
                i += 1;
                Tok::LParen
            } else if c == ')' {
                i += 1;
                Tok::RParen
            } else if c == '|' {
                i += 1;
                Tok::Pipe
            } else if c == ',' {
                i += 1;
                Tok::Comma
            } else if rest.starts_with(":=") {
                i += 2;
                Tok::Declare
            } else if c == '=' {
                i += 1;
                Tok::Assign
            } else {
                return Err(self.err(
                    i,
                    format!(
                        "unexpected {} in action",
                        crate::error::printable(&format!("{c:?}"))
                    ),
                ));
            };
            toks.push(Token { tok, pos: start });
            last_end = Some(i);
        }
    }

    /// `.a.b.c` starting at the first `.`; returns the field names and the end offset.
    fn lex_fields(&self, mut i: usize) -> (Vec<String>, usize) {
        let text = self.text;
        let mut fields = Vec::new();
        while text[i..].starts_with('.') {
            let name_end = text[i + 1..]
                .char_indices()
                .find(|(_, c)| !is_ident_char(*c))
                .map_or(text.len(), |(k, _)| i + 1 + k);
            if name_end == i + 1 {
                break;
            }
            fields.push(text[i + 1..name_end].to_string());
            i = name_end;
        }
        (fields, i)
    }

    fn lex_number(&self, start: usize) -> Result<(Tok, usize)> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = start + 1;
        while i < bytes.len() {
            let b = bytes[i];
            let sign_after_exponent = (b == b'+' || b == b'-')
                && matches!(bytes[i - 1], b'e' | b'E')
                && !text[start..i].contains(['x', 'X']);
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || sign_after_exponent {
                i += 1;
            } else {
                break;
            }
        }
        let raw = &text[start..i];
        let bad = || self.err(start, format!("bad number syntax: {raw:?}"));
        let cleaned = raw.replace('_', "");
        let (negative, body) = match cleaned.as_bytes()[0] {
            b'-' => (true, &cleaned[1..]),
            b'+' => (false, &cleaned[1..]),
            _ => (false, &cleaned[..]),
        };
        let radix = |prefix: &[&str], radix: u32| -> Option<Result<i64>> {
            let digits = prefix.iter().find_map(|p| body.strip_prefix(p))?;
            Some(
                i64::from_str_radix(digits, radix)
                    .map(|v| if negative { -v } else { v })
                    .map_err(|_| bad()),
            )
        };
        let int = radix(&["0x", "0X"], 16)
            .or_else(|| radix(&["0o", "0O"], 8))
            .or_else(|| radix(&["0b", "0B"], 2));
        if let Some(v) = int {
            return Ok((Tok::Int(v?), i));
        }
        if body.contains(['.', 'e', 'E']) {
            let f: f64 = cleaned.parse().map_err(|_| bad())?;
            return Ok((Tok::Float(f), i));
        }
        if !body.bytes().all(|b| b.is_ascii_digit()) || body.is_empty() {
            return Err(bad());
        }
        let v = if body.len() > 1 && body.starts_with('0') {
            i64::from_str_radix(&body[1..], 8).map_err(|_| bad())?
        } else {
            body.parse::<i64>()
                .map_err(|_| self.err(start, format!("integer overflow: {raw:?}")))?
        };
        Ok((Tok::Int(if negative { -v } else { v }), i))
    }

    /// A Go interpreted string literal starting at `"`.
    fn lex_string(&self, start: usize) -> Result<(String, usize)> {
        let text = self.text;
        let mut out = String::new();
        let mut chars = text[start + 1..].char_indices();
        let at = |k: usize| start + 1 + k;
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => return Ok((out, at(k) + 1)),
                '\n' => return Err(self.err(at(k), "newline in string literal")),
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    let mut hex = |n: usize| -> Result<u32> {
                        let digits: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, c)| c))
                            .collect();
                        if digits.len() != n || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(self.err(at(k), "bad or unterminated escape sequence"));
                        }
                        u32::from_str_radix(&digits, 16)
                            .map_err(|_| self.err(at(k), format!("bad escape \\{e}{digits}")))
                    };
                    let ch = match e {
                        'a' => '\u{7}',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'v' => '\u{b}',
                        '\\' => '\\',
                        '"' => '"',
                        'x' => {
                            let v = hex(2)?;
                            if v > 0x7f {
                                return Err(self.err(at(k), BYTE_ESCAPE));
                            }
                            char::from_u32(v).unwrap_or('\0')
                        }
                        'u' => char::from_u32(hex(4)?)
                            .ok_or_else(|| self.err(at(k), "escape is not a valid character"))?,
                        'U' => char::from_u32(hex(8)?)
                            .ok_or_else(|| self.err(at(k), "escape is not a valid character"))?,
                        '0'..='7' => {
                            let mut v = e.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match chars.next() {
                                    Some((_, d @ '0'..='7')) => {
                                        v = v * 8 + d.to_digit(8).unwrap_or(0)
                                    }
                                    _ => {
                                        return Err(
                                            self.err(at(k), "octal escapes take three digits")
                                        );
                                    }
                                }
                            }
                            if v > 0x7f {
                                return Err(self.err(at(k), BYTE_ESCAPE));
                            }
                            char::from_u32(v).unwrap_or('\0')
                        }
                        other => {
                            return Err(self.err(
                                at(k),
                                format!(
                                    "unknown escape sequence \\{}",
                                    crate::error::printable(&other.to_string())
                                ),
                            ));
                        }
                    };
                    out.push(ch);
                }
                c => out.push(c),
            }
        }
        Err(self.err(start, "unterminated string literal"))
    }
}

// ---------------------------------------------------------------------------------------
// Parser

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    And,
    Or,
    Not,
    Eq,
    Ne,
    Printf,
    Quote,
    Default,
    Env,
    ToYaml,
    Nindent,
    Indent,
    ReadFile,
    Exec,
    Tpl,
}

const SUPPORTED: &str =
    "and, default, env, eq, indent, ne, nindent, not, or, printf, quote, toYaml";

impl Func {
    fn lookup(name: &str) -> Option<Func> {
        Some(match name {
            "and" => Func::And,
            "or" => Func::Or,
            "not" => Func::Not,
            "eq" => Func::Eq,
            "ne" => Func::Ne,
            "printf" => Func::Printf,
            "quote" => Func::Quote,
            "default" => Func::Default,
            "env" => Func::Env,
            "toYaml" => Func::ToYaml,
            "nindent" => Func::Nindent,
            "indent" => Func::Indent,
            "readFile" => Func::ReadFile,
            "exec" => Func::Exec,
            "tpl" => Func::Tpl,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::And => "and",
            Func::Or => "or",
            Func::Not => "not",
            Func::Eq => "eq",
            Func::Ne => "ne",
            Func::Printf => "printf",
            Func::Quote => "quote",
            Func::Default => "default",
            Func::Env => "env",
            Func::ToYaml => "toYaml",
            Func::Nindent => "nindent",
            Func::Indent => "indent",
            Func::ReadFile => "readFile",
            Func::Exec => "exec",
            Func::Tpl => "tpl",
        }
    }

    /// Why `n` arguments (piped value included) do not fit this function, if they do not.
    fn arity_error(self, n: usize) -> Option<String> {
        let (min, max) = self.arity();
        if (min..=max).contains(&n) {
            return None;
        }
        let want = if min == max {
            min.to_string()
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        Some(format!(
            "wrong number of arguments for {}: want {want}, got {n}",
            self.name()
        ))
    }

    /// Accepted argument counts, piped value included.
    fn arity(self) -> (usize, usize) {
        match self {
            Func::And | Func::Or | Func::Printf => (1, usize::MAX),
            Func::Eq => (2, usize::MAX),
            Func::Quote => (0, usize::MAX),
            Func::Not | Func::Env | Func::ToYaml | Func::ReadFile => (1, 1),
            Func::Ne | Func::Nindent | Func::Indent | Func::Exec | Func::Tpl => (2, 2),
            Func::Default => (1, 2),
        }
    }

    fn not_run(self) -> bool {
        matches!(self, Func::ReadFile | Func::Exec | Func::Tpl)
    }
}

#[derive(Debug)]
enum Item {
    /// Template text `start..end` (byte offsets), trim markers applied.
    Text {
        start: usize,
        end: usize,
    },
    Action(Pipe),
    If {
        branches: Vec<(Pipe, Vec<Item>)>,
        otherwise: Vec<Item>,
    },
}

#[derive(Debug)]
struct Pipe {
    decl: Option<Decl>,
    cmds: Vec<Cmd>,
}

#[derive(Debug)]
struct Decl {
    name: String,
    declare: bool,
}

#[derive(Debug)]
struct Cmd {
    pos: usize,
    head: Head,
    args: Vec<Arg>,
}

#[derive(Debug)]
enum Head {
    Func(Func),
    Operand(Arg),
}

#[derive(Debug)]
enum Arg {
    Lit(Value),
    /// A path from the data (`.a.b`; empty for `.`).
    Field(Vec<String>, usize),
    /// A variable and a path into it; "" is `$`.
    Var(String, Vec<String>, usize),
    /// A function used as an argument: called with no arguments, as Go does.
    Call(Func, usize),
    Paren(Box<Pipe>, Vec<String>, usize),
}

/// An open `if` block.
struct Frame {
    open: usize,
    branches: Vec<(Pipe, Vec<Item>)>,
    cond: Option<Pipe>,
    body: Vec<Item>,
    in_else: bool,
    vars_mark: usize,
}

struct Parser<'s, 'a> {
    src: &'s Src<'a>,
    /// Variables in scope, for static resolution.
    vars: Vec<String>,
    declared: usize,
    warnings: Vec<String>,
}

const REFUSED_KEYWORDS: &[&str] = &[
    "range", "with", "define", "template", "block", "break", "continue",
];

impl<'s, 'a> Parser<'s, 'a> {
    fn new(src: &'s Src<'a>) -> Self {
        Parser {
            src,
            vars: Vec::new(),
            declared: 0,
            warnings: Vec::new(),
        }
    }

    fn run(mut self) -> Result<(Vec<Item>, Vec<String>)> {
        let src = self.src;
        let text = src.text;
        let mut root: Vec<Item> = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut i = 0;
        let mut trim_next = false;
        loop {
            let open = text[i..].find("{{").map(|k| i + k);
            let mut start = i;
            let mut end = open.unwrap_or(text.len());
            if trim_next {
                while start < end && is_space(text.as_bytes()[start]) {
                    start += 1;
                }
            }
            let action = match open {
                Some(open) => Some(src.lex_action(open)?),
                None => None,
            };
            if action.as_ref().is_some_and(|a| a.left_trim) {
                while end > start && is_space(text.as_bytes()[end - 1]) {
                    end -= 1;
                }
            }
            let body = match stack.last_mut() {
                Some(f) => &mut f.body,
                None => &mut root,
            };
            if start < end {
                body.push(Item::Text { start, end });
            }
            let Some(action) = action else { break };
            i = action.end;
            trim_next = action.right_trim;
            if let Some(toks) = &action.toks {
                self.action(&action, toks, &mut stack, &mut root)?;
            }
        }
        if let Some(frame) = stack.last() {
            return Err(src.err(frame.open, "unclosed `if`: no matching `{{ end }}`"));
        }
        Ok((root, self.warnings))
    }

    fn action(
        &mut self,
        action: &Action,
        toks: &[Token],
        stack: &mut Vec<Frame>,
        root: &mut Vec<Item>,
    ) -> Result<()> {
        let src = self.src;
        let keyword = match toks.first().map(|t| &t.tok) {
            Some(Tok::Ident(w)) => w.as_str(),
            _ => "",
        };
        let pos = toks.first().map_or(action.open, |t| t.pos);
        match keyword {
            "if" => {
                if stack.len() >= MAX_DEPTH {
                    return Err(src.err(pos, format!("`if` nested deeper than {MAX_DEPTH}")));
                }
                let cond = self.condition(&toks[1..], pos, "if")?;
                stack.push(Frame {
                    open: action.open,
                    branches: Vec::new(),
                    cond: Some(cond),
                    body: Vec::new(),
                    in_else: false,
                    vars_mark: self.vars.len(),
                });
            }
            "else" => {
                let Some(frame) = stack.last_mut() else {
                    return Err(src.err(pos, "`{{ else }}` outside an `if`"));
                };
                if frame.in_else {
                    return Err(src.err(pos, "`{{ else }}` after `{{ else }}` in the same `if`"));
                }
                self.vars.truncate(frame.vars_mark);
                let body = std::mem::take(&mut frame.body);
                if let Some(cond) = frame.cond.take() {
                    frame.branches.push((cond, body));
                }
                match toks.get(1).map(|t| &t.tok) {
                    None => frame.in_else = true,
                    Some(Tok::Ident(w)) if w == "if" => {
                        let cond = self.condition(&toks[2..], toks[1].pos, "else if")?;
                        stack.last_mut().expect("frame checked above").cond = Some(cond);
                    }
                    Some(Tok::Ident(w)) if REFUSED_KEYWORDS.contains(&w.as_str()) => {
                        return Err(src.refused(toks[1].pos, &format!("`else {w}`"), ""));
                    }
                    Some(_) => {
                        return Err(src.err(
                            toks[1].pos,
                            "unexpected word after `else`; expected `}}` or `if`",
                        ));
                    }
                }
            }
            "end" => {
                if toks.len() > 1 {
                    return Err(src.err(toks[1].pos, "unexpected word after `end`"));
                }
                let Some(mut frame) = stack.pop() else {
                    return Err(src.err(pos, "`{{ end }}` without an open `if`"));
                };
                self.vars.truncate(frame.vars_mark);
                let body = std::mem::take(&mut frame.body);
                let otherwise = match frame.cond.take() {
                    Some(cond) => {
                        frame.branches.push((cond, body));
                        Vec::new()
                    }
                    None => body,
                };
                let item = Item::If {
                    branches: frame.branches,
                    otherwise,
                };
                match stack.last_mut() {
                    Some(f) => f.body.push(item),
                    None => root.push(item),
                }
            }
            w if REFUSED_KEYWORDS.contains(&w) => {
                return Err(src.refused(
                    pos,
                    &format!("`{w}`"),
                    " (supported: if / else if / else / end, variables, pipelines)",
                ));
            }
            _ => {
                if toks.is_empty() {
                    return Err(src.err(action.open, "empty action: missing value"));
                }
                let mut i = 0;
                let pipe = self.pipe(toks, &mut i, 0, true, action.open)?;
                let body = match stack.last_mut() {
                    Some(f) => &mut f.body,
                    None => root,
                };
                body.push(Item::Action(pipe));
            }
        }
        Ok(())
    }

    fn condition(&mut self, toks: &[Token], pos: usize, what: &str) -> Result<Pipe> {
        if toks.is_empty() {
            return Err(self
                .src
                .err(pos, format!("missing condition after `{what}`")));
        }
        let mut i = 0;
        self.pipe(toks, &mut i, 0, false, pos)
    }

    /// A pipeline from `toks[*i]` up to the end of the tokens (depth 0) or a `)`.
    fn pipe(
        &mut self,
        toks: &[Token],
        i: &mut usize,
        depth: usize,
        allow_decl: bool,
        fallback: usize,
    ) -> Result<Pipe> {
        let src = self.src;
        let mut decl = None;
        if let (
            Some(Token {
                tok: Tok::Var(name, fields),
                pos,
            }),
            Some(next),
        ) = (toks.get(*i), toks.get(*i + 1))
        {
            let pos = *pos;
            match next.tok {
                Tok::Declare | Tok::Assign => {
                    if !allow_decl {
                        return Err(src.refused(
                            pos,
                            "a variable declaration here",
                            " (declare variables in their own action: {{ $x := ... }})",
                        ));
                    }
                    if !fields.is_empty() || name.is_empty() {
                        return Err(src.err(pos, "cannot assign to a field or to `$`"));
                    }
                    let declare = next.tok == Tok::Declare;
                    if !declare && !self.vars.iter().any(|v| v == name) {
                        return Err(src.err(pos, format!("undefined variable \"${name}\"")));
                    }
                    decl = Some((
                        Decl {
                            name: name.clone(),
                            declare,
                        },
                        pos,
                    ));
                    *i += 2;
                }
                Tok::Comma => {
                    return Err(src.refused(next.pos, "declaring several variables at once", ""));
                }
                _ => {}
            }
        }
        let mut cmds = Vec::new();
        loop {
            let cmd = self.cmd(toks, i, depth, cmds.len(), fallback)?;
            cmds.push(cmd);
            match toks.get(*i).map(|t| &t.tok) {
                Some(Tok::Pipe) => *i += 1,
                Some(Tok::RParen) if depth > 0 => break,
                None if depth == 0 => break,
                None => return Err(src.err(fallback, "unclosed `(`")),
                Some(_) => return Err(src.err(toks[*i].pos, "unexpected `)`")),
            }
        }
        let decl = match decl {
            Some((d, pos)) if d.declare => {
                self.declared += 1;
                if self.declared > MAX_VARIABLES {
                    return Err(src.err(
                        pos,
                        format!("more than {MAX_VARIABLES} variable declarations"),
                    ));
                }
                self.vars.push(d.name.clone());
                Some(d)
            }
            other => other.map(|(d, _)| d),
        };
        Ok(Pipe { decl, cmds })
    }

    fn cmd(
        &mut self,
        toks: &[Token],
        i: &mut usize,
        depth: usize,
        stage: usize,
        fallback: usize,
    ) -> Result<Cmd> {
        let src = self.src;
        let pos = toks.get(*i).map_or(fallback, |t| t.pos);
        let mut words = Vec::new();
        while let Some(t) = toks.get(*i) {
            if matches!(t.tok, Tok::Pipe | Tok::RParen) {
                break;
            }
            words.push(self.operand(toks, i, depth, fallback)?);
        }
        if words.is_empty() {
            return Err(src.err(pos, "missing command in pipeline"));
        }
        let mut words = words.into_iter();
        let first = words.next().expect("not empty");
        let args: Vec<Arg> = words.collect();
        // A function as an argument is called with no arguments, as Go does.
        for a in &args {
            if let Arg::Call(f, at) = a
                && let Some(message) = f.arity_error(0)
            {
                return Err(src.err(
                    *at,
                    format!("{message} (to pass its result, write ({} ...))", f.name()),
                ));
            }
        }
        let head = match first {
            Arg::Call(f, _) => {
                let n = args.len() + usize::from(stage > 0);
                if let Some(message) = f.arity_error(n) {
                    return Err(src.err(pos, message));
                }
                Head::Func(f)
            }
            operand => {
                let method = match &operand {
                    Arg::Field(path, _) | Arg::Var(_, path, _) | Arg::Paren(_, path, _) => {
                        !path.is_empty()
                    }
                    _ => false,
                };
                if method && (stage > 0 || !args.is_empty()) {
                    return Err(src.refused(
                        pos,
                        "a method call",
                        " (a field given arguments, or a field after `|`)",
                    ));
                }
                if stage > 0 {
                    return Err(src.err(pos, "only a function can follow `|`"));
                }
                if !args.is_empty() {
                    return Err(src.err(
                        pos,
                        "cannot give arguments to a value that is not a function",
                    ));
                }
                Head::Operand(operand)
            }
        };
        Ok(Cmd { pos, head, args })
    }

    fn operand(
        &mut self,
        toks: &[Token],
        i: &mut usize,
        depth: usize,
        fallback: usize,
    ) -> Result<Arg> {
        let src = self.src;
        let t = &toks[*i];
        *i += 1;
        let pos = t.pos;
        Ok(match &t.tok {
            Tok::Str(s) => Arg::Lit(Value::Str(s.clone())),
            Tok::Int(v) => Arg::Lit(Value::Int(*v)),
            Tok::Float(v) => Arg::Lit(Value::Float(*v)),
            Tok::Field(path) => Arg::Field(path.clone(), pos),
            Tok::Var(name, path) => {
                if !name.is_empty() && !self.vars.iter().any(|v| v == name) {
                    return Err(src.err(pos, format!("undefined variable \"${name}\"")));
                }
                Arg::Var(name.clone(), path.clone(), pos)
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => Arg::Lit(Value::Bool(true)),
                "false" => Arg::Lit(Value::Bool(false)),
                "nil" => Arg::Lit(Value::Null),
                w if REFUSED_KEYWORDS.contains(&w) => {
                    return Err(src.refused(pos, &format!("`{w}`"), ""));
                }
                "if" | "else" | "end" => {
                    return Err(src.err(pos, format!("`{word}` must start its own action")));
                }
                name => match Func::lookup(name) {
                    Some(f) => {
                        if f.not_run() {
                            self.warnings.push(src.warning(pos, f));
                        }
                        Arg::Call(f, pos)
                    }
                    None => {
                        return Err(src.refused(
                            pos,
                            &format!("function `{name}`"),
                            &format!(" (supported: {SUPPORTED})"),
                        ));
                    }
                },
            },
            Tok::LParen => {
                if depth + 1 > MAX_DEPTH {
                    return Err(src.err(pos, format!("parentheses nested deeper than {MAX_DEPTH}")));
                }
                if toks.get(*i).is_some_and(|t| t.tok == Tok::RParen) {
                    return Err(src.err(pos, "empty parentheses"));
                }
                let inner = self.pipe(toks, i, depth + 1, false, pos)?;
                match toks.get(*i) {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => *i += 1,
                    _ => return Err(src.err(pos, "unclosed `(`")),
                }
                let mut path = Vec::new();
                if let Some(Token {
                    tok: Tok::Chain(p), ..
                }) = toks.get(*i)
                {
                    path = p.clone();
                    *i += 1;
                }
                Arg::Paren(Box::new(inner), path, pos)
            }
            Tok::RParen => return Err(src.err(pos, "unexpected `)`")),
            Tok::Pipe => return Err(src.err(pos, "unexpected `|`")),
            Tok::Declare | Tok::Assign => {
                return Err(src.err(pos, "unexpected assignment; write {{ $x := ... }}"));
            }
            Tok::Comma => return Err(src.refused(pos, "`,` (range variables)", "")),
            Tok::Chain(_) => return Err(src.err(fallback.max(pos), "unexpected field access")),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

#[derive(Default)]
struct Out {
    text: String,
    lines: Vec<usize>,
    mid_line: bool,
}

impl Out {
    /// Append `s`. Its first character comes from template line `line`; with `advance`, each
    /// newline of `s` moves to the next template line (text), else all lines stay at `line`
    /// (the output of an action).
    fn push(&mut self, s: &str, mut line: usize, advance: bool) -> bool {
        if self.text.len() + s.len() > MAX_OUTPUT_BYTES {
            return false;
        }
        for b in s.bytes() {
            if !self.mid_line {
                self.lines.push(line);
                self.mid_line = true;
            }
            if b == b'\n' {
                self.mid_line = false;
                if advance {
                    line += 1;
                }
            }
        }
        self.text.push_str(s);
        true
    }
}

struct Eval<'e, 'a> {
    src: &'e Src<'a>,
    ctx: &'e Context,
    root: Value,
    vars: Vec<(String, Value)>,
    out: Out,
    warnings: Vec<String>,
}

impl Eval<'_, '_> {
    fn exec(&mut self, items: &[Item]) -> Result<()> {
        let src = self.src;
        for item in items {
            match item {
                Item::Text { start, end } => {
                    if !self
                        .out
                        .push(&src.text[*start..*end], src.line(*start), true)
                    {
                        return Err(src.err(*start, too_large("output")));
                    }
                }
                Item::Action(pipe) => {
                    let value = self.pipe(pipe)?;
                    let pos = pipe.cmds[0].pos;
                    match &pipe.decl {
                        Some(Decl {
                            name,
                            declare: true,
                        }) => self.vars.push((name.clone(), value)),
                        Some(Decl {
                            name,
                            declare: false,
                        }) => match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                            Some((_, slot)) => *slot = value,
                            None => {
                                return Err(src.err(pos, format!("undefined variable \"${name}\"")));
                            }
                        },
                        None => {
                            let s = self.print(&value, pos, "output")?;
                            if !self.out.push(&s, src.line(pos), false) {
                                return Err(src.err(pos, too_large("output")));
                            }
                        }
                    }
                }
                Item::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = None;
                    for (cond, body) in branches {
                        if self.pipe(cond)?.truthy() {
                            taken = Some(body);
                            break;
                        }
                    }
                    let body = taken.unwrap_or(otherwise);
                    let mark = self.vars.len();
                    self.exec(body)?;
                    self.vars.truncate(mark);
                }
            }
        }
        Ok(())
    }

    fn pipe(&mut self, pipe: &Pipe) -> Result<Value> {
        let mut prev: Option<Value> = None;
        for cmd in &pipe.cmds {
            prev = Some(match &cmd.head {
                Head::Operand(arg) => self.arg(arg)?,
                Head::Func(f) => self.call(*f, cmd.pos, &cmd.args, prev.take())?,
            });
        }
        Ok(prev.unwrap_or(Value::Null))
    }

    fn arg(&mut self, arg: &Arg) -> Result<Value> {
        match arg {
            Arg::Lit(v) => Ok(v.clone()),
            Arg::Field(path, pos) => self.path(&self.root, "", path, *pos).cloned(),
            Arg::Var(name, path, pos) => {
                let base = if name.is_empty() {
                    &self.root
                } else {
                    match self.vars.iter().rev().find(|(n, _)| n == name) {
                        Some((_, v)) => v,
                        None => {
                            return Err(self
                                .src
                                .err(*pos, format!("undefined variable \"${name}\"")));
                        }
                    }
                };
                self.path(base, &format!("${name}"), path, *pos).cloned()
            }
            Arg::Call(f, pos) => self.call(*f, *pos, &[], None),
            Arg::Paren(pipe, path, pos) => {
                let v = self.pipe(pipe)?;
                self.path(&v, "(...)", path, *pos).cloned()
            }
        }
    }

    fn path<'v>(
        &self,
        base: &'v Value,
        prefix: &str,
        path: &[String],
        pos: usize,
    ) -> Result<&'v Value> {
        let mut v = base;
        let mut shown = prefix.to_string();
        for key in path {
            v = match v {
                Value::Map(_) => v.get(key).ok_or_else(|| {
                    self.src.err(
                        pos,
                        format!(
                            "map has no entry for key \"{key}\" (in {shown}.{key}); helmfile fails on missing keys too",
                            shown = if shown.is_empty() { "" } else { &shown }
                        ),
                    )
                })?,
                other => {
                    return Err(self.src.err(
                        pos,
                        format!(
                            "cannot read field \"{key}\" of {} {} (in {shown}.{key})",
                            article(other),
                            other.kind_name()
                        ),
                    ));
                }
            };
            shown.push('.');
            shown.push_str(key);
        }
        Ok(v)
    }

    /// Go's %v of a value being printed.
    fn print(&self, v: &Value, pos: usize, what: &str) -> Result<String> {
        match v {
            Value::Str(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Float(f) => Ok(go_float(*f)),
            Value::Null => Err(self.src.err(
                pos,
                format!("{what} of a null value (Go would write \"<no value>\"); give the key a value or use `default`"),
            )),
            Value::List(_) | Value::Map(_) => Err(self.src.err(
                pos,
                format!("{what} of a {}: use toYaml", v.kind_name()),
            )),
        }
    }

    fn call(&mut self, f: Func, pos: usize, args: &[Arg], piped: Option<Value>) -> Result<Value> {
        let src = self.src;
        // and/or evaluate their arguments lazily, as Go does since 1.18.
        if matches!(f, Func::And | Func::Or) {
            let mut last = Value::Null;
            let count = args.len() + usize::from(piped.is_some());
            let mut piped = piped;
            for k in 0..count {
                last = match args.get(k) {
                    Some(a) => self.arg(a)?,
                    None => piped.take().unwrap_or(Value::Null),
                };
                if last.truthy() == (f == Func::Or) {
                    return Ok(last);
                }
            }
            return Ok(last);
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.arg(a)?);
        }
        vals.extend(piped);
        let err = |m: String| src.err(pos, format!("{}: {m}", f.name()));
        let result = match f {
            Func::And | Func::Or => unreachable!("handled above"),
            Func::Not => Value::Bool(!vals[0].truthy()),
            Func::Eq => {
                let mut any = false;
                for other in &vals[1..] {
                    if go_eq(&vals[0], other).map_err(err)? {
                        any = true;
                        break;
                    }
                }
                Value::Bool(any)
            }
            Func::Ne => Value::Bool(!go_eq(&vals[0], &vals[1]).map_err(err)?),
            Func::Printf => {
                let Value::Str(format) = &vals[0] else {
                    return Err(err(format!(
                        "the format must be a string, not a {}",
                        vals[0].kind_name()
                    )));
                };
                Value::Str(printf(format, &vals[1..]).map_err(err)?)
            }
            Func::Quote => {
                let mut parts = Vec::new();
                for v in vals.iter().filter(|v| **v != Value::Null) {
                    let s = self.print(v, pos, "quote")?;
                    parts.push(go_quote(&s));
                }
                Value::Str(parts.join(" "))
            }
            Func::Default => match vals.get(1) {
                Some(v) if v.truthy() => v.clone(),
                _ => vals[0].clone(),
            },
            Func::Env => match &vals[0] {
                Value::Str(name) => Value::Str(self.ctx.env.get(name).cloned().unwrap_or_default()),
                other => {
                    return Err(err(format!(
                        "the name must be a string, not a {}",
                        other.kind_name()
                    )));
                }
            },
            Func::ToYaml => Value::Str(to_yaml(&vals[0]).map_err(err)?),
            Func::Nindent | Func::Indent => {
                let width = match &vals[0] {
                    Value::Int(n) if (0..=MAX_INDENT).contains(n) => *n as usize,
                    Value::Int(n) => {
                        return Err(err(format!("width {n} is outside 0..={MAX_INDENT}")));
                    }
                    other => {
                        return Err(err(format!(
                            "the width must be an integer, not a {}",
                            other.kind_name()
                        )));
                    }
                };
                let Value::Str(s) = &vals[1] else {
                    return Err(err(format!(
                        "the text must be a string, not a {}",
                        vals[1].kind_name()
                    )));
                };
                let lines = s.bytes().filter(|b| *b == b'\n').count() + 1;
                if s.len().saturating_add(lines.saturating_mul(width)) > MAX_OUTPUT_BYTES {
                    return Err(err(too_large("result")));
                }
                let pad = " ".repeat(width);
                let mut out = String::new();
                if f == Func::Nindent {
                    out.push('\n');
                }
                out.push_str(&pad);
                out.push_str(&s.replace('\n', &format!("\n{pad}")));
                Value::Str(out)
            }
            Func::ReadFile | Func::Exec | Func::Tpl => {
                self.warnings.push(src.warning(pos, f));
                Value::Str(String::new())
            }
        };
        if let Value::Str(s) = &result
            && s.len() > MAX_OUTPUT_BYTES
        {
            return Err(err(too_large("result")));
        }
        Ok(result)
    }
}

fn too_large(what: &str) -> String {
    format!("{what} larger than {MAX_OUTPUT_BYTES} bytes")
}

fn article(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an",
        _ => "a",
    }
}

/// Go's `eq` for two values: basic kinds compare; different kinds are an error unless one
/// side is nil (then they differ); collections cannot be compared.
fn go_eq(a: &Value, b: &Value) -> std::result::Result<bool, String> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(true),
        (Value::Null, _) | (_, Value::Null) => Ok(false),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Int(x), Value::Int(y)) => Ok(x == y),
        (Value::Float(x), Value::Float(y)) => Ok(x == y),
        (Value::Str(x), Value::Str(y)) => Ok(x == y),
        (Value::List(_) | Value::Map(_), _) | (_, Value::List(_) | Value::Map(_)) => Err(format!(
            "cannot compare a {} with a {}",
            a.kind_name(),
            b.kind_name()
        )),
        _ => Err(format!(
            "incompatible types for comparison: {} and {}",
            a.kind_name(),
            b.kind_name()
        )),
    }
}

/// Go's fmt.Sprintf for the verbs %s %d %v %q and %%.
fn printf(format: &str, args: &[Value]) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format ends with a lone %")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .get(next)
            .ok_or_else(|| format!("format needs more than {} argument(s)", args.len()))?;
        next += 1;
        let text = match (verb, arg) {
            ('s' | 'v', Value::Str(s)) => s.clone(),
            ('q', Value::Str(s)) => go_quote(s),
            ('d' | 'v', Value::Int(i)) => i.to_string(),
            ('v', Value::Bool(b)) => b.to_string(),
            ('v', Value::Float(f)) => go_float(*f),
            ('s' | 'd' | 'v' | 'q', other) => {
                return Err(format!(
                    "%{verb} of a {} is not supported",
                    other.kind_name()
                ));
            }
            (other, _) => {
                return Err(format!(
                    "verb %{} is not supported (supported: %s %d %v %q %%)",
                    crate::error::printable(&other.to_string())
                ));
            }
        };
        out.push_str(&text);
        if out.len() > MAX_OUTPUT_BYTES {
            return Err(too_large("result"));
        }
    }
    if next < args.len() {
        return Err(format!(
            "format uses {next} argument(s) but {} were given",
            args.len()
        ));
    }
    Ok(out)
}

/// Go's %v of a float64: shortest representation, exponent form below 1e-4 and from 1e6.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f == 0.0 || (-4..6).contains(&exp) {
        format!("{f}")
    } else {
        format!(
            "{mantissa}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    }
}

/// Go's strconv.Quote (%q): double quotes, Go escapes for what is not printable.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !go_printable(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's unicode.IsPrint: no controls, format characters or spaces other
/// than ' '.
fn go_printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{ad}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        ))
}

// ---------------------------------------------------------------------------------------
// toYaml

/// Block YAML of a value, like helm's toYaml: no trailing newline, strings quoted when a YAML
/// reader (1.1 or 1.2) would otherwise read something else. Map keys keep their order;
/// lists under a map key are not indented (`key:\n- a`), as Go's YAML writer does.
fn to_yaml(v: &Value) -> std::result::Result<String, String> {
    let mut out = String::new();
    match v {
        Value::List(l) if !l.is_empty() => write_block(v, 0, false, &mut out, 0)?,
        Value::Map(m) if !m.is_empty() => write_block(v, 0, false, &mut out, 0)?,
        scalar => out.push_str(&yaml_scalar(scalar)),
    }
    while out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => false,
    }
}

/// Write a non-empty list or map at `indent`; with `inline`, its first line continues the
/// current one (after `- `).
fn write_block(
    v: &Value,
    indent: usize,
    inline: bool,
    out: &mut String,
    depth: usize,
) -> std::result::Result<(), String> {
    if depth > MAX_VALUE_DEPTH {
        return Err(format!("value nested deeper than {MAX_VALUE_DEPTH}"));
    }
    if out.len() > MAX_OUTPUT_BYTES {
        return Err(too_large("result"));
    }
    let pad = " ".repeat(indent);
    match v {
        Value::Map(entries) => {
            for (k, (key, value)) in entries.iter().enumerate() {
                if k > 0 || !inline {
                    out.push_str(&pad);
                }
                out.push_str(&yaml_string(key));
                out.push(':');
                match value {
                    Value::Map(_) if is_block(value) => {
                        out.push('\n');
                        write_block(value, indent + 2, false, out, depth + 1)?;
                    }
                    Value::List(_) if is_block(value) => {
                        out.push('\n');
                        write_block(value, indent, false, out, depth + 1)?;
                    }
                    scalar => {
                        out.push(' ');
                        out.push_str(&yaml_scalar(scalar));
                        out.push('\n');
                    }
                }
            }
        }
        Value::List(items) => {
            for (k, item) in items.iter().enumerate() {
                if k > 0 || !inline {
                    out.push_str(&pad);
                }
                out.push_str("- ");
                if is_block(item) {
                    write_block(item, indent + 2, true, out, depth + 1)?;
                } else {
                    out.push_str(&yaml_scalar(item));
                    out.push('\n');
                }
            }
        }
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
    Ok(())
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.into(),
        Value::Float(f) if *f == 0.0 || (1e-6..1e21).contains(&f.abs()) => format!("{f}"),
        Value::Float(f) => format!("{f:e}"),
        Value::Str(s) => yaml_string(s),
        Value::List(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
    }
}

/// A string as a YAML scalar: plain when every reader keeps it a string, else double-quoted.
fn yaml_string(s: &str) -> String {
    if !needs_quotes(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !go_printable(c) && c != ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    let lower = s.to_ascii_lowercase();
    // Words YAML 1.1 or 1.2 reads as booleans or null.
    if matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
    ) {
        return true;
    }
    // Anything a reader could type as a number, a special float, a sexagesimal or a date.
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let number_like = unsigned.starts_with(|c: char| c.is_ascii_digit())
        || (unsigned.starts_with('.') && unsigned[1..].starts_with(|c: char| c.is_ascii_digit()))
        || matches!(unsigned.to_ascii_lowercase().as_str(), ".inf" | ".nan");
    if number_like && (plain_scalar(s) != Value::Str(s.into()) || looks_numeric(unsigned)) {
        return true;
    }
    if first.is_whitespace() || s.ends_with(char::is_whitespace) {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return true;
    }
    s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars()
            .any(|c| c.is_control() || !go_printable(c) && c != ' ')
}

/// YAML 1.1 number forms the core schema does not know: `1_000`, `0b101`, `012`, `1:20`,
/// dates such as `2001-12-14`.
fn looks_numeric(s: &str) -> bool {
    let t = s.replace('_', "");
    if plain_scalar(&t) != Value::Str(t.clone()) {
        return true;
    }
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let binary = t
        .strip_prefix("0b")
        .is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c == b'0' || c == b'1'));
    let parts: Vec<&str> = t.split(':').collect();
    let sexagesimal = parts.len() >= 2
        && parts[..parts.len() - 1].iter().all(|p| digits(p))
        && parts[parts.len() - 1]
            .split_once('.')
            .map_or(digits(parts[parts.len() - 1]), |(int, frac)| {
                digits(int) && (frac.is_empty() || digits(frac))
            });
    let date = t.len() >= 8 && digits(&t[..4]) && t.as_bytes()[4] == b'-';
    binary || sexagesimal || date
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "helmfile.yaml.gotmpl";

    fn ctx(name: &str) -> Context {
        Context {
            environment_name: name.into(),
            environment_values: Value::Map(vec![
                (
                    "gateway".into(),
                    Value::Map(vec![("className".into(), Value::Str("istio".into()))]),
                ),
                ("flag".into(), Value::Bool(true)),
                ("n".into(), Value::Int(3)),
                ("empty".into(), Value::Str(String::new())),
                ("nothing".into(), Value::Null),
                (
                    "list".into(),
                    Value::List(vec![Value::Int(1), Value::Str("a".into())]),
                ),
            ]),
            ..Context::default()
        }
    }

    fn r(t: &str) -> String {
        render(F, t, 1, &ctx("default")).unwrap().text
    }

    fn err(t: &str) -> String {
        let e = render(F, t, 1, &ctx("default")).unwrap_err();
        e.to_string()
    }

    fn check_err(t: &str) -> String {
        check(F, t, 1).unwrap_err().to_string()
    }

    #[test]
    fn text_passes_through_with_its_lines() {
        let out = render(F, "a: 1\n\nb: 2\n", 10, &Context::default()).unwrap();
        assert_eq!(out.text, "a: 1\n\nb: 2\n");
        assert_eq!(out.lines, vec![10, 11, 12]);
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn actions_print_values() {
        assert_eq!(r("x{{ .Environment.Name }}y"), "xdefaulty");
        assert_eq!(
            r("{{ .Values.n }} {{ .Values.flag }} {{ 1.5 }} {{ 1e6 }}"),
            "3 true 1.5 1e+06"
        );
        assert_eq!(r("{{ .Environment.Values.gateway.className }}"), "istio");
        assert_eq!(r("[{{ .Namespace }}]"), "[]");
    }

    #[test]
    fn comments_render_nothing() {
        assert_eq!(r("a{{/* x }} y */}}b"), "ab");
        assert_eq!(r("a \n {{- /* multi\nline */ -}} \n b"), "ab");
        assert!(err("{{/* x */ }}").contains("comment ends before closing delimiter"));
        assert!(err("{{/* x").contains("unclosed comment"));
    }

    #[test]
    fn trim_markers() {
        assert_eq!(r("a  \n\t {{- \"x\" }} b"), "ax b");
        assert_eq!(r("a {{ \"x\" -}} \n\n b"), "a xb");
        assert_eq!(r("a\n{{- \"x\" -}}\nb"), "axb");
        // `{{-3}}` is the number -3, not a trim marker.
        assert_eq!(r("a {{-3}} b"), "a -3 b");
        let out = render(
            F,
            "a:\n{{- if true }}\n  b: 1\n{{- end }}\nc: 2",
            5,
            &Context::default(),
        )
        .unwrap();
        assert_eq!(out.text, "a:\n  b: 1\nc: 2");
        assert_eq!(out.lines, vec![5, 7, 9]);
    }

    #[test]
    fn if_else_if_else_nested() {
        let t = "{{ if eq .Environment.Name \"a\" }}A{{ else if eq .Environment.Name \"b\" }}B{{ if .Values.flag }}+{{ else }}-{{ end }}{{ else }}C{{ end }}";
        for (env, want) in [("a", "A"), ("b", "B+"), ("c", "C")] {
            assert_eq!(render(F, t, 1, &ctx(env)).unwrap().text, want, "{env}");
        }
        assert_eq!(r("{{ if .Values.empty }}x{{ end }}"), "");
        assert_eq!(r("{{ if .Values.list }}x{{ end }}"), "x");
        assert_eq!(r("{{ if 0 }}x{{ else }}y{{ end }}"), "y");
        assert_eq!(
            r("{{ if nil }}x{{ else if \"\" }}y{{ else if .Values.n }}z{{ end }}"),
            "z"
        );
    }

    #[test]
    fn block_errors() {
        assert!(err("{{ if true }}x").contains("1:1: unclosed `if`"));
        assert!(err("x{{ end }}").contains("1:5: `{{ end }}` without an open `if`"));
        assert!(err("{{ else }}").contains("outside an `if`"));
        assert!(err("{{ if 1 }}{{ else }}{{ else }}{{ end }}").contains("after `{{ else }}`"));
        assert!(err("{{ if }}{{ end }}").contains("missing condition"));
        assert!(err("{{ if 1 }}{{ end 2 }}").contains("after `end`"));
        assert!(err("{{ }}").contains("empty action"));
        assert!(err("a\n  {{ .x").contains("2:3: unclosed action"));
    }

    #[test]
    fn variables_and_scoping() {
        assert_eq!(r("{{ $x := \"a\" }}{{ $x }}{{ $x = \"b\" }}{{ $x }}"), "ab");
        // Assignment inside an if changes the outer variable.
        assert_eq!(
            r("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"),
            "2"
        );
        // A declaration inside an if shadows until its end.
        assert_eq!(
            r("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}"),
            "21"
        );
        // ... and does not exist after it, nor in the else branch.
        assert!(
            check_err("{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}")
                .contains("undefined variable \"$y\"")
        );
        assert!(
            check_err("{{ if true }}{{ $y := 2 }}{{ else }}{{ $y }}{{ end }}")
                .contains("undefined variable")
        );
        assert!(check_err("{{ $z = 1 }}").contains("1:4: undefined variable \"$z\""));
        // Fields of variables, and `$` for the data.
        assert_eq!(
            r("{{ $g := .Values.gateway }}{{ $g.className }} {{ $.Environment.Name }}"),
            "istio default"
        );
        assert!(check_err("{{ $a, $b := 1 }}").contains("declaring several variables"));
        assert!(
            check_err("{{ if $x := 1 }}{{ end }}")
                .contains("variable declaration here is not supported")
        );
        assert!(
            check_err("{{ $x.y := 1 }}").contains("undefined variable")
                || check_err("{{ $x := 1 }}{{ $x.y := 1 }}").contains("cannot assign")
        );
        assert!(check_err("{{ $x := 1 }}{{ $x.y := 1 }}").contains("cannot assign"));
    }

    #[test]
    fn variable_count_is_limited() {
        let t = "{{ $v := 1 }}".repeat(MAX_VARIABLES + 1);
        assert!(check_err(&t).contains("more than 1000 variable declarations"));
        assert!(check(F, &"{{ $v := 1 }}".repeat(MAX_VARIABLES), 1).is_ok());
    }

    #[test]
    fn pipelines_and_parentheses() {
        assert_eq!(r("{{ \"a\" | printf \"%s-%s\" \"b\" }}"), "b-a");
        assert_eq!(r("{{ \"x\" | quote | quote }}"), "\"\\\"x\\\"\"");
        assert_eq!(r("{{ (printf \"%s\" \"p\") | quote }}"), "\"p\"");
        assert_eq!(r("{{ (.Values.gateway).className }}"), "istio");
        assert_eq!(r("{{ not (or (eq 1 2) (eq \"a\" \"a\")) }}"), "false");
        assert!(check_err("{{ \"a\" | 1 }}").contains("only a function can follow"));
        assert!(check_err("{{ 1 2 }}").contains("cannot give arguments"));
        assert!(check_err("{{ (1 }}").contains("unclosed `(`"));
        assert!(check_err("{{ 1) }}").contains("unexpected `)`"));
        assert!(check_err("{{ () }}").contains("empty parentheses"));
        assert!(check_err("{{ 1 | }}").contains("missing command"));
        assert!(check_err("{{ env\"x\".y }}").contains("unexpected field access"));
    }

    #[test]
    fn literals() {
        assert_eq!(
            r(r#"{{ "a\tb\n\"c\"\\\x41\101\u00e9\U0001F600" }}"#),
            "a\tb\n\"c\"\\AAé😀"
        );
        assert_eq!(r("{{ `raw \\n {{ }}` }}"), "raw \\n {{ }}");
        assert_eq!(
            r(
                "{{ 42 }} {{ -7 }} {{ 0x1f }} {{ 0o17 }} {{ 017 }} {{ 1_000 }} {{ 2.50 }} {{ true }} {{ false }}"
            ),
            "42 -7 31 15 15 1000 2.5 true false"
        );
        assert!(check_err("{{ \"a\nb\" }}").contains("newline in string"));
        assert!(check_err("{{ \"\\q\" }}").contains("unknown escape"));
        assert!(check_err("{{ \"\\x+1\" }}").contains("1:5: bad or unterminated escape"));
        assert!(check_err("{{ \"abc }}").contains("unterminated string"));
        assert!(check_err("{{ 'a' }}").contains("a character constant is not supported"));
        assert!(check_err("{{ 12abc }}").contains("bad number syntax"));
        assert!(check_err("{{ 99999999999999999999 }}").contains("integer overflow"));
        assert!(check_err("{{ # }}").contains("unexpected '#'"));
        assert!(err("{{ nil }}").contains("null value"));
    }

    #[test]
    fn missing_keys_are_errors_with_position() {
        let e = render(
            F,
            "a: 1\nb: {{ .Environment.Values.provider.name }}",
            40,
            &ctx("default"),
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("helmfile.yaml.gotmpl:41:7: map has no entry for key \"provider\" (in .Environment.Values.provider)"), "{s}");
        assert!(
            s.contains("41 | b: {{ .Environment.Values.provider.name }}"),
            "{s}"
        );
        assert!(
            err("{{ .Values.gateway.missing }}")
                .contains("key \"missing\" (in .Values.gateway.missing)")
        );
        assert!(err("{{ .Environment.Name.x }}").contains("cannot read field \"x\" of a string"));
        assert!(err("{{ .Values.nothing.x }}").contains("of a null"));
        // Through default too: Go evaluates the argument first.
        assert!(
            err("{{ .Values.missing | default \"x\" }}").contains("no entry for key \"missing\"")
        );
        // Only where the branch runs; check does not know the values.
        assert_eq!(r("{{ if false }}{{ .Values.missing }}{{ end }}"), "");
    }

    #[test]
    fn printing_collections_and_null_is_an_error() {
        assert!(err("{{ .Values.gateway }}").contains("output of a map: use toYaml"));
        assert!(err("{{ .Values.list }}").contains("output of a list: use toYaml"));
        assert!(err("{{ .Values.nothing }}").contains("null value"));
    }

    #[test]
    fn function_eq_ne() {
        assert_eq!(
            r(
                "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"c\" \"a\" }} {{ eq \"a\" \"b\" }} {{ eq nil nil }} {{ eq .Values.nothing \"x\" }}"
            ),
            "true true false true false"
        );
        assert_eq!(
            r("{{ ne .Environment.Name \"standalone\" }} {{ ne 1 1 }}"),
            "true false"
        );
        assert!(
            err("{{ eq 1 \"1\" }}")
                .contains("eq: incompatible types for comparison: integer and string")
        );
        assert!(err("{{ eq .Values.list .Values.list }}").contains("cannot compare a list"));
        assert!(
            check_err("{{ eq 1 }}")
                .contains("wrong number of arguments for eq: want at least 2, got 1")
        );
        assert!(check_err("{{ ne 1 2 3 }}").contains("want 2, got 3"));
    }

    #[test]
    fn function_and_or_not() {
        assert_eq!(
            r("{{ or \"\" 0 \"x\" \"y\" }} {{ or 0 \"\" }} {{ and 1 \"x\" }} {{ and 1 0 \"x\" }}"),
            "x  x 0"
        );
        // Short-circuit: the missing key is never read.
        assert_eq!(
            r("{{ or true .Values.missing }} {{ and false .Values.missing }}"),
            "true false"
        );
        assert_eq!(r("{{ \"\" | or \"p\" }} {{ 0 | and 1 }}"), "p 0");
        assert_eq!(
            r("{{ not 0 }} {{ not \"x\" }} {{ not .Values.list }}"),
            "true false false"
        );
        assert!(check_err("{{ not 1 2 }}").contains("wrong number of arguments for not"));
        assert!(check_err("{{ and }}").contains("want at least 1, got 0"));
    }

    #[test]
    fn function_printf() {
        assert_eq!(
            r("{{ printf \"%s-%d-%v-%v-%q-%%\" \"a\" 5 true 7 \"q\" }}"),
            "a-5-true-7-\"q\"-%"
        );
        assert_eq!(
            r("{{ printf \"gaie-%s-epp.%s.svc\" \"rn\" \"ns\" }}"),
            "gaie-rn-epp.ns.svc"
        );
        assert!(
            err("{{ printf \"%s %s\" \"a\" }}")
                .contains("printf: format needs more than 1 argument")
        );
        assert!(
            err("{{ printf \"%s\" \"a\" \"b\" }}").contains("uses 1 argument(s) but 2 were given")
        );
        assert!(err("{{ printf \"%x\" 1 }}").contains("verb %x is not supported"));
        assert!(err("{{ printf \"%d\" \"a\" }}").contains("%d of a string is not supported"));
        assert!(err("{{ printf 1 }}").contains("the format must be a string"));
        assert!(err("{{ printf \"%\" }}").contains("lone %"));
    }

    #[test]
    fn function_quote() {
        assert_eq!(r("{{ quote \"a\\\"b\\n\" }}"), "\"a\\\"b\\n\"");
        assert_eq!(r("{{ quote \"a\" 1 true nil }}"), "\"a\" \"1\" \"true\"");
        assert_eq!(r("{{ quote }}"), "");
        assert_eq!(go_quote("\u{1}é\u{202e}"), "\"\\x01é\\u202e\"");
        assert!(err("{{ quote .Values.list }}").contains("quote of a list: use toYaml"));
    }

    #[test]
    fn function_default() {
        assert_eq!(
            r(
                "{{ .Namespace | default \"ns\" }} {{ default \"d\" \"v\" }} {{ default \"d\" 0 }} {{ default \"d\" }}"
            ),
            "ns v d d"
        );
        let mut c = ctx("x");
        c.namespace = "given".into();
        assert_eq!(
            render(F, "{{ .Namespace | default \"ns\" }}", 1, &c)
                .unwrap()
                .text,
            "given"
        );
        assert!(check_err("{{ default 1 2 3 }}").contains("want 1 to 2, got 3"));
    }

    #[test]
    fn function_env() {
        let t = "{{ $rn := (env \"RELEASE\") | default \"dflt\" }}{{ $rn }}";
        assert_eq!(render(F, t, 1, &Context::default()).unwrap().text, "dflt");
        let mut c = Context::default();
        c.env.insert("RELEASE".into(), "mine".into());
        assert_eq!(render(F, t, 1, &c).unwrap().text, "mine");
        assert!(err("{{ env 1 }}").contains("env: the name must be a string"));
    }

    #[test]
    fn function_to_yaml() {
        let v = Value::Map(vec![
            (
                "a".into(),
                Value::Map(vec![
                    ("b".into(), Value::Int(1)),
                    (
                        "c".into(),
                        Value::List(vec![
                            Value::Str("x".into()),
                            Value::Map(vec![
                                ("k".into(), Value::Bool(true)),
                                ("l".into(), Value::Null),
                            ]),
                        ]),
                    ),
                ]),
            ),
            ("empty".into(), Value::Map(vec![])),
            ("none".into(), Value::List(vec![])),
            ("f".into(), Value::Float(0.5)),
            (
                "nested".into(),
                Value::List(vec![Value::List(vec![Value::Int(1), Value::Int(2)])]),
            ),
        ]);
        let y = to_yaml(&v).unwrap();
        assert_eq!(
            y,
            "a:\n  b: 1\n  c:\n  - x\n  - k: true\n    l: null\nempty: {}\nnone: []\nf: 0.5\nnested:\n- - 1\n  - 2"
        );
        let back = from_yaml(&crate::yaml::parse_one("t", &y).unwrap().root);
        assert_eq!(back, v);
        assert_eq!(to_yaml(&Value::Str("plain".into())).unwrap(), "plain");
        assert_eq!(to_yaml(&Value::Null).unwrap(), "null");
        assert_eq!(r("{{ .Values.gateway | toYaml }}"), "className: istio");
    }

    #[test]
    fn to_yaml_quotes_strings_that_would_change_type() {
        let quoted = [
            "",
            "true",
            "False",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "null",
            "~",
            "1",
            "-1",
            "1.5",
            ".5",
            "1e3",
            "0x1F",
            "0o17",
            "012",
            "1_000",
            "1:20",
            ".inf",
            "-.Inf",
            ".nan",
            "2001-12-14",
            "a: b",
            "a #b",
            "key:",
            "- x",
            "#c",
            "*x",
            "&x",
            "!x",
            "|",
            ">",
            "%x",
            "@x",
            "`x",
            "'x",
            "\"x",
            "{x",
            "[x",
            " lead",
            "trail ",
            "two\nlines",
            "tab\there",
        ];
        for s in quoted {
            let y = to_yaml(&Value::Map(vec![("k".into(), Value::Str(s.into()))])).unwrap();
            assert!(y.starts_with("k: \""), "{s:?} -> {y}");
            let back = from_yaml(&crate::yaml::parse_one("t", &y).unwrap().root);
            assert_eq!(back.get("k"), Some(&Value::Str(s.into())), "{s:?} -> {y}");
        }
        for s in [
            "istio",
            "16Gi",
            "900s",
            "a-b",
            "http://x:1/y",
            "1.2.3",
            "v1.3.6",
            "gke-l7-regional-external-managed",
        ] {
            let y = to_yaml(&Value::Map(vec![("k".into(), Value::Str(s.into()))])).unwrap();
            assert_eq!(y, format!("k: {s}"));
            let back = from_yaml(&crate::yaml::parse_one("t", &y).unwrap().root);
            assert_eq!(back.get("k"), Some(&Value::Str(s.into())));
        }
        assert_eq!(
            to_yaml(&Value::Map(vec![("true".into(), Value::Int(1))])).unwrap(),
            "\"true\": 1"
        );
    }

    #[test]
    fn function_indent_nindent() {
        assert_eq!(r("{{ \"a\\nb\" | indent 2 }}"), "  a\n  b");
        assert_eq!(r("x:{{ \"a\\nb\" | nindent 4 }}"), "x:\n    a\n    b");
        assert_eq!(r("{{ \"\" | indent 3 }}|"), "   |");
        assert!(err("{{ \"a\" | indent -1 }}").contains("width -1 is outside"));
        assert!(err("{{ \"a\" | indent \"2\" }}").contains("the width must be an integer"));
        assert!(err("{{ 5 | nindent 2 }}").contains("the text must be a string"));
        let out = render(
            F,
            "k:\n  {{ .Values.gateway | toYaml | nindent 2 }}\nz: 1",
            3,
            &ctx("x"),
        )
        .unwrap();
        assert_eq!(out.text, "k:\n  \n  className: istio\nz: 1");
        assert_eq!(out.lines, vec![3, 4, 4, 5]);
    }

    #[test]
    fn not_run_functions_render_empty_with_a_warning() {
        let t = "a: 1\nb: {{ readFile (printf \"%s/x\" \"/tmp\") | indent 2 }}\n{{ if false }}{{ exec \"ls\" \"x\" }}{{ tpl \"t\" . }}{{ end }}";
        let out = render(F, t, 7, &Context::default()).unwrap();
        assert_eq!(out.text, "a: 1\nb:   \n");
        assert_eq!(
            out.warnings,
            vec![
                "helmfile.yaml.gotmpl:8: readFile is not run by convert-guide; rendered as an empty string"
            ]
        );
        let warnings = check(F, t, 7).unwrap();
        assert_eq!(warnings.len(), 3);
        assert!(warnings[1].starts_with("helmfile.yaml.gotmpl:9: exec is not run"));
        assert!(warnings[2].contains("tpl is not run"));
    }

    #[test]
    fn refused_constructs_name_themselves_and_their_line() {
        for (t, what) in [
            (
                "{{ range .Values.list }}{{ end }}",
                "`range` is not supported by convert-guide",
            ),
            ("{{ with .Values }}{{ end }}", "`with` is not supported"),
            ("{{ define \"x\" }}{{ end }}", "`define` is not supported"),
            ("{{ template \"x\" }}", "`template` is not supported"),
            ("{{ block \"x\" . }}{{ end }}", "`block` is not supported"),
            (
                "{{ if 1 }}{{ else with 2 }}{{ end }}",
                "`else with` is not supported",
            ),
            (
                "{{ include \"x\" . }}",
                "function `include` is not supported by convert-guide",
            ),
            (
                "{{ required \"m\" .Values.x }}",
                "function `required` is not supported",
            ),
            (
                "{{ index .Values \"x\" }}",
                "function `index` is not supported",
            ),
            ("{{ .Values.Get \"x\" }}", "a method call is not supported"),
            (
                "{{ \"x\" | .Values.Get }}",
                "a method call is not supported",
            ),
        ] {
            let full = format!("line one\n  {t}");
            let e = check_err(&full);
            assert!(e.starts_with("helmfile.yaml.gotmpl:2:"), "{t}: {e}");
            assert!(e.contains(what), "{t}: {e}");
        }
        // Rejected even in a branch no environment takes.
        assert!(
            check_err("{{ if false }}{{ lookup \"v1\" }}{{ end }}").contains("function `lookup`")
        );
        let e = render(
            F,
            "{{ if false }}{{ lookup \"v1\" }}{{ end }}",
            1,
            &ctx("x"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("supported: and, default"));
    }

    #[test]
    fn functions_as_arguments_take_no_arguments() {
        // Found by fuzzing: `printf` as an argument was called with nothing and panicked.
        for t in [
            "{{printf printf}}",
            "{{ eq 1 not }}",
            "{{ default \"x\" toYaml }}",
        ] {
            let e = err(t);
            assert!(e.contains("wrong number of arguments for"), "{t}: {e}");
            assert!(e.contains("to pass its result, write ("), "{t}: {e}");
        }
        assert_eq!(r("{{ printf \"%s.\" quote }}"), ".");
    }

    #[test]
    fn limits_give_errors_not_crashes() {
        let big = "x".repeat(MAX_TEMPLATE_BYTES + 1);
        assert!(check_err(&big).contains("convert-guide reads templates up to"));
        let deep_if = "{{ if true }}".repeat(MAX_DEPTH + 1);
        assert!(check_err(&deep_if).contains("`if` nested deeper than 100"));
        let ok_if = format!(
            "{}x{}",
            "{{ if true }}".repeat(MAX_DEPTH),
            "{{ end }}".repeat(MAX_DEPTH)
        );
        assert_eq!(r(&ok_if), "x");
        let deep_paren = format!("{{{{ {}1{} }}}}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(check_err(&deep_paren).contains("parentheses nested deeper than 100"));
        // Doubling a string: each step is checked.
        let mut t = String::from("{{ $x := \"0123456789abcdef\" }}");
        t.push_str(&"{{ $x = printf \"%s%s\" $x $x }}".repeat(30));
        assert!(err(&t).contains("printf: result larger than"));
        let mut t = String::from("{{ $x := \"0123456789abcdef\" }}");
        t.push_str(&"{{ $x = printf \"%s%s\" $x $x }}".repeat(6));
        t.push_str(&"{{ $x }}".repeat(5000));
        assert!(err(&t).contains("output larger than"));
        assert_eq!(
            r("{{ \"a\\na\\na\" | indent 1000 | indent 1000 }}").len(),
            3 * 2001 + 2
        );
    }

    #[test]
    fn error_snippet_quotes_the_file_line() {
        let e = render(F, "x\n{{ bogus }}", 31, &Context::default()).unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with(
                "helmfile.yaml.gotmpl:32:4: function `bogus` is not supported by convert-guide"
            ),
            "{s}"
        );
        assert!(s.contains("31 | x\n32 | {{ bogus }}\n   |    ^"), "{s}");
    }

    #[test]
    fn from_yaml_types_plain_scalars_by_yaml_1_2_core() {
        let doc = crate::yaml::parse_one(
            "t",
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: null\nf: ~\ng: \"1\"\nh: yes\ni: 0x10\nj: 0o7\nk: .inf\nl: 1e3\nm: |\n  block\nn:\no: [1, x]\np: 16Gi\nq: 99999999999999999999\n",
        )
        .unwrap();
        let v = from_yaml(&doc.root);
        let want = [
            ("a", Value::Int(1)),
            ("b", Value::Int(-2)),
            ("c", Value::Float(1.5)),
            ("d", Value::Bool(true)),
            ("e", Value::Null),
            ("f", Value::Null),
            ("g", Value::Str("1".into())),
            ("h", Value::Str("yes".into())),
            ("i", Value::Int(16)),
            ("j", Value::Int(7)),
            ("k", Value::Float(f64::INFINITY)),
            ("l", Value::Float(1000.0)),
            ("m", Value::Str("block\n".into())),
            ("n", Value::Null),
            (
                "o",
                Value::List(vec![Value::Int(1), Value::Str("x".into())]),
            ),
            ("p", Value::Str("16Gi".into())),
            ("q", Value::Float(1e20)),
        ];
        for (k, w) in want {
            assert_eq!(v.get(k), Some(&w), "{k}");
        }
    }

    #[test]
    fn merge_maps_recursively_and_replaces_the_rest() {
        let mut a = Value::Map(vec![
            (
                "m".into(),
                Value::Map(vec![
                    ("x".into(), Value::Int(1)),
                    ("y".into(), Value::Int(2)),
                ]),
            ),
            ("l".into(), Value::List(vec![Value::Int(1)])),
        ]);
        a.merge(Value::Map(vec![
            ("m".into(), Value::Map(vec![("y".into(), Value::Int(3))])),
            ("l".into(), Value::List(vec![Value::Int(9)])),
            ("z".into(), Value::Bool(true)),
        ]));
        assert_eq!(
            a,
            Value::Map(vec![
                (
                    "m".into(),
                    Value::Map(vec![
                        ("x".into(), Value::Int(1)),
                        ("y".into(), Value::Int(3))
                    ])
                ),
                ("l".into(), Value::List(vec![Value::Int(9)])),
                ("z".into(), Value::Bool(true)),
            ])
        );
    }

    // ---- the real helmfiles -----------------------------------------------------------

    const GUIDES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/llm-d/2026-02-05/guides"
    );
    const HELM_GUIDES: [&str; 5] = [
        "inference-scheduling",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "simulated-accelerators",
        "workload-autoscaling",
    ];

    struct Helmfile {
        dir: std::path::PathBuf,
        first: String,
        template: String,
        first_line: usize,
    }

    fn helmfile(guide: &str) -> Helmfile {
        let dir = std::path::Path::new(GUIDES).join(guide);
        let text = std::fs::read_to_string(dir.join("helmfile.yaml.gotmpl")).unwrap();
        let mut offset = 0;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            if line.trim_end_matches(['\n', '\r']) == "---" {
                return Helmfile {
                    first: text[..offset].to_string(),
                    template: text[offset + line.len()..].to_string(),
                    first_line: n + 2,
                    dir,
                };
            }
            offset += line.len();
        }
        panic!("{guide}: no --- line");
    }

    /// Environment names and their merged values, in declaration order.
    fn environments(h: &Helmfile) -> Vec<(String, Value)> {
        let doc = crate::yaml::parse_one(F, &h.first).unwrap();
        let envs = doc
            .root
            .get("environments")
            .and_then(|e| e.as_map())
            .unwrap();
        envs.iter()
            .map(|e| {
                let mut values = Value::Map(Vec::new());
                for item in e
                    .value
                    .get("values")
                    .and_then(|v| v.as_seq())
                    .unwrap_or(&[])
                {
                    let v = match item.as_str() {
                        Some(path) if item.as_map().is_none() => {
                            let text = std::fs::read_to_string(h.dir.join(path))
                                .unwrap_or_else(|err| panic!("{path}: {err}"));
                            from_yaml(&crate::yaml::parse_one(path, &text).unwrap().root)
                        }
                        _ => from_yaml(item),
                    };
                    values.merge(v);
                }
                (e.key.clone(), values)
            })
            .collect()
    }

    fn render_env(guide: &str, env: &str) -> Result<Rendered> {
        let h = helmfile(guide);
        let (_, values) = environments(&h)
            .into_iter()
            .find(|(n, _)| n == env)
            .unwrap();
        let c = Context {
            environment_name: env.into(),
            environment_values: values,
            ..Context::default()
        };
        render(F, &h.template, h.first_line, &c)
    }

    /// The template line of the output line equal (trimmed) to `needle`.
    fn line_of(out: &Rendered, needle: &str) -> usize {
        let k = out
            .text
            .lines()
            .position(|l| l.trim() == needle)
            .unwrap_or_else(|| panic!("{needle:?} not in\n{}", out.text));
        out.lines[k]
    }

    #[test]
    fn real_helmfiles_render_for_every_environment() {
        let mut rendered = 0;
        for guide in HELM_GUIDES {
            let h = helmfile(guide);
            let warnings = check(F, &h.template, h.first_line).unwrap();
            let envs = environments(&h);
            assert!(envs.iter().any(|(n, _)| n == "default"), "{guide}");
            for (env, _) in &envs {
                match render_env(guide, env) {
                    Ok(out) => {
                        rendered += 1;
                        assert_eq!(out.lines.len(), out.text.lines().count(), "{guide}/{env}");
                        let template_lines: Vec<&str> = h.template.lines().collect();
                        for &l in &out.lines {
                            assert!(
                                l >= h.first_line && l < h.first_line + template_lines.len(),
                                "{guide}/{env}: line {l}"
                            );
                        }
                        // Text lines map to the template line they were copied from.
                        for (k, line) in out.text.lines().enumerate() {
                            let src = template_lines[out.lines[k] - h.first_line];
                            if !src.contains("{{") && !line.trim().is_empty() {
                                assert_eq!(src, line, "{guide}/{env}: output line {k}");
                            }
                        }
                        let doc = crate::yaml::parse_one(F, &out.text)
                            .unwrap_or_else(|e| panic!("{guide}/{env}: {e}\n{}", out.text));
                        let releases = doc.root.get("releases").and_then(|r| r.as_seq()).unwrap();
                        assert!(!releases.is_empty(), "{guide}/{env}");
                        assert!(out.warnings.len() <= warnings.len());
                    }
                    Err(e) => {
                        // gke.yaml declares no inferencePool: helmfile itself fails here too.
                        let s = e.to_string();
                        let expected_line = match guide {
                            "precise-prefix-cache-aware" => 67,
                            "simulated-accelerators" => 54,
                            _ => 0,
                        };
                        assert!(
                            env == "gke"
                                && s.starts_with(&format!("{F}:{expected_line}:"))
                                && s.contains("no entry for key \"inferencePool\""),
                            "{guide}/{env}: {s}"
                        );
                    }
                }
            }
        }
        assert_eq!(rendered, 11 + 9 + 7 + 5 + 4 - 2);
    }

    #[test]
    fn inference_scheduling_picks_values_by_environment() {
        let out = render_env("inference-scheduling", "xpu").unwrap();
        assert!(
            out.text
                .contains("\n      - ms-inference-scheduling/values_xpu.yaml\n")
        );
        assert!(!out.text.contains("ms-inference-scheduling/values.yaml"));
        assert_eq!(
            line_of(&out, "- ms-inference-scheduling/values_xpu.yaml"),
            111
        );

        let out = render_env("inference-scheduling", "default").unwrap();
        assert!(
            out.text
                .contains("\n      - ms-inference-scheduling/values.yaml\n")
        );
        assert!(!out.text.contains("values_xpu"));
        assert_eq!(line_of(&out, "- ms-inference-scheduling/values.yaml"), 119);
        assert!(out.text.starts_with("repositories:\n"));
        assert_eq!(out.lines[0], 36);
        assert_eq!(line_of(&out, "- name: \"infra-inference-scheduling\""), 44);
        assert_eq!(line_of(&out, "namespace: llm-d-inference-scheduling"), 45);
        assert_eq!(line_of(&out, "gatewayClassName: istio"), 54);
        assert_eq!(
            line_of(
                &out,
                "host: \"gaie-inference-scheduling-epp.llm-d-inference-scheduling.svc.cluster.local\""
            ),
            92
        );
        assert!(out.text.contains("          trafficPolicy:\n"));
        assert!(!out.text.contains("provider:\n          name: gke"));

        let out = render_env("inference-scheduling", "gke").unwrap();
        assert!(
            out.text
                .contains("      - provider:\n          name: gke\n        inferenceExtension:")
        );
        assert_eq!(line_of(&out, "name: gke"), 75);
        assert!(
            out.text
                .contains("\"decode.monitoring.podmonitor.enabled\"")
        );

        let out = render_env("inference-scheduling", "standalone").unwrap();
        assert!(!out.text.contains("infra-inference-scheduling"));
        assert!(
            out.text
                .contains("standalone-inference-scheduling/values.yaml")
        );
    }

    #[test]
    fn pd_disaggregation_default_includes_istio_routing() {
        let out = render_env("pd-disaggregation", "default").unwrap();
        assert!(
            out.text.contains(
                "      - routing:\n          \n          proxy:\n            zapLogLevel: error\n"
            ),
            "{}",
            out.text
        );
        assert_eq!(line_of(&out, "zapLogLevel: error"), 110);
        assert_eq!(line_of(&out, "- ms-pd/values.yaml"), 106);
        let doc = crate::yaml::parse_one(F, &out.text).unwrap();
        let ms = &doc.root.get("releases").unwrap().as_seq().unwrap()[2];
        assert_eq!(
            ms.at("values[1].routing.proxy.zapLogLevel")
                .and_then(|n| n.as_str()),
            Some("error")
        );
        assert_eq!(ms.at("name").and_then(|n| n.as_str()), Some("ms-pd"));
        let out = render_env("pd-disaggregation", "gke_pd_rdma").unwrap();
        assert!(out.text.contains("ms-pd/values_gke_rdma.yaml") && !out.text.contains("routing:"));
    }

    #[test]
    fn workload_autoscaling_read_file_is_a_warning() {
        let h = helmfile("workload-autoscaling");
        let warnings = check(F, &h.template, h.first_line).unwrap();
        assert_eq!(
            warnings,
            vec![format!(
                "{F}:105: readFile is not run by convert-guide; rendered as an empty string"
            )]
        );
        let out = render_env("workload-autoscaling", "wva-only").unwrap();
        assert_eq!(out.warnings, warnings);
        assert!(out.text.contains("namespace: llm-d-autoscaler\n"));
        assert!(!out.text.contains("infra-workload-autoscaler"));
        assert!(
            out.text
                .contains("value: \"ms-inference-scheduling-llm-d-modelservice\"")
        );
        let out = render_env("workload-autoscaling", "default").unwrap();
        assert!(
            out.text
                .contains("value: \"ms-workload-autoscaler-llm-d-modelservice\"")
        );
        assert_eq!(line_of(&out, "- name: workload-variant-autoscaler"), 86);
    }
}
