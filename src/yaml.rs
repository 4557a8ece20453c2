//! A YAML tree with spans, built from saphyr-parser events: every node knows its lines.
//!
//! The builder is iterative (no recursion on input depth), expands aliases within a node
//! budget, applies merge keys (`<<`), and refuses duplicate keys, so a hostile file fails
//! fast with a position instead of exhausting the stack or memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::error::{Error, Result};

/// Deepest nesting accepted; deeper input is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 512;
/// Most nodes one file may produce, aliases expanded.
pub const MAX_NODES: usize = 1_000_000;

/// One parsed YAML document and the text it came from.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The file's path as shown to users (relative to the guide root).
    pub file: String,
    pub text: String,
    pub root: Node,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// For YAML rendered from a template: the template line of each rendered line, and the
    /// template text, so provenance quotes what the guide's author wrote.
    rendered_from: Option<(Vec<usize>, Doc0)>,
}

/// The template a document was rendered from (its own lines, no further mapping).
#[derive(Debug, Clone)]
pub struct Doc0 {
    text: String,
    line_starts: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Unique within a document: lets later stages mark nodes as used.
    pub id: usize,
    /// Which source document the node came from (an index the caller assigns with
    /// [`Node::set_src`]; 0 after parsing). Trees merged from several files keep it per node.
    pub src: usize,
    /// First and last line (1-based, inclusive) of the node's text.
    pub line: usize,
    pub end_line: usize,
    pub column: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub value: String,
    /// Plain scalars are typed by YAML (numbers, booleans, null); quoted and block ones are strings.
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    /// Line of the key: an entry's text runs from here to `value.end_line`.
    pub line: usize,
    pub value: Node,
}

impl Node {
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, unless it is null.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| !s.is_null())
            .map(|s| s.value.as_str())
    }

    /// `true`/`false` as YAML 1.2 reads a plain scalar.
    pub fn as_bool(&self) -> Option<bool> {
        let s = self.as_scalar()?;
        if !s.plain {
            return None;
        }
        match s.value.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// Follow a dotted path of keys and `[n]` indexes: `decode.containers[0].args`.
    pub fn at(&self, path: &str) -> Option<&Node> {
        let mut node = self;
        for part in path.split('.') {
            let (key, indexes) = split_indexes(part)?;
            if !key.is_empty() {
                node = node.get(key)?;
            }
            for i in indexes {
                node = node.as_seq()?.get(i)?;
            }
        }
        Some(node)
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// Visit this node and every descendant, depth first, without recursion.
    pub fn walk(&self, mut visit: impl FnMut(&Node)) {
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            visit(node);
            match &node.kind {
                Kind::Scalar(_) => {}
                Kind::Seq(items) => stack.extend(items.iter().rev()),
                Kind::Map(entries) => stack.extend(entries.iter().rev().map(|e| &e.value)),
            }
        }
    }

    /// Mark this node and every descendant as coming from source document `src`.
    pub fn set_src(&mut self, src: usize) {
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            n.src = src;
            match &mut n.kind {
                Kind::Scalar(_) => {}
                Kind::Seq(items) => stack.extend(items.iter_mut()),
                Kind::Map(entries) => stack.extend(entries.iter_mut().map(|e| &mut e.value)),
            }
        }
    }

    /// Leaves: scalars and empty collections.
    pub fn is_leaf(&self) -> bool {
        match &self.kind {
            Kind::Scalar(_) => true,
            Kind::Seq(items) => items.is_empty(),
            Kind::Map(entries) => entries.is_empty(),
        }
    }
}

