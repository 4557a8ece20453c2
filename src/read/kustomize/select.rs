//! Patch targets: kustomize's selectors. Group, version, kind, name and namespace are
//! regular expressions (Go RE2 syntax) matched whole (kustomize anchors them as
//! `^(?:pattern)$`; an empty one matches anything), against the resource's
//! original or current name and namespace; `labelSelector` and `annotationSelector` use
//! Kubernetes label-selector syntax (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`).

use super::{Id, Resource};
use crate::read::yaml::Node;

#[derive(Debug, Clone, Default)]
pub(super) struct Selector {
    group: Option<Pattern>,
    version: Option<Pattern>,
    kind: Option<Pattern>,
    name: Option<Pattern>,
    namespace: Option<Pattern>,
    labels: Option<Vec<Requirement>>,
    annotations: Option<Vec<Requirement>>,
}

impl Selector {
    pub(super) fn parse(node: &Node) -> Result<Selector, String> {
        let Some(entries) = node.as_map() else {
            return Err("a patch `target` is a mapping (kind, name, labelSelector, ...)".into());
        };
        let mut s = Selector::default();
        for e in entries {
            let text = e
                .value
                .as_str()
                .ok_or_else(|| format!("target `{}` takes a string", e.key))?;
            match e.key.as_str() {
                "group" => s.group = Pattern::of_field(text)?,
                "version" => s.version = Pattern::of_field(text)?,
                "kind" => s.kind = Pattern::of_field(text)?,
                "name" => s.name = Pattern::of_field(text)?,
                "namespace" => s.namespace = Pattern::of_field(text)?,
                "labelSelector" => s.labels = Some(requirements(text)?),
                "annotationSelector" => s.annotations = Some(requirements(text)?),
                other => {
                    return Err(format!(
                        "target field `{other}` is not supported (group, version, kind, name, namespace, labelSelector, annotationSelector)"
                    ));
                }
            }
        }
        Ok(s)
    }

    pub(super) fn matches(&self, r: &Resource) -> bool {
        let cur = r.id();
        let matches = |p: &Option<Pattern>, values: &[&str]| {
            p.as_ref()
                .is_none_or(|p| values.iter().any(|v| p.is_match(v)))
        };
        matches(&self.namespace, &[&r.org.namespace, &cur.namespace])
            && matches(&self.name, &[&r.org.name, &cur.name])
            && matches(&self.group, &[&cur.group])
            && matches(&self.version, &[&cur.version])
            && matches(&self.kind, &[&cur.kind])
            && self
                .labels
                .as_ref()
                .is_none_or(|req| satisfied(req, r.node.at("metadata.labels")))
            && self
                .annotations
                .as_ref()
                .is_none_or(|req| satisfied(req, r.node.at("metadata.annotations")))
    }
}

/// A strategic-merge patch without a target names its resource by kind and name (original
/// or current), and by group, version and namespace when it gives them.
pub(super) fn same_object(want: &Id, r: &Resource) -> bool {
    let cur = r.id();
    want.kind == cur.kind
        && (want.name == r.org.name || want.name == cur.name)
        && (want.group.is_empty() || want.group == cur.group)
        && (want.version.is_empty() || want.version == cur.version)
        && (want.namespace.is_empty()
            || want.namespace == r.org.namespace
            || want.namespace == cur.namespace)
}

// -----------------------------------------------------------------------------------------
// Label selectors

