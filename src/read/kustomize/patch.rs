//! JSON 6902 patches as kustomize applies them (evanphx/json-patch v4 semantics): `add`,
//! `remove`, `replace`, `move`, `copy`, `test`; JSON pointers with `~0`/`~1` escapes, `-` to
//! append, negative indexes counted from the end; `replace` of a missing object member adds
//! it (kubectl does). New values keep the patch's file and lines, and a map entry the patch
//! set cites the operation's `path:` line as its key.

use super::{Builder, Resource};
use crate::error::Result;
use crate::read::yaml::Overridden;
use crate::read::yaml::{Entry, Kind, Node, Scalar};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OpKind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

#[derive(Debug, Clone)]
pub(super) struct Op {
    kind: OpKind,
    path: Vec<String>,
    /// The pointer as written, for messages.
    shown: String,
    from: Option<(Vec<String>, String)>,
    value: Node,
    /// The operation's node (its file and first line).
    node: Node,
    /// Line of the `path:` entry: the key line of a map entry this operation sets.
    path_line: usize,
}

/// Read a list of operations.
pub(super) fn parse(list: &Node) -> std::result::Result<Vec<Op>, (Node, String)> {
    let mut out = Vec::new();
    for item in list.as_seq().unwrap_or_default() {
        let fail = |why: String| (item.clone(), why);
        let Some(entries) = item.as_map() else {
            return Err(fail(
                "a JSON 6902 operation is a mapping (op, path, ...)".into(),
            ));
        };
        for e in entries {
            if !matches!(e.key.as_str(), "op" | "path" | "from" | "value") {
                return Err(fail(format!(
                    "unknown key `{}` in a JSON 6902 operation (op, path, from, value)",
                    e.key
                )));
            }
        }
        let op = item.get("op").and_then(Node::as_str).unwrap_or_default();
        let kind = match op {
            "add" => OpKind::Add,
            "remove" => OpKind::Remove,
            "replace" => OpKind::Replace,
            "move" => OpKind::Move,
            "copy" => OpKind::Copy,
            "test" => OpKind::Test,
            other => {
                return Err(fail(format!(
                    "JSON 6902 op {other:?}: expected add, remove, replace, move, copy or test"
                )));
            }
        };
        let Some(path_entry) = item.entry("path") else {
            return Err(fail(format!("JSON 6902 `{op}` without a `path`")));
        };
        let shown = path_entry.value.as_str().unwrap_or_default().to_string();
        let path = pointer(&shown).map_err(&fail)?;
        let from = match (kind, item.get("from")) {
            (OpKind::Move | OpKind::Copy, Some(f)) => {
                let text = f.as_str().unwrap_or_default().to_string();
                Some((pointer(&text).map_err(&fail)?, text))
            }
            (OpKind::Move | OpKind::Copy, None) => {
                return Err(fail(format!("JSON 6902 `{op}` without a `from`")));
            }
            _ => None,
        };
        // kustomize takes a missing value as null.
        let mut value = item.get("value").cloned().unwrap_or_else(|| Node {
            kind: Kind::Scalar(Scalar {
                value: String::new(),
                plain: true,
            }),
            ..item.clone()
        });
        yaml11(&mut value);
        out.push(Op {
            kind,
            path,
            shown,
            from,
            value,
            node: item.clone(),
            path_line: path_entry.line,
        });
    }
    Ok(out)
}

/// kustomize reads JSON 6902 operations as YAML 1.1 (through JSON): plain `yes`, `on`, `y`,
/// ... are booleans and `0755` is octal there. Values get the data kubectl would write.
fn yaml11(node: &mut Node) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &mut n.kind {
            Kind::Scalar(s) if s.plain => {
                let v = s.value.as_str();
                let new = match v {
                    "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
                        Some("true".to_string())
                    }
                    "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
                        Some("false".to_string())
                    }
                    _ => octal(v).map(|n| n.to_string()),
                };
                if let Some(new) = new {
                    s.value = new;
                }
            }
            Kind::Scalar(_) => {}
            Kind::Seq(items) => stack.extend(items.iter_mut()),
            Kind::Map(entries) => stack.extend(entries.iter_mut().map(|e| &mut e.value)),
        }
    }
}

/// `0755` (YAML 1.1 octal) as its value.
fn octal(v: &str) -> Option<i64> {
    let (sign, digits) = match v.strip_prefix('-') {
        Some(d) => (-1, d),
        None => (1, v.strip_prefix('+').unwrap_or(v)),
    };
    let rest = digits.strip_prefix('0')?;
    if rest.is_empty() || rest.len() > 20 || !rest.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
        return None;
    }
    i64::from_str_radix(rest, 8).ok().map(|n| sign * n)
}

