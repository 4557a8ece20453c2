//! Patch targets: kustomize's selectors. Group, version, kind, name and namespace are
//! regular expressions matched whole (kustomize anchors them), against the resource's
//! original or current name and namespace; `labelSelector` and `annotationSelector` use
//! Kubernetes label-selector syntax (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`).

use super::{Id, Resource};
use crate::yaml::Node;

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
                "group" => s.group = Some(Pattern::new(text)?),
                "version" => s.version = Some(Pattern::new(text)?),
                "kind" => s.kind = Some(Pattern::new(text)?),
                "name" => s.name = Some(Pattern::new(text)?),
                "namespace" => s.namespace = Some(Pattern::new(text)?),
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
// Patterns: the regular expressions selectors use, matched whole, by a Thompson automaton
// (time linear in the name, whatever the pattern).

/// Most automaton states one pattern may compile to.
const MAX_STATES: usize = 10_000;

#[derive(Debug, Clone)]
pub(super) struct Pattern {
    states: Vec<State>,
    start: usize,
}

#[derive(Debug, Clone)]
enum State {
    Atom(Atom, usize),
    Split(usize, usize),
    Match,
}

#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Any,
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

/// The parsed form: alternatives of pieces.
#[derive(Debug, Clone)]
struct Alternatives(Vec<Vec<Piece>>);

#[derive(Debug, Clone)]
struct Piece {
    atom: Term,
    min: usize,
    max: Option<usize>,
}

#[derive(Debug, Clone)]
enum Term {
    Atom(Atom),
    Group(Alternatives),
}

impl Pattern {
    /// Parse a pattern: literals, `.`, classes `[a-z]` `[^x]`, escapes `\.` `\d` `\w` `\s`,
    /// groups `(...)` `(?:...)`, alternation `|`, quantifiers `* + ?`. Anything else is refused.
    pub(super) fn new(text: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0;
        let parsed = parse_alternatives(&chars, &mut pos, 0)
            .map_err(|why| format!("target pattern {text:?}: {why}"))?;
        if pos != chars.len() {
            return Err(format!("target pattern {text:?}: unbalanced `)`"));
        }
        let mut states = vec![State::Match];
        let start = compile_alternatives(&parsed, 0, &mut states);
        if states.len() > MAX_STATES {
            return Err(format!("target pattern {text:?} is too large"));
        }
        Ok(Pattern { states, start })
    }

    pub(super) fn is_match(&self, s: &str) -> bool {
        let mut current = vec![false; self.states.len()];
        self.close(self.start, &mut current);
        for c in s.chars() {
            let mut next = vec![false; self.states.len()];
            for (i, on) in current.iter().enumerate() {
                if let (true, State::Atom(atom, to)) = (*on, &self.states[i])
                    && atom_matches(atom, c)
                {
                    self.close(*to, &mut next);
                }
            }
            if !next.iter().any(|b| *b) {
                return false;
            }
            current = next;
        }
        current
            .iter()
            .enumerate()
            .any(|(i, on)| *on && matches!(self.states[i], State::Match))
    }

    /// Add `state` and every state reachable from it without input.
    fn close(&self, state: usize, set: &mut [bool]) {
        let mut stack = vec![state];
        while let Some(s) = stack.pop() {
            if set[s] {
                continue;
            }
            set[s] = true;
            if let State::Split(a, b) = self.states[s] {
                stack.push(a);
                stack.push(b);
            }
        }
    }
}

fn push(states: &mut Vec<State>, s: State) -> usize {
    states.push(s);
    states.len() - 1
}

fn compile_alternatives(p: &Alternatives, next: usize, states: &mut Vec<State>) -> usize {
    let starts: Vec<usize> =
        p.0.iter()
            .map(|alt| compile_sequence(alt, next, states))
            .collect();
    let mut iter = starts.into_iter().rev();
    let mut start = iter.next().unwrap_or(next);
    for s in iter {
        start = push(states, State::Split(s, start));
    }
    start
}

fn compile_sequence(pieces: &[Piece], next: usize, states: &mut Vec<State>) -> usize {
    let mut cur = next;
    for p in pieces.iter().rev() {
        if states.len() > MAX_STATES {
            break;
        }
        cur = compile_piece(p, cur, states);
    }
    cur
}

fn compile_term(t: &Term, next: usize, states: &mut Vec<State>) -> usize {
    match t {
        Term::Atom(a) => push(states, State::Atom(a.clone(), next)),
        Term::Group(g) => compile_alternatives(g, next, states),
    }
}