impl Scalar {
    pub fn is_null(&self) -> bool {
        self.plain && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

fn split_indexes(part: &str) -> Option<(&str, Vec<usize>)> {
    let key_end = part.find('[').unwrap_or(part.len());
    let (key, mut rest) = part.split_at(key_end);
    let mut indexes = Vec::new();
    while let Some(stripped) = rest.strip_prefix('[') {
        let close = stripped.find(']')?;
        indexes.push(stripped[..close].parse().ok()?);
        rest = &stripped[close + 1..];
    }
    rest.is_empty().then_some((key, indexes))
}

impl Doc {
    pub fn new(file: &str, text: &str, root: Node) -> Doc {
        Doc {
            file: file.to_string(),
            text: text.to_string(),
            root,
            line_starts: line_starts(text),
            rendered_from: None,
        }
    }

    /// A document parsed from `rendered`, which a template (`template`, the whole file)
    /// produced; `lines[i]` is the template line of rendered line `i + 1`.
    pub fn rendered(
        file: &str,
        rendered: &str,
        root: Node,
        lines: Vec<usize>,
        template: &str,
    ) -> Doc {
        let source = Doc0 {
            text: template.to_string(),
            line_starts: line_starts(template),
        };
        Doc {
            rendered_from: Some((lines, source)),
            ..Doc::new(file, rendered, root)
        }
    }

    /// The source lines `first..=last` (1-based).
    pub fn lines(&self, first: usize, last: usize) -> Vec<&str> {
        slice_lines(&self.text, &self.line_starts, first, last)
    }

    /// The lines to quote for a node spanning `first..=last`, as numbered in the file the
    /// user has: template lines for rendered documents.
    pub fn quote(&self, first: usize, last: usize) -> (usize, usize, Vec<String>) {
        match &self.rendered_from {
            None => (
                first,
                last,
                self.lines(first, last)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ),
            Some((map, template)) => {
                let at = |n: usize| map.get(n.saturating_sub(1)).copied().unwrap_or(1);
                let (a, b) = (at(first), at(last));
                let (a, b) = (a.min(b), a.max(b));
                let lines = slice_lines(&template.text, &template.line_starts, a, b);
                (a, b, lines.into_iter().map(str::to_string).collect())
            }
        }
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|i| *i < text.len()),
        )
        .collect()
}

/// Lines `first..=last` (1-based) of `text`, without their line endings.
fn slice_lines<'t>(text: &'t str, starts: &[usize], first: usize, last: usize) -> Vec<&'t str> {
    let first = first.max(1);
    if last < first {
        return Vec::new();
    }
    (first..=last.min(starts.len()))
        .map(|n| {
            let end = starts.get(n).copied().unwrap_or(text.len());
            let line = &text[starts[n - 1]..end];
            let line = line.strip_suffix('\n').unwrap_or(line);
            line.strip_suffix('\r').unwrap_or(line)
        })
        .collect()
}

/// True when `s`, written unquoted after `key: ` or `- `, is read back as the same scalar.
pub fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    !"[]{},#&*!|>'\"%@`".contains(first)
        && !s.starts_with("- ")
        && !s.starts_with("? ")
        && !s.starts_with(": ")
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with([':', ' ', '\t'])
        && !s.starts_with([' ', '\t'])
        && !s.chars().any(|c| c.is_control())
}

/// A YAML double-quoted scalar that reads back as exactly `s`: quotes, backslashes, line
/// breaks, control characters and byte-order marks escaped.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parse every document of a YAML stream. An empty stream gives one null document.
pub fn parse(file: &str, text: &str) -> Result<Vec<Doc>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let roots = Builder::new(file, text).run()?;
    Ok(roots
        .into_iter()
        .map(|root| Doc::new(file, text, root))
        .collect())
}

/// Parse a stream that must hold exactly one document (values files).
pub fn parse_one(file: &str, text: &str) -> Result<Doc> {
    let mut docs = parse(file, text)?;
    match docs.len() {
        0 => Ok(Doc::new(file, text, null_node(0, 1, 1))),
        1 => Ok(docs.remove(0)),
        n => Err(Error::syntax(
            file,
            text,
            docs[1].root.line,
            1,
            format!("expected one YAML document, found {n}; a values file holds one"),
        )),
    }
}

