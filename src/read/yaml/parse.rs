//! Reading: saphyr-parser events built into a tree, iteratively and within budgets.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::node::{line_starts, slice_lines};
use super::*;
use crate::error::{Error, Result};

/// Parse every document of a YAML stream (at most [`MAX_DOCUMENTS`]). An empty stream
/// gives no document.
pub fn parse(file: &str, text: &str) -> Result<Vec<Doc>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_text(file, text)?;
    let roots = Builder::new(file, text).run(MAX_DOCUMENTS)?;
    Ok(roots
        .into_iter()
        .map(|root| Doc::new(file, text, root))
        .collect())
}

/// Parse a stream that must hold exactly one document. Parsing stops where a second
/// document starts. A duplicate key is an error: for files Helm does not read (kustomize
/// resources, helmfiles, experiments), and for the files this tool writes.
pub fn parse_one(file: &str, text: &str) -> Result<Doc> {
    parse_single(file, text, false)
}

/// Parse a Helm values file as Helm does: like [`parse_one`], but a key given twice in one
/// mapping keeps its last value, and the earlier one is listed in [`Doc::duplicates`].
pub fn parse_values(file: &str, text: &str) -> Result<Doc> {
    parse_single(file, text, true)
}

fn parse_single(file: &str, text: &str, helm: bool) -> Result<Doc> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_text(file, text)?;
    let mut builder = Builder::new(file, text);
    builder.helm = helm;
    let mut roots = builder.run(1)?;
    let duplicates = std::mem::take(&mut builder.duplicates);
    let root = roots.pop().unwrap_or_else(|| null_node(0, 1, 1));
    let mut doc = Doc::new(file, text, root);
    doc.duplicates = duplicates;
    Ok(doc)
}

/// YAML text is printable: control characters (but tab and line breaks) are an error with
/// their position, and so is a carriage return without a line feed (old Mac line endings,
/// which YAML and the line numbers shown here would read differently). A NUL usually means
/// a binary file.
fn check_text(file: &str, text: &str) -> Result<()> {
    // Fast path over bytes: C0 controls and DEL are single bytes, C1 controls start 0xC2.
    let bytes = text.as_bytes();
    let suspect = bytes.iter().enumerate().any(|(i, &b)| {
        (b < 0x20 && b != b'\t' && b != b'\n' && !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')))
            || b == 0x7f
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
    });
    if !suspect {
        return Ok(());
    }
    let (mut line, mut column) = (1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let problem = match c {
            '\n' => {
                line += 1;
                column = 1;
                continue;
            }
            '\r' if chars.peek() != Some(&'\n') => Some(
                "a carriage return without a line feed (old Mac line endings); save the file with LF or CRLF line endings".to_string(),
            ),
            '\0' => Some(
                "a NUL character: this looks like a binary file, not YAML text".to_string(),
            ),
            c if c.is_control() && !matches!(c, '\t' | '\r') => Some(format!(
                "control character U+{:04X} in the text; YAML files hold printable text (in a double-quoted string, write it as \\u{:04X})",
                c as u32, c as u32
            )),
            _ => None,
        };
        if let Some(message) = problem {
            return Err(Error::syntax(file, text, line, column, message));
        }
        column += 1;
    }
    Ok(())
}

/// The dotted path of `key` in the mapping being built on top of `stack`: each enclosing
/// mapping's pending key, each enclosing list's next index.
fn path_of(stack: &[Frame], key: &str) -> String {
    let mut path = String::new();
    let parents = stack.len().saturating_sub(1);
    for frame in &stack[..parents] {
        match frame {
            Frame::Map { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&k.0);
            }
            Frame::Map { key: None, .. } => {}
            Frame::Seq { items, .. } => path.push_str(&format!("[{}]", items.len())),
        }
    }
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    path
}

