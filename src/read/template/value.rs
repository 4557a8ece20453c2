//! Template values: what fields, variables, literals and functions produce, and their
//! conversion from parsed YAML (typed by the YAML 1.2 core schema).

use crate::read::yaml::{Kind, Node as YamlNode};

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

    pub(super) fn kind_name(&self) -> &'static str {
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
pub(super) fn plain_scalar(s: &str) -> Value {
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
pub(super) fn is_core_float(s: &str) -> bool {
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
