//! Trees compared as YAML data (typed scalars, sorted keys), as kubectl's output and JSON
//! 6902 `test` compare them.

use crate::read::yaml::{Entry, Kind, Node, Scalar};

/// Scalars are compared as YAML data: a quoted `"1"` is a string, a plain `1` a number, and
/// numbers compare by value (kustomize's JSON round trip writes `1.0` as `1`).
pub fn same_data(a: &Node, b: &Node) -> bool {
    canonical(a) == canonical(b)
}

/// A canonical text of a tree as YAML data: maps with sorted keys, typed scalars. Used to
/// compare with kubectl's output and by JSON 6902 `test`.
pub fn canonical(node: &Node) -> String {
    let mut out = String::new();
    // (node, phase): phase 0 opens, 1 closes; iterative so deep trees cannot overflow.
    enum Step<'n> {
        Open(&'n Node),
        Text(String),
    }
    let mut stack = vec![Step::Open(node)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(t) => out.push_str(&t),
            Step::Open(n) => match &n.kind {
                Kind::Scalar(s) => out.push_str(&scalar_data(s)),
                Kind::Seq(items) => {
                    out.push('[');
                    stack.push(Step::Text("]".into()));
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Step::Open(item));
                        if i > 0 {
                            stack.push(Step::Text(",".into()));
                        }
                    }
                }
                Kind::Map(entries) => {
                    let mut sorted: Vec<&Entry> = entries.iter().collect();
                    sorted.sort_by(|a, b| a.key.cmp(&b.key));
                    out.push('{');
                    stack.push(Step::Text("}".into()));
                    for (i, e) in sorted.iter().enumerate().rev() {
                        stack.push(Step::Open(&e.value));
                        stack.push(Step::Text(format!("{:?}:", e.key)));
                        if i > 0 {
                            stack.push(Step::Text(",".into()));
                        }
                    }
                }
            },
        }
    }
    out
}

/// A scalar as typed data (YAML 1.2 core schema for plain scalars).
fn scalar_data(s: &Scalar) -> String {
    if !s.plain {
        return format!("{:?}", s.value);
    }
    let v = s.value.as_str();
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return "null".into(),
        "true" | "True" | "TRUE" => return "true".into(),
        "false" | "False" | "FALSE" => return "false".into(),
        _ => {}
    }
    if let Some(n) = number(v) {
        return format!("#{n}");
    }
    format!("{v:?}")
}

fn number(v: &str) -> Option<f64> {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    let sign = if v.starts_with('-') { -1.0 } else { 1.0 };
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(rest) = digits.strip_prefix(prefix) {
            return i64::from_str_radix(rest, radix)
                .ok()
                .map(|n| sign * n as f64);
        }
    }
    let ok = !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if ok {
        return v.parse::<f64>().ok();
    }
    match digits {
        ".inf" | ".Inf" | ".INF" => Some(if v.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::yaml;

    #[test]
    fn canonical_data_types_scalars() {
        let a = yaml::parse_one("a", "x: 1\ny: \"1\"\nz: [true, ~]\nw: 1.0\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let b = yaml::parse_one("b", "w: 1\nz: [true, null]\ny: '1'\nx: 1\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(same_data(&a.root, &b.root));
        let c = yaml::parse_one("c", "x: \"1\"\ny: \"1\"\nz: [true, ~]\nw: 1\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!same_data(&a.root, &c.root));
    }
}
