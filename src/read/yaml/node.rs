//! The tree: documents, nodes with their lines, scalars with their quoting.

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
    /// Keys given twice in one mapping, read with [`super::parse_values`]: the earlier value, which
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

pub(super) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|i| *i < text.len()),
        )
        .collect()
}

/// Lines `first..=last` (1-based) of `text`, without their line endings.
pub(super) fn slice_lines<'t>(
    text: &'t str,
    starts: &[usize],
    first: usize,
    last: usize,
) -> Vec<&'t str> {
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

/// A value replaced by a later source (a later values file, a patch), for the scenario's
/// notes.
#[derive(Debug, Clone)]
pub struct Overridden {
    /// Dotted path of the replaced value.
    pub path: String,
    /// The replaced node and the line of its key.
    pub node: Node,
    pub key_line: Option<usize>,
    /// The node that replaced it.
    pub by: Node,
}
