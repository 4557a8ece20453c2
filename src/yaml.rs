//! A YAML tree with spans, built from saphyr-parser events: every node knows its lines.
//!
//! The builder is iterative (no recursion on input depth), expands aliases within a node
//! budget, applies merge keys (`<<`), and refuses duplicate keys, so a hostile file fails
//! fast with a position instead of exhausting the stack or memory. Helm values files are
//! read as Helm reads them ([`parse_values`]): a duplicate key is kept last and the earlier
//! one recorded, YAML 1.1 booleans are booleans ([`Node::as_bool`]), and `!!binary` scalars
//! are decoded (or refused when they do not hold text).

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::error::{Error, Result};

/// Deepest nesting accepted; deeper input is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 512;
/// Most nodes one file may produce, aliases expanded. A corpus values file has about a
/// thousand; the budget keeps a hostile file's tree to a few megabytes.
pub const MAX_NODES: usize = 100_000;
/// Most text (scalars and keys) aliases may copy, in bytes: a node count alone lets a few
/// aliases of one long string fill memory.
pub const MAX_ALIAS_BYTES: usize = 16 * 1024 * 1024;
/// Most keys one mapping may hold (guides have tens): later stages look keys up by name.
pub const MAX_KEYS: usize = 10_000;
/// Most documents one stream may hold.
pub const MAX_DOCUMENTS: usize = 10_000;

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
    /// Keys given twice in one mapping, read with [`parse_values`]: the earlier value, which
    /// Helm drops silently, and the later one, which it keeps.
    pub duplicates: Vec<Duplicate>,
}