fn null_node(id: usize, line: usize, column: usize) -> Node {
    Node {
        id,
        src: 0,
        line,
        end_line: line,
        column,
        kind: Kind::Scalar(Scalar {
            value: String::new(),
            plain: true,
        }),
    }
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        anchor: usize,
        entries: Vec<Entry>,
        merges: Vec<Node>,
        key: Option<(String, usize, usize)>,
    },
}

struct Builder<'a> {
    file: &'a str,
    text: &'a str,
    next_id: usize,
    anchors: HashMap<usize, Node>,
}

impl<'a> Builder<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        Builder {
            file,
            text,
            next_id: 0,
            anchors: HashMap::new(),
        }
    }

    fn error(&self, span: Span, message: impl Into<String>) -> Error {
        Error::syntax(
            self.file,
            self.text,
            span.start.line(),
            span.start.col() + 1,
            message,
        )
    }

    fn id(&mut self, span: Span) -> Result<usize> {
        self.next_id += 1;
        if self.next_id > MAX_NODES {
            return Err(self.error(
                span,
                format!("more than {MAX_NODES} YAML nodes (aliases expanded)"),
            ));
        }
        Ok(self.next_id)
    }

    fn run(mut self) -> Result<Vec<Node>> {
        let mut docs = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let mut doc_span: Option<Span> = None;
        for event in Parser::new_from_str(self.text) {
            let (event, span) = event.map_err(|e| {
                Error::syntax(
                    self.file,
                    self.text,
                    e.marker().line(),
                    e.marker().col() + 1,
                    e.info().to_string(),
                )
            })?;
            let done = match event {
                Event::DocumentStart(_) => {
                    doc_span = Some(span);
                    None
                }
                Event::DocumentEnd => {
                    let start = doc_span.unwrap_or(span);
                    let id = self.id(span)?;
                    docs.push(
                        root.take()
                            .unwrap_or_else(|| null_node(id, start.start.line(), 1)),
                    );
                    self.anchors.clear();
                    None
                }
                Event::Scalar(value, style, anchor, _tag) => {
                    let node = self.scalar(value.into_owned(), style, span)?;
                    Some((node, anchor))
                }
                Event::Alias(anchor) => {
                    let Some(target) = self.anchors.get(&anchor).cloned() else {
                        return Err(self.error(span, "alias to an unknown anchor"));
                    };
                    Some((self.renumber(target, span)?, 0))
                }
                Event::SequenceStart(anchor, _) => {
                    self.push(
                        &mut stack,
                        Frame::Seq {
                            start: span,
                            anchor,
                            items: Vec::new(),
                        },
                        span,
                    )?;
                    None
                }
                Event::MappingStart(anchor, _) => {
                    let frame = Frame::Map {
                        start: span,
                        anchor,
                        entries: Vec::new(),
                        merges: Vec::new(),
                        key: None,
                    };
                    self.push(&mut stack, frame, span)?;
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                    Some(frame) => Some(self.close(frame, span)?),
                    None => return Err(self.error(span, "unbalanced collection end")),
                },
                Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            };
            if let Some((node, anchor)) = done {
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                match stack.last_mut() {
                    None => root = Some(node),
                    Some(frame) => self.attach(frame, node)?,
                }
            }
        }
        Ok(docs)
    }

    fn push(&self, stack: &mut Vec<Frame>, frame: Frame, span: Span) -> Result<()> {
        if stack.len() >= MAX_DEPTH {
            return Err(self.error(span, format!("YAML nested deeper than {MAX_DEPTH} levels")));
        }
        stack.push(frame);
        Ok(())
    }

    fn scalar(&mut self, value: String, style: ScalarStyle, span: Span) -> Result<Node> {
        let line = span.start.line();
        let end_line = match style {
            ScalarStyle::Literal if !value.is_empty() => line + value.lines().count().max(1) - 1,
            ScalarStyle::Literal | ScalarStyle::Folded => self.back_off(line, span),
            _ if span.end.col() == 0 && span.end.line() > line => span.end.line() - 1,
            _ => span.end.line(),
        };
        Ok(Node {
            id: self.id(span)?,
            src: 0,
            line,
            end_line: end_line.max(line),
            column: span.start.col() + 1,
            kind: Kind::Scalar(Scalar {
                value,
                plain: style == ScalarStyle::Plain,
            }),
        })
    }

    /// The last line before `span.end` that is not blank or a comment.
    fn back_off(&self, line: usize, span: Span) -> usize {
        let mut end = span.end.line();
        if span.end.col() == 0 {
            end = end.saturating_sub(1);
        }
        let lines: Vec<&str> = self.text.lines().collect();
        while end > line {
            let text = lines.get(end - 1).map(|l| l.trim()).unwrap_or("");
            if text.is_empty() || text.starts_with('#') {
                end -= 1;
            } else {
                break;
            }
        }
        end
    }

    fn attach(&self, frame: &mut Frame, node: Node) -> Result<()> {
        match frame {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                merges,
                key,
                ..
            } => match key.take() {
                None => {
                    let Kind::Scalar(s) = &node.kind else {
                        return Err(Error::syntax(
                            self.file,
                            self.text,
                            node.line,
                            node.column,
                            "a mapping or list used as a key is not supported",
                        ));
                    };
                    *key = Some((s.value.clone(), node.line, node.column));
                }
                Some((k, _, _)) if k == "<<" => merges.push(node),
                Some((k, line, column)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == k) {
                        return Err(Error::syntax(
                            self.file,
                            self.text,
                            line,
                            column,
                            format!(
                                "duplicate key \"{k}\" (first defined on line {}); keep one",
                                first.line
                            ),
                        ));
                    }
                    entries.push(Entry {
                        key: k,
                        line,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }

    fn close(&mut self, frame: Frame, end: Span) -> Result<(Node, usize)> {
        let (start, anchor, kind) = match frame {
            Frame::Seq {
                start,
                anchor,
                items,
            } => (start, anchor, Kind::Seq(items)),
            Frame::Map {
                start,
                anchor,
                mut entries,
                merges,
                key,
            } => {
                if key.is_some() {
                    return Err(self.error(end, "mapping key without a value"));
                }
                for merge in merges {
                    self.merge_into(&mut entries, merge)?;
                }
                (start, anchor, Kind::Map(entries))
            }
        };
        let line = start.start.line();
        let last_child = match &kind {
            Kind::Seq(items) => items.last().map(|n| n.end_line),
            Kind::Map(entries) => entries.iter().map(|e| e.value.end_line).max(),
            Kind::Scalar(_) => None,
        };
        let end_line = last_child.unwrap_or(end.end.line()).max(line);
        let node = Node {
            id: self.id(start)?,
            src: 0,
            line,
            end_line,
            column: start.start.col() + 1,
            kind,
        };
        Ok((node, anchor))
    }

    /// `<<: *base` or `<<: [*a, *b]`: keys not already present are taken from the merged maps.
    fn merge_into(&self, entries: &mut Vec<Entry>, merge: Node) -> Result<()> {
        let sources = match merge.kind {
            Kind::Map(e) => vec![e],
            Kind::Seq(items) => {
                let mut maps = Vec::new();
                for item in items {
                    match item.kind {
                        Kind::Map(e) => maps.push(e),
                        _ => return Err(self.merge_error(item.line, item.column)),
                    }
                }
                maps
            }
            Kind::Scalar(_) => return Err(self.merge_error(merge.line, merge.column)),
        };
        for source in sources {
            for entry in source {
                if !entries.iter().any(|e| e.key == entry.key) {
                    entries.push(entry);
                }
            }
        }
        Ok(())
    }

    fn merge_error(&self, line: usize, column: usize) -> Error {
        Error::syntax(
            self.file,
            self.text,
            line,
            column,
            "a merge key (<<) takes a mapping or a list of mappings",
        )
    }

    /// A copy of an anchored node with fresh ids, counted against the node budget.
    fn renumber(&mut self, mut node: Node, span: Span) -> Result<Node> {
        let mut stack = vec![&mut node];
        while let Some(n) = stack.pop() {
            n.id = self.id(span)?;
            match &mut n.kind {
                Kind::Scalar(_) => {}
                Kind::Seq(items) => stack.extend(items.iter_mut()),
                Kind::Map(entries) => stack.extend(entries.iter_mut().map(|e| &mut e.value)),
            }
        }
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Doc {
        match parse_one("t.yaml", text) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn spans_of_scalars_blocks_and_collections() {
        let d = doc(
            "a:\n  b: |\n    # x\n    y\n\n  # c\n  c: \"q\"\n  d: [1, 2]\nf:\n- x\n- y: 1\n  z: 2\n",
        );
        let a = d.root.entry("a").unwrap();
        assert_eq!((a.line, a.value.end_line), (1, 8));
        let b = d.root.at("a.b").unwrap();
        assert_eq!((b.line, b.end_line), (3, 4));
        assert_eq!(b.as_str(), Some("# x\ny\n"));
        assert_eq!(d.root.at("a.c").unwrap().line, 7);
        assert_eq!(d.root.at("f[1].z").unwrap().line, 12);
        assert_eq!(d.root.get("f").unwrap().end_line, 12);
        assert_eq!(d.lines(7, 8), vec!["  c: \"q\"", "  d: [1, 2]"]);
    }

    #[test]
    fn scalars_keep_quoting_so_types_are_known() {
        let d = doc("a: \"true\"\nb: true\nc: ~\nd:\n");
        assert_eq!(d.root.get("a").unwrap().as_bool(), None);
        assert_eq!(d.root.get("b").unwrap().as_bool(), Some(true));
        assert!(d.root.get("c").unwrap().is_null());
        assert!(d.root.get("d").unwrap().is_null());
    }

    #[test]
    fn anchors_and_merge_keys() {
        let d = doc("base: &B\n  x: 1\n  y: 2\nother:\n  <<: *B\n  y: 3\n");
        let other = d.root.get("other").unwrap();
        assert_eq!(other.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(other.get("y").unwrap().as_str(), Some("3"));
        let ids: Vec<usize> =
            [d.root.at("base.x").unwrap().id, other.get("x").unwrap().id].to_vec();
        assert_ne!(ids[0], ids[1], "alias copies get their own ids");
    }

    #[test]
    fn duplicate_keys_are_errors_naming_both_lines() {
        let err = parse_one("t.yaml", "a: 1\nb: 2\na: 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.yaml:3:1: duplicate key \"a\" (first defined on line 1)"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_have_position_and_snippet() {
        let err = parse_one("v.yaml", "a: 1\nb: [1, 2\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("v.yaml:"), "{err}");
        assert!(err.contains(" | "), "{err}");
        assert!(err.contains('^'), "{err}");
    }

    #[test]
    fn billion_laughs_hits_the_node_budget_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let started = std::time::Instant::now();
        let err = parse_one("bomb.yaml", &text).unwrap_err().to_string();
        assert!(err.contains("YAML nodes"), "{err}");
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse_one("deep.yaml", &text).unwrap_err().to_string();
        assert!(
            err.contains("nested deeper") || err.contains("recursion limit"),
            "{err}"
        );
        assert!(
            err.len() < 2000,
            "the snippet of a huge line is cut: {} bytes",
            err.len()
        );
    }

    #[test]
    fn paths_with_indexes() {
        let d = doc("decode:\n  containers:\n  - args: [a, b]\n");
        assert_eq!(
            d.root.at("decode.containers[0].args[1]").unwrap().as_str(),
            Some("b")
        );
        assert!(d.root.at("decode.containers[1]").is_none());
        assert!(d.root.at("decode.containers[x]").is_none());
    }
}