#[derive(Debug, Clone)]
enum Requirement {
    Exists(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

fn requirements(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    for part in split_top(text) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let bad = || format!("label selector {text:?}: cannot read {part:?}");
        if let Some(key) = part.strip_prefix('!') {
            out.push(Requirement::Absent(key.trim().to_string()));
        } else if let Some((k, v)) = part.split_once("!=") {
            out.push(Requirement::NotIn(k.trim().into(), vec![v.trim().into()]));
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            out.push(Requirement::In(k.trim().into(), vec![v.trim().into()]));
        } else if let Some((k, set)) = set_op(part, " notin ") {
            out.push(Requirement::NotIn(k, set.ok_or_else(bad)?));
        } else if let Some((k, set)) = set_op(part, " in ") {
            out.push(Requirement::In(k, set.ok_or_else(bad)?));
        } else if part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            out.push(Requirement::Exists(part.to_string()));
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

/// Split on commas outside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn set_op(part: &str, op: &str) -> Option<(String, Option<Vec<String>>)> {
    let (key, rest) = part.split_once(op)?;
    let set = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .map(|inner| inner.split(',').map(|v| v.trim().to_string()).collect());
    Some((key.trim().to_string(), set))
}

fn satisfied(reqs: &[Requirement], labels: Option<&Node>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Node::as_str);
    reqs.iter().all(|r| match r {
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::Absent(k) => get(k).is_none(),
        Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
        Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
    })
}

// -----------------------------------------------------------------------------------------
// Patterns: Go RE2 syntax, which `regex-lite` reads the same way for what selectors use
// (`\d`, `\w` and `\s` are ASCII in both), matched in time linear in the name.

/// Most memory one compiled pattern may take (kustomize targets are short names).
const MAX_PATTERN_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub(super) struct Pattern(regex_lite::Regex);

impl Pattern {
    /// Compile a target pattern anchored as kustomize anchors it: `^(?:pattern)$`.
    pub(super) fn new(text: &str) -> Result<Pattern, String> {
        regex_lite::RegexBuilder::new(&format!("^(?:{text})$"))
            .size_limit(MAX_PATTERN_BYTES)
            .build()
            .map(Pattern)
            .map_err(|e| format!("target pattern {text:?}: {e}"))
    }

    /// The pattern of a target field; none for an empty field, which kustomize lets match
    /// anything (`group: ""` selects every group, not only the core one).
    fn of_field(text: &str) -> Result<Option<Pattern>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        Pattern::new(text).map(Some)
    }

    pub(super) fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::new(p)
            .unwrap_or_else(|e| panic!("{e}"))
            .is_match(s)
    }

    #[test]
    fn patterns_match_whole_names() {
        assert!(m("wide-ep-llm-d-decode", "wide-ep-llm-d-decode"));
        assert!(!m("decode", "wide-ep-llm-d-decode"));
        assert!(m(".*-decode", "wide-ep-llm-d-decode"));
        assert!(m("(decode|prefill)", "prefill"));
        assert!(m("a[0-9]+b?", "a12"));
        assert!(!m("a[^0-9]", "a1"));
        assert!(m("Deploy.*|StatefulSet", "StatefulSet"));
        assert!(m("a\\.b", "a.b") && !m("a\\.b", "axb"));
        // Repetition counts are RE2 syntax too.
        assert!(m("a{2}", "aa") && !m("a{2}", "a") && !m("a{2}", "aaa"));
        // Anchored as a whole: an alternation cannot escape the anchors.
        assert!(!m("a|b", "ab") && !m("x|decode", "wide-ep-llm-d-decode"));
        // ASCII classes, as in Go.
        assert!(!m("\\d", "\u{0663}") && !m("\\w", "é"));
        assert!(Pattern::new("(a").is_err());
        assert!(Pattern::new("a)").is_err());
        // Escaped punctuation, as RE2 allows.
        assert!(m("a\\/b\\-c", "a/b-c"));
        // An empty field matches anything, as in kustomize.
        assert!(Pattern::of_field("").is_ok_and(|p| p.is_none()));
        // A pattern too large to compile is refused, not built.
        assert!(Pattern::new(&"(a|b)".repeat(1 << 16)).is_err());
    }

    #[test]
    fn hostile_patterns_end() {
        let started = std::time::Instant::now();
        assert!(!m("(a*)*b", &"a".repeat(5000)));
        assert!(m("(a|aa)*", &"a".repeat(5000)));
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn label_selectors() {
        let node = crate::read::yaml::parse_one("t", "a: x\nb: y\n")
            .unwrap_or_else(|e| panic!("{e}"))
            .root;
        let ok = |sel: &str| satisfied(&requirements(sel).unwrap_or_default(), Some(&node));
        assert!(ok("a=x"));
        assert!(ok("a==x,b"));
        assert!(ok("a in (x, z),!c"));
        assert!(!ok("a notin (x)"));
        assert!(!ok("b!=y"));
        assert!(requirements("a in x").is_err());
    }
}