/// A key a values file gives twice in one mapping: Helm keeps the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    /// Dotted path of the key (`decode.replicas`, `decode.containers[0].args`).
    pub path: String,
    /// The dropped entry (its key line and value) and the one kept.
    pub dropped: Entry,
    pub kept: Entry,
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

    /// A plain scalar's boolean as Helm reads values (its YAML decoder keeps YAML 1.1's
    /// spellings): `true`, `yes`, `y`, `on` and `false`, `no`, `n`, `off`, each in lower case,
    /// capitalized or upper case (`yes`, `Yes`, `YES`; not `yEs`, which stays a string).
    pub fn as_bool(&self) -> Option<bool> {
        let s = self.as_scalar()?;
        if !s.plain {
            return None;
        }
        yaml11_bool(&s.value)
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

/// YAML 1.1 boolean spellings, as Helm's decoder (go-yaml v2, through sigs.k8s.io/yaml)
/// resolves plain scalars.
const YAML11_TRUE: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const YAML11_FALSE: &[&str] = &[
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];

/// The boolean a plain scalar spells for Helm, if any.
pub fn yaml11_bool(s: &str) -> Option<bool> {
    if YAML11_TRUE.contains(&s) {
        Some(true)
    } else if YAML11_FALSE.contains(&s) {
        Some(false)
    } else {
        None
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
            duplicates: Vec::new(),
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
        && !s
            .chars()
            .any(|c| c.is_control() || crate::error::is_deceptive(c))
}

/// A YAML double-quoted scalar that reads back as exactly `s`: quotes, backslashes, line
/// breaks, control characters and byte-order marks escaped, and so are bidirectional and
/// separator characters, so a file a scenario writes shows what it holds and YAML 1.1
/// readers (PyYAML) see no extra line breaks.
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
            c if crate::error::is_deceptive(c) => {
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
    Ok(Doc {
        duplicates,
        ..Doc::new(file, text, root)
    })
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
fn decode_base64(text: &str) -> Option<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's CPU time since `now()`: the work a test bounds, whatever else the
    /// machine is doing (wall time moves with the load; these bounds must not).
    struct CpuClock(std::time::Duration);

    impl CpuClock {
        fn now() -> Self {
            CpuClock(thread_cpu())
        }
        fn elapsed(&self) -> std::time::Duration {
            thread_cpu().saturating_sub(self.0)
        }
    }

    fn thread_cpu() -> std::time::Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant of libc.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

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
    fn helm_values_keep_the_last_duplicate_and_record_the_first() {
        let text = "a: 1\nd:\n  l:\n  - x: 1\n    x: 2\n  m: {k: 1}\n  m:\n    j: 2\na: 3\n";
        let d = match parse_values("t.yaml", text) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(d.root.get("a").and_then(Node::as_str), Some("3"));
        assert_eq!(d.root.entry("a").map(|e| e.line), Some(9));
        assert_eq!(d.root.at("d.l[0].x").and_then(Node::as_str), Some("2"));
        // A mapping given twice is replaced whole, not merged (as Helm's decoder does).
        assert!(d.root.at("d.m.k").is_none());
        assert_eq!(d.root.at("d.m.j").and_then(Node::as_str), Some("2"));
        let seen: Vec<(&str, usize, usize)> = d
            .duplicates
            .iter()
            .map(|x| (x.path.as_str(), x.dropped.line, x.kept.line))
            .collect();
        assert_eq!(
            seen,
            [("d.l[0].x", 4, 5), ("d.m", 6, 7), ("a", 1, 9)],
            "paths and both lines"
        );
        // Keys stay in the order of their first appearance, one entry each.
        let keys: Vec<&str> = d
            .root
            .as_map()
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["a", "d"]);
        let d = parse_values("t.yaml", "a: no\nb: On\nc: 'off'\nd: yEs\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let texts: Vec<Option<&str>> = ["a", "b", "c", "d"]
            .iter()
            .map(|k| d.root.get(k).and_then(Node::as_str))
            .collect();
        assert_eq!(
            texts,
            [Some("false"), Some("true"), Some("off"), Some("yEs")],
            "values hold what Helm renders"
        );
        // The same text read as any other YAML still refuses the duplicate.
        assert!(error_of(text).contains("duplicate key \"x\""));
    }

    #[test]
    fn yaml11_booleans_as_helm_reads_them() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        ] {
            assert_eq!(
                doc(&format!("a: {t}\n"))
                    .root
                    .get("a")
                    .and_then(Node::as_bool),
                Some(true),
                "{t}"
            );
        }
        for f in [
            "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        ] {
            assert_eq!(
                doc(&format!("a: {f}\n"))
                    .root
                    .get("a")
                    .and_then(Node::as_bool),
                Some(false),
                "{f}"
            );
        }
        // Mixed case, quoted or tagged as strings: strings, as for Helm.
        for s in ["yEs", "oN", "\"yes\"", "'off'", "!!str on", "1", "enabled"] {
            assert_eq!(
                doc(&format!("a: {s}\n"))
                    .root
                    .get("a")
                    .and_then(Node::as_bool),
                None,
                "{s}"
            );
        }
    }

    #[test]
    fn binary_scalars_are_decoded_or_refused() {
        let d = doc("a: !!binary aGVsbG8gd29ybGQ=\nb: !!binary |\n  aGVs\n  bG8\n");
        assert_eq!(d.root.get("a").and_then(Node::as_str), Some("hello world"));
        assert_eq!(d.root.get("b").and_then(Node::as_str), Some("hello"));
        assert!(
            !d.root
                .get("a")
                .and_then(Node::as_scalar)
                .is_some_and(|s| s.plain)
        );
        let err = error_of("a: 1\nb: !!binary /w==\n");
        assert!(
            err.starts_with("t.yaml:2:4: a !!binary value whose bytes are not UTF-8 text"),
            "{err}"
        );
        let err = error_of("b: !!binary not*base64\n");
        assert!(err.contains("not valid base64"), "{err}");
        assert_eq!(decode_base64("QQ"), Some(b"A".to_vec()));
        assert_eq!(decode_base64("QUI="), Some(b"AB".to_vec()));
        assert_eq!(decode_base64("Q"), None);
        assert_eq!(decode_base64("QQ=A"), None);
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
        let started = CpuClock::now();
        let err = parse_one("bomb.yaml", &text).unwrap_err().to_string();
        assert!(err.contains("aliases expand to more than"), "{err}");
        assert!(
            started.elapsed().as_millis() < 1000,
            "{:?}",
            started.elapsed()
        );
        // The same with mappings, and with merge keys.
        let mut text = String::from("a0: &a0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x}\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!("a{i}: &a{i} {{a: *a{p}, b: *a{p}, c: *a{p}, d: *a{p}, e: *a{p}, f: *a{p}, g: *a{p}, h: *a{p}}}\n"));
        }
        assert!(error_of(&text).contains("aliases expand to more than"));
        // Few nodes, long text: priced in bytes too.
        let long = format!(
            "a: &a \"{}\"\n{}",
            "x".repeat(1 << 20),
            (0..17).map(|i| format!("r{i}: *a\n")).collect::<String>()
        );
        assert!(error_of(&long).contains("aliases copy more than"));
    }

    fn error_of(text: &str) -> String {
        match parse_one("t.yaml", text) {
            Ok(d) => panic!("{text:?} parsed: {:?}", d.root),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn tabs_in_indentation_say_what_to_do() {
        let err = error_of("a:\n\tb: 1\n");
        assert!(err.starts_with("t.yaml:2:"), "{err}");
        assert!(err.contains("replace the tab"), "{err}");
    }

    #[test]
    fn control_characters_and_binary_are_refused_with_their_place() {
        let err = error_of("a: 1\nb: x\u{1b}[31m\n");
        assert!(
            err.starts_with("t.yaml:2:5: control character U+001B"),
            "{err}"
        );
        // The snippet shows the character escaped, never raw.
        assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{err}");
        let err = error_of("a: 1\n\0\0\u{1}PNG");
        assert!(
            err.contains("t.yaml:2:1: a NUL character: this looks like a binary file"),
            "{err}"
        );
        for c in ['\u{7f}', '\u{85}', '\u{9b}', '\u{8}'] {
            let err = error_of(&format!("a: {c}\n"));
            assert!(err.contains("control character U+"), "{c:?}: {err}");
        }
        // Escaped in a double-quoted string, a control character is a value like any other.
        let d = doc("a: \"\\e\\x01\"\n");
        assert_eq!(d.root.get("a").and_then(Node::as_str), Some("\u{1b}\u{1}"));
    }

    #[test]
    fn line_endings_crlf_like_lf_lone_cr_refused() {
        let lf = doc("a: x\nb: |\n  l1\n  l2\nc: 3\n");
        let crlf = doc("a: x\r\nb: |\r\n  l1\r\n  l2\r\nc: 3\r\n");
        assert_eq!(lf.root, crlf.root);
        assert_eq!(crlf.lines(2, 3), vec!["b: |", "  l1"]);
        let err = error_of("a: 1\rb: 2\r");
        assert!(
            err.starts_with("t.yaml:1:5: a carriage return without a line feed"),
            "{err}"
        );
    }

    #[test]
    fn byte_order_marks() {
        let d = doc("\u{feff}a: 1\n");
        assert_eq!(d.root.get("a").map(|n| n.line), Some(1));
        assert_eq!(d.lines(1, 1), vec!["a: 1"]);
        let err = error_of("a: 1\n\u{feff}b: 2\n");
        assert!(
            err.contains("t.yaml:2:1: a byte order mark must not appear inside a document"),
            "{err}"
        );
    }

    #[test]
    fn documents_are_counted() {
        let err = error_of("a: 1\n---\nb: 2\n");
        assert!(
            err.starts_with("t.yaml:2:1: a second YAML document starts here"),
            "{err}"
        );
        // A stream of a million documents stops at the second.
        let many = "---\n".repeat(1_000_000);
        let started = CpuClock::now();
        assert!(error_of(&many).contains("a second YAML document"));
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        let err = match parse("t.yaml", &"---\na: 1\n".repeat(MAX_DOCUMENTS + 1)) {
            Ok(_) => panic!("parsed"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(&format!("more than {MAX_DOCUMENTS} YAML documents")),
            "{err}"
        );
        assert_eq!(
            parse("t.yaml", &"---\na: 1\n".repeat(3))
                .map(|d| d.len())
                .ok(),
            Some(3)
        );
    }

    #[test]
    fn wide_mappings_are_fast_and_bounded() {
        // Duplicate keys are found by hash, not by scanning: MAX_KEYS keys parse at once.
        let wide: String = (0..MAX_KEYS).map(|i| format!("k{i}: {i}\n")).collect();
        let started = CpuClock::now();
        let d = doc(&wide);
        assert_eq!(d.root.as_map().map(<[Entry]>::len), Some(MAX_KEYS));
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        let wider = format!("{wide}k{MAX_KEYS}: x\n");
        assert!(error_of(&wider).contains(&format!("more than {MAX_KEYS} keys in one mapping")));
        let dup = format!("{wide}k17: again\n");
        let err = error_of(&dup);
        assert!(
            err.contains(&format!(
                "t.yaml:{}:1: duplicate key \"k17\" (first defined on line 18)",
                MAX_KEYS + 1
            )),
            "{err}"
        );
    }

    #[test]
    fn wide_sequences_hit_the_node_budget() {
        let text = format!("a: [{}]\n", vec!["x"; MAX_NODES + 1].join(","));
        assert!(error_of(&text).contains(&format!("more than {MAX_NODES} YAML nodes")));
    }

    #[test]
    fn every_kind_of_deep_nesting_is_an_error() {
        let n = 10_000;
        let cases = [
            "[".repeat(n) + &"]".repeat(n),
            "{a: ".repeat(n) + "x" + &"}".repeat(n),
            "- ".repeat(n) + "x\n",
            // Block mappings by indentation: 2,000 levels are already 2 MB of spaces.
            (0..2_000)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>(),
        ];
        for text in cases {
            let started = CpuClock::now();
            let err = error_of(&text);
            assert!(
                err.contains("nested deeper than 512 levels")
                    || err.contains("flow collections ([...] or {...}) nested too deeply"),
                "{}",
                &err[..err.len().min(300)]
            );
            assert!(err.len() < 2000, "the snippet of a huge line is cut");
            assert!(
                started.elapsed().as_millis() < 1000,
                "{:?}: {:?}",
                &text[..20],
                started.elapsed()
            );
        }
        // Just inside the limit is fine.
        let ok = "- ".repeat(MAX_DEPTH) + "x\n";
        assert!(parse_one("t.yaml", &ok).is_ok());
        assert!(error_of(&("- ".repeat(MAX_DEPTH + 1) + "x\n")).contains("nested deeper"));
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
