//! Writing guide subtrees back as block YAML, for the files a scenario creates (env lists,
//! volumes, mounts, container config). Strings that were quoted stay quoted, so every value
//! keeps its type; chosen scalars can be replaced by `REPLACE_ENV_` tokens.

use crate::read::yaml::{Kind, Node, Scalar, double_quoted, plain_ok};

/// Block YAML for `node`, ending in a newline. `token(id)` replaces a scalar's text.
pub fn emit(node: &Node, token: &dyn Fn(usize) -> Option<String>) -> String {
    emit_indented(node, 0, token)
}

/// Like [`emit`], every line indented by `indent` spaces.
pub fn emit_indented(
    node: &Node,
    indent: usize,
    token: &dyn Fn(usize) -> Option<String>,
) -> String {
    let mut out = String::new();
    emit_at(&mut out, node, indent, token);
    out
}

/// One entry of a block list (`- ...`), for lists assembled from chosen items.
pub fn emit_item(node: &Node, token: &dyn Fn(usize) -> Option<String>) -> String {
    let mut out = String::new();
    emit_items(&mut out, std::slice::from_ref(node), 0, token);
    out
}

/// `key: value` (or `key:` and the value indented below).
pub fn emit_entry(key: &str, node: &Node, token: &dyn Fn(usize) -> Option<String>) -> String {
    if node.is_leaf() {
        format!("{}: {}\n", key_text(key), inline(node, token))
    } else {
        format!("{}:\n{}", key_text(key), emit_indented(node, 2, token))
    }
}

fn emit_at(out: &mut String, node: &Node, indent: usize, token: &dyn Fn(usize) -> Option<String>) {
    let pad = " ".repeat(indent);
    match &node.kind {
        Kind::Scalar(_) => {
            out.push_str(&pad);
            out.push_str(&inline(node, token));
            out.push('\n');
        }
        Kind::Seq(items) if items.is_empty() => out.push_str(&format!("{pad}[]\n")),
        Kind::Map(entries) if entries.is_empty() => out.push_str(&format!("{pad}{{}}\n")),
        Kind::Seq(items) => emit_items(out, items, indent, token),
        Kind::Map(entries) => {
            for e in entries {
                let key = key_text(&e.key);
                if e.value.is_leaf() {
                    let v = inline(&e.value, token);
                    if v.is_empty() {
                        out.push_str(&format!("{pad}{key}:\n"));
                    } else {
                        out.push_str(&format!("{pad}{key}: {v}\n"));
                    }
                } else {
                    out.push_str(&format!("{pad}{key}:\n"));
                    emit_at(out, &e.value, indent + 2, token);
                }
            }
        }
    }
}

fn emit_items(
    out: &mut String,
    items: &[Node],
    indent: usize,
    token: &dyn Fn(usize) -> Option<String>,
) {
    let pad = " ".repeat(indent);
    for item in items {
        match &item.kind {
            Kind::Map(entries) if !entries.is_empty() => {
                // `- key: value` then the other keys aligned under the first.
                let mut sub = String::new();
                emit_at(&mut sub, item, indent + 2, token);
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(sub.trim_start_matches(' '));
            }
            Kind::Seq(inner) if !inner.is_empty() => {
                out.push_str(&format!("{pad}-\n"));
                emit_at(out, item, indent + 2, token);
            }
            _ => out.push_str(&format!("{pad}- {}\n", inline(item, token))),
        }
    }
}

/// A leaf written on one line.
fn inline(node: &Node, token: &dyn Fn(usize) -> Option<String>) -> String {
    if let Some(t) = token(node.id) {
        return t;
    }
    match &node.kind {
        Kind::Scalar(s) => scalar_text(s),
        Kind::Seq(_) => "[]".into(),
        Kind::Map(_) => "{}".into(),
    }
}

/// A scalar as YAML: plain when it was plain and reads back the same, else double-quoted.
pub fn scalar_text(s: &Scalar) -> String {
    if s.plain && (s.is_null() || plain_ok(&s.value)) {
        return s.value.clone();
    }
    double_quoted(&s.value)
}

fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && !key.starts_with(['-', '.'])
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    if plain {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::yaml::parse_one;

    fn round_trip(text: &str) -> String {
        let doc = parse_one("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        emit(&doc.root, &|_| None)
    }

    #[test]
    fn lists_of_maps_and_nesting() {
        let text = "- name: A\n  value: \"1\"\n- name: B\n  valueFrom:\n    fieldRef:\n      fieldPath: status.podIP\n";
        assert_eq!(round_trip(text), text);
    }

    #[test]
    fn quoted_strings_stay_strings_and_hostile_text_is_escaped() {
        let out = round_trip("a: \"true\"\nb: 'x: y'\nc: \"line\\nbreak\"\nd: 5\ne: {}\nf: []\n");
        assert_eq!(
            out,
            "a: \"true\"\nb: \"x: y\"\nc: \"line\\nbreak\"\nd: 5\ne: {}\nf: []\n"
        );
        let again = parse_one("t.yaml", &out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again.root.get("c").and_then(|n| n.as_str()),
            Some("line\nbreak")
        );
        let hostile = "a\u{202e}b\u{2028}c\u{85}d\u{1b}e\re\u{feff}";
        let text = double_quoted(hostile);
        assert!(!text.chars().any(crate::error::is_deceptive), "{text}");
        let back = parse_one("t.yaml", &format!("a: {text}\n")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.root.get("a").and_then(|n| n.as_str()), Some(hostile));
    }

    #[test]
    fn tokens_replace_chosen_scalars() {
        let doc = parse_one("t.yaml", "- name: shm\n  emptyDir:\n    sizeLimit: 20Gi\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let id = doc.root.at("[0].emptyDir.sizeLimit").map(|n| n.id);
        let out = emit(&doc.root, &|n| {
            (Some(n) == id).then(|| "REPLACE_ENV_X".to_string())
        });
        assert_eq!(
            out,
            "- name: shm\n  emptyDir:\n    sizeLimit: REPLACE_ENV_X\n"
        );
    }
}