/// `/a/b~1c/0` -> a, b/c, 0.
fn pointer(text: &str) -> std::result::Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("JSON pointer {text:?} must start with /"));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// Apply operations to one resource, in order.
pub(super) fn apply(b: &mut Builder<'_>, r: &mut Resource, ops: &[Op]) -> Result<()> {
    for op in ops {
        let target = r.id();
        let fail = |b: &Builder<'_>, why: String| {
            b.error_at(
                op.node.src,
                op.node.line,
                format!(
                    "JSON 6902 `{}` at {} on {target}: {why}",
                    name(op.kind),
                    op.shown
                ),
            )
        };
        match op.kind {
            OpKind::Add | OpKind::Replace => {
                let value = b.copy(&op.value);
                let replaced = set(&mut r.node, &op.path, value, op.kind, op.path_line)
                    .map_err(|why| fail(b, why))?;
                if let Some((old, key_line)) = replaced {
                    let by = get(&r.node, &op.path)
                        .cloned()
                        .unwrap_or_else(|| op.value.clone());
                    b.overridden.push(Overridden {
                        path: format!("{target}: {}", dotted(&op.path)),
                        node: old,
                        key_line,
                        by,
                    });
                }
            }
            OpKind::Remove => {
                remove(&mut r.node, &op.path).map_err(|why| fail(b, why))?;
            }
            OpKind::Move => {
                let (from, _) = op.from.clone().unwrap_or_default();
                if from == op.path {
                    continue;
                }
                if op.path.len() > from.len() && op.path[..from.len()] == from[..] {
                    return Err(fail(b, "cannot move a value into itself".into()));
                }
                let value = remove(&mut r.node, &from).map_err(|why| fail(b, why))?;
                set(&mut r.node, &op.path, value, OpKind::Add, op.path_line)
                    .map_err(|why| fail(b, why))?;
            }
            OpKind::Copy => {
                let (from, _) = op.from.clone().unwrap_or_default();
                let value = get(&r.node, &from)
                    .cloned()
                    .ok_or_else(|| fail(b, "`from` does not exist".into()))?;
                let value = b.copy(&value);
                set(&mut r.node, &op.path, value, OpKind::Add, op.path_line)
                    .map_err(|why| fail(b, why))?;
            }
            OpKind::Test => {
                let found = get(&r.node, &op.path);
                if !found.is_some_and(|n| super::same_data(n, &op.value)) {
                    return Err(fail(b, "the test failed: the value differs".into()));
                }
            }
        }
    }
    Ok(())
}

fn name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::Add => "add",
        OpKind::Remove => "remove",
        OpKind::Replace => "replace",
        OpKind::Move => "move",
        OpKind::Copy => "copy",
        OpKind::Test => "test",
    }
}

/// `spec.containers[0].env` for messages and notes.
fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// A list index as Go's strconv.Atoi reads it (a sign and digits).
fn atoi(seg: &str) -> Option<i64> {
    let digits = seg.strip_prefix(['-', '+']).unwrap_or(seg);
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    seg.parse().ok()
}

/// An existing element: `idx` counted from the end when negative.
fn existing_index(seg: &str, len: usize) -> std::result::Result<usize, String> {
    let idx = atoi(seg).ok_or_else(|| format!("{seg:?} is not a list index"))?;
    let len = len as i64;
    let idx = if idx < 0 { idx + len } else { idx };
    if idx < 0 || idx >= len {
        return Err(format!("index {seg} is outside the list ({len} items)"));
    }
    Ok(idx as usize)
}

fn get<'n>(root: &'n Node, path: &[String]) -> Option<&'n Node> {
    let mut node = root;
    for seg in path {
        node = match &node.kind {
            Kind::Map(entries) => &entries.iter().find(|e| e.key == *seg)?.value,
            Kind::Seq(items) => &items[existing_index(seg, items.len()).ok()?],
            Kind::Scalar(_) => return None,
        };
    }
    Some(node)
}

fn get_mut<'n>(root: &'n mut Node, path: &[String]) -> std::result::Result<&'n mut Node, String> {
    let mut node = root;
    for seg in path {
        node = match &mut node.kind {
            Kind::Map(entries) => {
                let Some(e) = entries.iter_mut().find(|e| e.key == *seg) else {
                    return Err(format!("the path does not exist (no `{seg}`)"));
                };
                &mut e.value
            }
            Kind::Seq(items) => {
                let i = existing_index(seg, items.len())?;
                &mut items[i]
            }
            Kind::Scalar(_) => {
                return Err(format!("the path does not exist (`{seg}` under a scalar)"));
            }
        };
    }
    Ok(node)
}

