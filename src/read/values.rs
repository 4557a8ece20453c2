//! Helm values semantics on our YAML trees: later sources override earlier ones, maps merge
//! key by key, lists and scalars are replaced whole, and `set:` entries apply last. Every
//! node keeps the file it came from, so provenance names who supplied each final value.

use crate::read::yaml::{Doc, Entry, Kind, Node, Scalar};

/// Defined with the tree (kustomize records overrides too, and reads only the YAML module).
pub use crate::read::yaml::Overridden;

/// The keys a values file gives twice, as Helm reads them: the earlier value is overridden
/// by the later one in the same file. Call after [`Node::set_src`] on the document's root,
/// so both locations name the file.
pub fn duplicates(doc: &Doc) -> Vec<Overridden> {
    doc.duplicates
        .iter()
        .map(|d| {
            let (mut node, mut by) = (d.dropped.value.clone(), d.kept.value.clone());
            node.set_src(doc.root.src);
            by.set_src(doc.root.src);
            // The note names the kept key's line (a mapping's node starts at its first child).
            by.line = by.line.min(d.kept.line);
            Overridden {
                path: d.path.clone(),
                node,
                key_line: Some(d.dropped.line),
                by,
            }
        })
        .collect()
}

/// Merge `overlay` into `base` (Helm: maps recursively, everything else replaced; a null
/// in a later source removes the key). Depth is bounded by the YAML reader's limit.
pub fn merge(base: &mut Node, overlay: Node, path: &str, overridden: &mut Vec<Overridden>) {
    let (Kind::Map(entries), Kind::Map(_)) = (&mut base.kind, &overlay.kind) else {
        if !base.is_null() && !path.is_empty() {
            overridden.push(Overridden {
                path: path.to_string(),
                node: base.clone(),
                key_line: None,
                by: overlay.clone(),
            });
        }
        *base = overlay;
        return;
    };
    let Kind::Map(over) = overlay.kind else {
        return;
    };
    for e in over {
        let child = if path.is_empty() {
            e.key.clone()
        } else {
            format!("{path}.{}", e.key)
        };
        let Some(pos) = entries.iter().position(|x| x.key == e.key) else {
            entries.push(e);
            continue;
        };
        let existing = &mut entries[pos];
        if existing.value.as_map().is_some() && e.value.as_map().is_some() {
            merge(&mut existing.value, e.value, &child, overridden);
            continue;
        }
        overridden.push(Overridden {
            path: child,
            node: existing.value.clone(),
            key_line: Some(existing.line),
            by: e.value.clone(),
        });
        if e.value.is_null() {
            entries.remove(pos);
        } else {
            existing.line = e.line;
            existing.value = e.value;
        }
    }
}

/// Apply a Helm `--set`-style entry: `decode.containers[0].env[0].value` = `value`.
/// A null value (or the string "null") removes the key, as Helm does.
pub fn set(root: &mut Node, path: &str, value: Node, key_line: usize) -> Result<(), String> {
    let segments = parse_path(path)?;
    let remove = value.is_null() || value.as_scalar().is_some_and(|s| s.value == "null");
    let mut node = root;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match seg {
            Segment::Key(key) => {
                if node.as_map().is_none() {
                    if remove {
                        return Ok(());
                    }
                    node.kind = Kind::Map(Vec::new());
                }
                let Kind::Map(entries) = &mut node.kind else {
                    return Err(format!("{path}: not a map"));
                };
                if last && remove {
                    entries.retain(|e| e.key != *key);
                    return Ok(());
                }
                let pos = match entries.iter().position(|e| e.key == *key) {
                    Some(p) => p,
                    // Removing what is not there changes nothing (and creates nothing).
                    None if remove => return Ok(()),
                    None => {
                        entries.push(Entry {
                            key: key.clone(),
                            line: key_line,
                            value: empty_like(&value),
                        });
                        entries.len() - 1
                    }
                };
                if last {
                    entries[pos].line = key_line;
                    entries[pos].value = value;
                    return Ok(());
                }
                node = &mut entries[pos].value;
            }
            Segment::Index(index) => {
                let Kind::Seq(items) = &mut node.kind else {
                    return Err(format!("{path}: [{index}] on a value that is not a list"));
                };
                if *index > items.len() + 1024 {
                    return Err(format!(
                        "{path}: index {index} is far past the end of the list"
                    ));
                }
                while items.len() <= *index {
                    items.push(empty_like(&value));
                }
                if last {
                    items[*index] = value;
                    return Ok(());
                }
                node = &mut items[*index];
            }
        }
    }
    Ok(())
}

fn empty_like(value: &Node) -> Node {
    Node {
        kind: Kind::Scalar(Scalar {
            value: String::new(),
            plain: true,
        }),
        ..value.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// `a.b\.c[0].d` -> a, b.c, [0], d (Helm's escaping of dots in keys).
fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => key.push(
                chars
                    .next()
                    .ok_or_else(|| format!("{path}: ends in a backslash"))?,
            ),
            '.' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
                let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                let index = digits
                    .parse()
                    .map_err(|_| format!("{path}: [{digits}] is not a list index"))?;
                out.push(Segment::Index(index));
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Segment::Key(key));
    }
    if out.is_empty() {
        return Err("an empty set: name".to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::yaml::parse_one;

    fn tree(text: &str, src: usize) -> Node {
        let mut root = parse_one("t.yaml", text)
            .unwrap_or_else(|e| panic!("{e}"))
            .root;
        root.set_src(src);
        root
    }

    #[test]
    fn maps_merge_lists_and_scalars_replace_and_origins_stay() {
        let mut base = tree("a:\n  x: 1\n  l: [1, 2]\nb: keep\n", 0);
        let mut over = Vec::new();
        merge(
            &mut base,
            tree("a:\n  y: 2\n  l: [3]\n  x: ~\n", 1),
            "",
            &mut over,
        );
        assert_eq!(
            base.at("a.y").map(|n| (n.as_str(), n.src)),
            Some((Some("2"), 1))
        );
        assert_eq!(
            base.at("a.l").and_then(|n| n.as_seq()).map(|l| l.len()),
            Some(1)
        );
        assert!(base.at("a.x").is_none(), "null removes");
        assert_eq!(base.at("b").map(|n| n.src), Some(0));
        let paths: Vec<&str> = over.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, vec!["a.l", "a.x"]);
    }

    #[test]
    fn set_entries() {
        let mut root = tree("decode:\n  containers:\n  - env:\n    - name: A\n", 0);
        let value = tree("x", 1);
        set(&mut root, "decode.containers[0].env[0].value", value, 9)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            root.at("decode.containers[0].env[0].value")
                .and_then(|n| n.as_str()),
            Some("x")
        );
        set(&mut root, "a\\.b.c", tree("1", 1), 9).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            root.get("a.b")
                .and_then(|n| n.get("c"))
                .and_then(|n| n.as_str()),
            Some("1")
        );
        set(
            &mut root,
            "decode.containers[0].resources.limits.rdma/ib",
            tree("null", 1),
            9,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            root.at("decode.containers[0].resources.limits.rdma/ib")
                .is_none()
        );
        assert!(set(&mut root, "decode[0]", tree("1", 1), 9).is_err());
        assert!(set(&mut root, "x[99999999]", tree("1", 1), 9).is_err());
    }
}
