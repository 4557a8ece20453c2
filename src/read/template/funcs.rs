//! The function library: which functions exist, their arity, and what they compute.

use super::budget::weight;
use super::eval::Eval;
use super::parse::Arg;
use super::to_yaml::to_yaml;
use super::value::Value;
use super::{MAX_INDENT, MAX_OUTPUT_BYTES};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Func {
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

pub(super) const SUPPORTED: &str =
    "and, default, env, eq, indent, ne, nindent, not, or, printf, quote, toYaml";

impl Func {
    pub(super) fn lookup(name: &str) -> Option<Func> {
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

    pub(super) fn name(self) -> &'static str {
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
    pub(super) fn arity_error(self, n: usize) -> Option<String> {
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
    pub(super) fn arity(self) -> (usize, usize) {
        match self {
            Func::And | Func::Or | Func::Printf => (1, usize::MAX),
            Func::Eq => (2, usize::MAX),
            Func::Quote => (0, usize::MAX),
            Func::Not | Func::Env | Func::ToYaml | Func::ReadFile => (1, 1),
            Func::Ne | Func::Nindent | Func::Indent | Func::Exec | Func::Tpl => (2, 2),
            Func::Default => (1, 2),
        }
    }

    pub(super) fn not_run(self) -> bool {
        matches!(self, Func::ReadFile | Func::Exec | Func::Tpl)
    }
}

impl Eval<'_, '_> {
    pub(super) fn call(
        &mut self,
        f: Func,
        pos: usize,
        args: &[Arg],
        piped: Option<Value>,
    ) -> Result<Value> {
        let src = self.src;
        // and/or evaluate their arguments lazily, as Go does since 1.18.
        if matches!(f, Func::And | Func::Or) {
            return self.and_or(f, args, piped);
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
            Func::Nindent | Func::Indent => Value::Str(indent(f, &vals).map_err(err)?),
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
        let (nodes, bytes) = weight(&result, self.left.get());
        self.spend(nodes, bytes, pos)?;
        Ok(result)
    }

    /// `and` / `or`: the first argument that decides, evaluated left to right; the rest
    /// are not evaluated.
    fn and_or(&mut self, f: Func, args: &[Arg], piped: Option<Value>) -> Result<Value> {
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
        Ok(last)
    }
}

/// `indent` / `nindent`: `vals` are the width and the text.
fn indent(f: Func, vals: &[Value]) -> std::result::Result<String, String> {
    let width = match &vals[0] {
        Value::Int(n) if (0..=MAX_INDENT).contains(n) => *n as usize,
        Value::Int(n) => {
            return Err(format!("width {n} is outside 0..={MAX_INDENT}"));
        }
        other => {
            return Err(format!(
                "the width must be an integer, not a {}",
                other.kind_name()
            ));
        }
    };
    let Value::Str(s) = &vals[1] else {
        return Err(format!(
            "the text must be a string, not a {}",
            vals[1].kind_name()
        ));
    };
    let lines = s.bytes().filter(|b| *b == b'\n').count() + 1;
    if s.len().saturating_add(lines.saturating_mul(width)) > MAX_OUTPUT_BYTES {
        return Err(too_large("result"));
    }
    let pad = " ".repeat(width);
    let mut out = String::new();
    if f == Func::Nindent {
        out.push('\n');
    }
    out.push_str(&pad);
    out.push_str(&s.replace('\n', &format!("\n{pad}")));
    Ok(out)
}

pub(super) fn too_large(what: &str) -> String {
    format!("{what} larger than {MAX_OUTPUT_BYTES} bytes")
}

pub(super) fn article(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an",
        _ => "a",
    }
}

/// Go's `eq` for two values: basic kinds compare; different kinds are an error unless one
/// side is nil (then they differ); collections cannot be compared.
pub(super) fn go_eq(a: &Value, b: &Value) -> std::result::Result<bool, String> {
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
pub(super) fn printf(format: &str, args: &[Value]) -> std::result::Result<String, String> {
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
pub(super) fn go_float(f: f64) -> String {
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
pub(super) fn go_quote(s: &str) -> String {
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
pub(super) fn go_printable(c: char) -> bool {
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