type Replaced = Option<(Node, Option<usize>)>;

/// `add` or `replace` `value` at `path`; returns what it replaced.
fn set(
    root: &mut Node,
    path: &[String],
    value: Node,
    kind: OpKind,
    path_line: usize,
) -> std::result::Result<Replaced, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("the whole document cannot be replaced".into());
    };
    let parent = get_mut(root, parent_path)?;
    match &mut parent.kind {
        Kind::Map(entries) => match entries.iter_mut().find(|e| e.key == *last) {
            Some(e) => {
                let old = std::mem::replace(&mut e.value, value);
                let old_line = std::mem::replace(&mut e.line, path_line);
                Ok(Some((old, Some(old_line))))
            }
            None => {
                entries.push(Entry {
                    key: last.clone(),
                    line: path_line,
                    value,
                });
                Ok(None)
            }
        },
        Kind::Seq(items) => {
            let len = items.len();
            if kind == OpKind::Replace {
                let i = existing_index(last, len)?;
                let old = std::mem::replace(&mut items[i], value);
                return Ok(Some((old, None)));
            }
            if last == "-" {
                items.push(value);
                return Ok(None);
            }
            let idx = atoi(last).ok_or_else(|| format!("{last:?} is not a list index"))?;
            let size = len as i64 + 1;
            let idx = if idx < 0 { idx + size } else { idx };
            if idx < 0 || idx >= size {
                return Err(format!("index {last} is outside the list ({len} items)"));
            }
            items.insert(idx as usize, value);
            Ok(None)
        }
        Kind::Scalar(_) => Err("the path does not exist (its parent is a scalar)".into()),
    }
}

fn remove(root: &mut Node, path: &[String]) -> std::result::Result<Node, String> {
    let Some((last, parent_path)) = path.split_last() else {
        return Err("the whole document cannot be removed".into());
    };
    let parent = get_mut(root, parent_path)?;
    match &mut parent.kind {
        Kind::Map(entries) => match entries.iter().position(|e| e.key == *last) {
            Some(p) => Ok(entries.remove(p).value),
            None => Err(format!("the path does not exist (no `{last}`)")),
        },
        Kind::Seq(items) => {
            let i = existing_index(last, items.len())?;
            Ok(items.remove(i))
        }
        Kind::Scalar(_) => Err("the path does not exist (its parent is a scalar)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::yaml::parse_one;

    fn tree(text: &str) -> Node {
        parse_one("t", text).unwrap_or_else(|e| panic!("{e}")).root
    }

    fn seg(p: &str) -> Vec<String> {
        pointer(p).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pointers_unescape_in_rfc_order() {
        assert_eq!(seg("/a~1b/c~0d/~01"), vec!["a/b", "c~d", "~1"]);
        assert_eq!(seg(""), Vec::<String>::new());
        assert!(pointer("a/b").is_err());
    }

    #[test]
    fn add_inserts_appends_and_counts_from_the_end() {
        let mut t = tree("l: [a, b, c]\n");
        let v = tree("X");
        set(&mut t, &seg("/l/1"), v.clone(), OpKind::Add, 1).unwrap_or_else(|e| panic!("{e}"));
        set(&mut t, &seg("/l/-"), v.clone(), OpKind::Add, 1).unwrap_or_else(|e| panic!("{e}"));
        set(&mut t, &seg("/l/-1"), tree("Y"), OpKind::Add, 1).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<&str> = t
            .get("l")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        assert_eq!(got, vec!["a", "X", "b", "c", "X", "Y"]);
        assert!(set(&mut t, &seg("/l/9"), v.clone(), OpKind::Add, 1).is_err());
        assert!(set(&mut t, &seg("/x/y"), v, OpKind::Add, 1).is_err());
    }

    #[test]
    fn replace_of_a_missing_member_adds_it_but_not_in_lists() {
        let mut t = tree("m: {}\nl: [a]\n");
        assert!(set(&mut t, &seg("/m/k"), tree("v"), OpKind::Replace, 1).is_ok());
        assert_eq!(t.at("m.k").and_then(Node::as_str), Some("v"));
        assert!(set(&mut t, &seg("/l/1"), tree("v"), OpKind::Replace, 1).is_err());
        assert!(remove(&mut t, &seg("/m/nope")).is_err());
        assert!(remove(&mut t, &seg("/l/-1")).is_ok());
    }
}
