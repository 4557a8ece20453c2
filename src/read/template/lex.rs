//! Source positions of a template and its lexer, which reads one `{{ }}` action at a time.

use super::MAX_TEMPLATE_BYTES;
use super::funcs::Func;
use crate::diag::Diagnostic;
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------------------
// Source positions

pub(super) struct Src<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) first_line: usize,
    /// Byte offset where each template line starts.
    pub(super) starts: Vec<usize>,
}

impl<'a> Src<'a> {
    pub(super) fn new(file: &'a str, text: &'a str, first_line: usize) -> Result<Src<'a>> {
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

    pub(super) fn index(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1) - 1
    }

    /// The file line (1-based) of a byte offset of the template.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.index(offset) + self.first_line
    }

    pub(super) fn column(&self, offset: usize) -> usize {
        let start = self.starts[self.index(offset)];
        let offset = offset.min(self.text.len());
        self.text[start..offset].chars().count() + 1
    }

    pub(super) fn err(&self, offset: usize, message: impl Into<String>) -> Error {
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

    pub(super) fn refused(&self, offset: usize, construct: &str, hint: &str) -> Error {
        self.err(
            offset,
            format!("{construct} is not supported by convert-guide{hint}"),
        )
    }

    pub(super) fn warning(&self, offset: usize, func: Func) -> Diagnostic {
        Diagnostic::warning(
            "template-not-run",
            format!(
                "{} is not run by convert-guide; rendered as an empty string",
                func.name()
            ),
        )
        .at(self.file, self.line(offset), None)
    }
}

// ---------------------------------------------------------------------------------------
// Lexer: one action at a time

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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

pub(super) const BYTE_ESCAPE: &str =
    "byte escapes above \\x7f (\\177) are not supported; write the character or \\u";

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) pos: usize,
}

pub(super) struct Action {
    /// Offset of `{{`.
    pub(super) open: usize,
    pub(super) left_trim: bool,
    pub(super) right_trim: bool,
    /// Offset just after `}}`.
    pub(super) end: usize,
    /// None for a comment.
    pub(super) toks: Option<Vec<Token>>,
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

pub(super) fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl Src<'_> {
    pub(super) fn lex_action(&self, open: usize) -> Result<Action> {
        let text = self.text;
        let bytes = text.as_bytes();
        let unclosed = || self.err(open, "unclosed action: no matching `}}`");
        let left_trim =
            bytes.get(open + 2) == Some(&b'-') && bytes.get(open + 3).is_some_and(|b| is_space(*b));
        let mut i = if left_trim { open + 4 } else { open + 2 };
        if text[i..].starts_with("/*") {
            return self.lex_comment(open, left_trim, i);
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
            let after = toks.last().filter(|_| adjacent).map(|t| &t.tok);
            let (tok, end) = self.lex_token(i, after)?;
            toks.push(Token { tok, pos: i });
            i = end;
            last_end = Some(i);
        }
    }

    /// A `{{/* ... */}}` comment whose `/*` is at `i`.
    fn lex_comment(&self, open: usize, left_trim: bool, i: usize) -> Result<Action> {
        let text = self.text;
        let bytes = text.as_bytes();
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
        Ok(Action {
            open,
            left_trim,
            right_trim,
            end,
            toks: None,
        })
    }

    /// The token at `i` and the offset after it; `after` is the token it directly follows
    /// (with no space between), if any.
    fn lex_token(&self, i: usize, after: Option<&Tok>) -> Result<(Tok, usize)> {
        let text = self.text;
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or('\0');
        let next = rest[c.len_utf8()..].chars().next().unwrap_or('\0');
        if c == '.' && is_ident_char(next) && !next.is_ascii_digit() {
            let (fields, end) = self.lex_fields(i);
            let tok = match after {
                Some(Tok::RParen) => Tok::Chain(fields),
                Some(Tok::LParen | Tok::Pipe | Tok::Declare | Tok::Assign | Tok::Comma) | None => {
                    Tok::Field(fields)
                }
                Some(_) => {
                    return Err(self.err(
                        i,
                        "unexpected field access after a term; write a space before it or use a variable",
                    ));
                }
            };
            return Ok((tok, end));
        }
        if c == '.' && !next.is_ascii_digit() {
            return Ok((Tok::Field(Vec::new()), i + 1));
        }
        if c.is_ascii_digit()
            || (c == '.' && next.is_ascii_digit())
            || ((c == '-' || c == '+') && (next.is_ascii_digit() || next == '.'))
        {
            return self.lex_number(i);
        }
        if c == '$' {
            return Ok(self.lex_var(i));
        }
        if is_ident_char(c) {
            let end = text[i..]
                .char_indices()
                .find(|(_, c)| !is_ident_char(*c))
                .map_or(text.len(), |(k, _)| i + k);
            return Ok((Tok::Ident(text[i..end].to_string()), end));
        }
        Ok(match c {
            '"' => {
                let (s, end) = self.lex_string(i)?;
                (Tok::Str(s), end)
            }
            '`' => {
                let close = text[i + 1..]
                    .find('`')
                    .ok_or_else(|| self.err(i, "unterminated raw string"))?;
                let s = text[i + 1..i + 1 + close].replace('\r', "");
                (Tok::Str(s), i + close + 2)
            }
            '\'' => {
                return Err(self.refused(i, "a character constant", " (write a string instead)"));
            }
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            '|' => (Tok::Pipe, i + 1),
            ',' => (Tok::Comma, i + 1),
            ':' if rest.starts_with(":=") => (Tok::Declare, i + 2),
            '=' => (Tok::Assign, i + 1),
            _ => {
                return Err(self.err(
                    i,
                    format!(
                        "unexpected {} in action",
                        crate::error::printable(&format!("{c:?}"))
                    ),
                ));
            }
        })
    }

    /// `$name` or `$name.a.b` at `i`.
    fn lex_var(&self, mut i: usize) -> (Tok, usize) {
        let text = self.text;
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
        (Tok::Var(name, fields), i)
    }

    pub(super) fn lex_fields(&self, mut i: usize) -> (Vec<String>, usize) {
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

    pub(super) fn lex_number(&self, start: usize) -> Result<(Tok, usize)> {
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
    pub(super) fn lex_string(&self, start: usize) -> Result<(String, usize)> {
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
