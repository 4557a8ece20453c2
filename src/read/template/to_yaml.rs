//! `toYaml`: block YAML of a template value, as helm writes it.

use super::funcs::{go_printable, too_large};
use super::value::{Value, plain_scalar};
use super::{MAX_OUTPUT_BYTES, MAX_VALUE_DEPTH};

/// Block YAML of a value, like helm's toYaml: no trailing newline, strings quoted when a YAML
/// reader (1.1 or 1.2) would otherwise read something else. Map keys keep their order;
/// lists under a map key are not indented (`key:\n- a`), as Go's YAML writer does.
pub(super) fn to_yaml(v: &Value) -> std::result::Result<String, String> {
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

pub(super) fn is_block(v: &Value) -> bool {
    match v {
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        _ => false,
    }
}

/// Write a non-empty list or map at `indent`; with `inline`, its first line continues the
/// current one (after `- `).
pub(super) fn write_block(
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

pub(super) fn yaml_scalar(v: &Value) -> String {
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
pub(super) fn yaml_string(s: &str) -> String {
    if !needs_quotes(s) {
        return s.to_string();
    }
    // Go's yaml.v2 writes control characters as `\xHH` and what Go cannot print as `\uHHHH`.
    let escape = |c: char| (c as u32) < 0x20 || c == '\u{7f}' || !go_printable(c) && c != ' ';
    crate::read::yaml::double_quoted_escaping(s, escape, 0x80)
}

pub(super) fn needs_quotes(s: &str) -> bool {
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
pub(super) fn looks_numeric(s: &str) -> bool {
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