fn compile_piece(p: &Piece, next: usize, states: &mut Vec<State>) -> usize {
    match (p.min, p.max) {
        (0, Some(1)) => {
            let body = compile_term(&p.atom, next, states);
            push(states, State::Split(body, next))
        }
        (min, None) => {
            // A loop: the split is created first so the body can point back at it.
            let split = push(states, State::Match);
            let body = compile_term(&p.atom, split, states);
            states[split] = State::Split(body, next);
            if min == 0 { split } else { body }
        }
        _ => compile_term(&p.atom, next, states),
    }
}

fn atom_matches(atom: &Atom, c: char) -> bool {
    match atom {
        Atom::Char(x) => *x == c,
        Atom::Any => c != '\n',
        Atom::Class { negated, items } => {
            items.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *negated
        }
    }
}

fn parse_alternatives(s: &[char], pos: &mut usize, depth: usize) -> Result<Alternatives, String> {
    if depth > 16 {
        return Err("groups nested too deep".into());
    }
    let mut alternatives = vec![Vec::new()];
    while let Some(&c) = s.get(*pos) {
        match c {
            '|' => {
                *pos += 1;
                alternatives.push(Vec::new());
            }
            ')' if depth > 0 => break,
            ')' => return Err("unbalanced `)`".into()),
            _ => {
                let atom = parse_term(s, pos, depth)?;
                let (min, max) = match s.get(*pos) {
                    Some('*') => (0, None),
                    Some('+') => (1, None),
                    Some('?') => (0, Some(1)),
                    Some('{') => return Err("`{n,m}` repetition is not supported".into()),
                    _ => (1, Some(1)),
                };
                if !(min == 1 && max == Some(1)) {
                    *pos += 1;
                }
                if let Some(last) = alternatives.last_mut() {
                    last.push(Piece { atom, min, max });
                }
            }
        }
    }
    Ok(Alternatives(alternatives))
}

fn parse_term(s: &[char], pos: &mut usize, depth: usize) -> Result<Term, String> {
    let c = s[*pos];
    *pos += 1;
    Ok(match c {
        '.' => Term::Atom(Atom::Any),
        // Anchors: the pattern is matched whole anyway, so they match the empty string.
        '^' | '$' => Term::Group(Alternatives(vec![Vec::new()])),
        '(' => {
            if s.get(*pos) == Some(&'?') {
                if s.get(*pos + 1) == Some(&':') {
                    *pos += 2;
                } else {
                    return Err("only (?:...) groups are supported".into());
                }
            }
            let inner = parse_alternatives(s, pos, depth + 1)?;
            if s.get(*pos) != Some(&')') {
                return Err("unclosed `(`".into());
            }
            *pos += 1;
            Term::Group(inner)
        }
        '[' => Term::Atom(parse_class(s, pos)?),
        '\\' => {
            let e = *s.get(*pos).ok_or("ends in a backslash")?;
            *pos += 1;
            Term::Atom(escape(e))
        }
        '*' | '+' | '?' => return Err(format!("`{c}` with nothing to repeat")),
        c => Term::Atom(Atom::Char(c)),
    })
}

fn escape(e: char) -> Atom {
    let word = vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
    let space = vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')];
    match e {
        'd' => Atom::Class {
            negated: false,
            items: vec![('0', '9')],
        },
        'D' => Atom::Class {
            negated: true,
            items: vec![('0', '9')],
        },
        'w' => Atom::Class {
            negated: false,
            items: word,
        },
        'W' => Atom::Class {
            negated: true,
            items: word,
        },
        's' => Atom::Class {
            negated: false,
            items: space,
        },
        'S' => Atom::Class {
            negated: true,
            items: space,
        },
        c => Atom::Char(c),
    }
}

fn parse_class(s: &[char], pos: &mut usize) -> Result<Atom, String> {
    let negated = s.get(*pos) == Some(&'^');
    if negated {
        *pos += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let Some(&c) = s.get(*pos) else {
            return Err("unclosed `[`".into());
        };
        *pos += 1;
        if c == ']' && !first {
            break;
        }
        first = false;
        let lo = if c == '\\' {
            let e = *s.get(*pos).ok_or("unclosed `[`")?;
            *pos += 1;
            e
        } else {
            c
        };
        if s.get(*pos) == Some(&'-') && s.get(*pos + 1).is_some_and(|n| *n != ']') {
            let hi = s[*pos + 1];
            *pos += 2;
            items.push((lo, hi));
        } else {
            items.push((lo, lo));
        }
    }
    Ok(Atom::Class { negated, items })
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
        assert!(Pattern::new("a{2}").is_err());
        assert!(Pattern::new("(a").is_err());
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
        let node = crate::yaml::parse_one("t", "a: x\nb: y\n")
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