/// Standard base64 (RFC 4648, `=` padding optional), whitespace and line breaks ignored, as
/// YAML's `!!binary` writes it. `None` when the text is not base64.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits, mut padding) = (0u32, 0u32, 0usize);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            '=' => {
                padding += 1;
                continue;
            }
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero padding of a whole number of characters (2 or 3 of 4).
    (padding <= 2 && bits < 6 && acc == 0).then_some(out)
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
        /// Each key's line, so duplicates are found without a scan.
        seen: HashMap<String, usize>,
        merges: Vec<Node>,
        key: Option<(String, usize, usize)>,
    },
}

struct Builder<'a> {
    file: &'a str,
    text: &'a str,
    /// Byte offset of each line, so looking at a line costs nothing (block scalars do).
    line_starts: Vec<usize>,
    next_id: usize,
    /// Anchored nodes with their size in nodes and in bytes of text, so an alias is priced
    /// before it is copied.
    anchors: HashMap<usize, (Node, usize, usize)>,
    /// Bytes of text aliases have copied so far.
    alias_bytes: usize,
    /// Read as Helm reads values: duplicate keys keep the last value (else they are errors).
    helm: bool,
    /// The duplicate keys found, in Helm mode.
    duplicates: Vec<Duplicate>,
}

impl<'a> Builder<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        Builder {
            file,
            text,
            line_starts: line_starts(text),
            next_id: 0,
            anchors: HashMap::new(),
            alias_bytes: 0,
            helm: false,
            duplicates: Vec::new(),
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

    /// The documents of the stream; more than `max_docs` is an error at the first extra one.
    // Over 80 lines on purpose: the one loop over parser events (one arm per event kind)
    // that keeps the builder iterative; its stack of frames is local to it.
    fn run(&mut self, max_docs: usize) -> Result<Vec<Node>> {
        let mut docs = Vec::new();
        let mut started = 0;
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let mut doc_span: Option<Span> = None;
        for event in Parser::new_from_str(self.text) {
            let (event, span) = event.map_err(|e| {
                let mut message = e.info().to_string();
                if message.contains("tab") {
                    message.push_str("; YAML indents with spaces only: replace the tab");
                } else if message.contains("recursion limit") {
                    // saphyr-parser's own bound on flow collections (`[[[...`, `{a: {a: ...`).
                    message = "flow collections ([...] or {...}) nested too deeply".to_string();
                }
                Error::syntax(
                    self.file,
                    self.text,
                    e.marker().line(),
                    e.marker().col() + 1,
                    message,
                )
            })?;
            let done = match event {
                Event::DocumentStart(_) => {
                    started += 1;
                    if started > max_docs {
                        return Err(self.error(
                            span,
                            if max_docs == 1 {
                                "a second YAML document starts here; a values file holds one"
                                    .to_string()
                            } else {
                                format!("more than {max_docs} YAML documents in one file")
                            },
                        ));
                    }
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
                Event::Scalar(value, style, anchor, tag) => {
                    let node = self.scalar(value.into_owned(), style, tag.as_deref(), span)?;
                    Some((node, anchor))
                }
                Event::Alias(anchor) => {
                    let Some((target, size, bytes)) = self.anchors.get(&anchor) else {
                        return Err(self.error(span, "alias to an unknown anchor"));
                    };
                    if self.alias_bytes.saturating_add(*bytes) > MAX_ALIAS_BYTES {
                        return Err(self.error(
                            span,
                            format!(
                                "aliases copy more than {MAX_ALIAS_BYTES} bytes of text; a guide needs far fewer (an alias bomb?)"
                            ),
                        ));
                    }
                    self.alias_bytes += *bytes;
                    // Priced before copying: a "billion laughs" file stops here, cheaply.
                    if self.next_id.saturating_add(*size) > MAX_NODES {
                        return Err(self.error(
                            span,
                            format!(
                                "aliases expand to more than {MAX_NODES} YAML nodes; a guide needs far fewer (an alias bomb?)"
                            ),
                        ));
                    }
                    let target = target.clone();
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
                        seen: HashMap::new(),
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
                    let (mut size, mut bytes) = (0, 0);
                    node.walk(|n| {
                        size += 1;
                        bytes += match &n.kind {
                            Kind::Scalar(s) => s.value.len(),
                            Kind::Map(entries) => entries.iter().map(|e| e.key.len()).sum(),
                            Kind::Seq(_) => 0,
                        };
                    });
                    self.anchors.insert(anchor, (node.clone(), size, bytes));
                }
                match stack.last_mut() {
                    None => root = Some(node),
                    Some(frame) => {
                        if let Some((dropped, kept)) = self.attach(frame, node)? {
                            let path = path_of(&stack, &kept.key);
                            self.duplicates.push(Duplicate {
                                path,
                                dropped,
                                kept,
                            });
                        }
                    }
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

    fn scalar(
        &mut self,
        value: String,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<Node> {
        let line = span.start.line();
        let core = |name: &str| tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == name);
        // `!!str` makes a plain scalar a string; `!!binary` holds base64 that Helm decodes.
        let (mut value, plain) = if core("binary") {
            (self.binary(&value, span)?, false)
        } else {
            (value, style == ScalarStyle::Plain && !core("str"))
        };
        // Helm holds `no`, `On`, `y`... as booleans and renders them `false`, `true`.
        if let Some(b) = yaml11_bool(&value).filter(|_| self.helm && plain) {
            value = b.to_string();
        }
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
            kind: Kind::Scalar(Scalar { value, plain }),
        })
    }

    /// A `!!binary` scalar's bytes, which must be text: a values file's binary data would
    /// reach the scenario as text it does not hold.
    fn binary(&self, base64: &str, span: Span) -> Result<String> {
        let bytes = decode_base64(base64).ok_or_else(|| {
            self.error(
                span,
                "a !!binary value that is not valid base64; fix the data or write the value as text",
            )
        })?;
        String::from_utf8(bytes).map_err(|_| {
            self.error(
                span,
                "a !!binary value whose bytes are not UTF-8 text: a scenario can only carry text; write the value as text (or mount the data from a Secret or ConfigMap)",
            )
        })
    }

    /// The last line before `span.end` that is not blank or a comment.
    fn back_off(&self, line: usize, span: Span) -> usize {
        let mut end = span.end.line();
        if span.end.col() == 0 {
            end = end.saturating_sub(1);
        }
        while end > line {
            let text = slice_lines(self.text, &self.line_starts, end, end)
                .first()
                .map(|l| l.trim())
                .unwrap_or("");
            if text.is_empty() || text.starts_with('#') {
                end -= 1;
            } else {
                break;
            }
        }
        end
    }

    /// Add a finished node to its parent. In Helm mode, a duplicate key replaces the earlier
    /// entry: the dropped and the kept entries are returned.
    fn attach(&self, frame: &mut Frame, node: Node) -> Result<Option<(Entry, Entry)>> {
        match frame {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                seen,
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
                    if self.helm && seen.contains_key(&k) {
                        let kept = Entry {
                            key: k,
                            line,
                            value: node,
                        };
                        let Some(old) = entries.iter_mut().find(|e| e.key == kept.key) else {
                            return Ok(None);
                        };
                        let dropped = std::mem::replace(old, kept.clone());
                        return Ok(Some((dropped, kept)));
                    }
                    if let Some(first) = seen.get(&k) {
                        return Err(Error::syntax(
                            self.file,
                            self.text,
                            line,
                            column,
                            format!(
                                "duplicate key \"{}\" (first defined on line {first}); keep one",
                                crate::error::printable(&k)
                            ),
                        ));
                    }
                    if seen.len() >= MAX_KEYS {
                        return Err(Error::syntax(
                            self.file,
                            self.text,
                            line,
                            column,
                            format!("more than {MAX_KEYS} keys in one mapping"),
                        ));
                    }
                    seen.insert(k.clone(), line);
                    entries.push(Entry {
                        key: k,
                        line,
                        value: node,
                    });
                }
            },
        }
        Ok(None)
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
                ..
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
        let mut present: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
        for source in sources {
            for entry in source {
                if present.insert(entry.key.clone()) {
                    if present.len() > MAX_KEYS {
                        return Err(Error::syntax(
                            self.file,
                            self.text,
                            entry.line,
                            1,
                            format!("more than {MAX_KEYS} keys in one mapping (merges included)"),
                        ));
                    }
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
