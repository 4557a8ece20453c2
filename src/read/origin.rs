//! Provenance: where a value came from, as every later stage cites it.

/// Where a value came from: a file of the guide and a line range, with the lines themselves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// Path relative to the guide root.
    pub file: String,
    pub first: usize,
    pub last: usize,
    pub lines: Vec<String>,
}

impl Origin {
    /// The lines `first..=last` of source `src` (an index into `sources`), numbered and
    /// quoted as the user's file has them; a source not in the list gives no file and no lines.
    pub fn in_source(
        sources: &[crate::read::yaml::Doc],
        src: usize,
        first: usize,
        last: usize,
    ) -> Origin {
        match sources.get(src) {
            Some(d) => {
                let (first, last, lines) = d.quote(first, last);
                Origin {
                    file: d.file.clone(),
                    first,
                    last,
                    lines,
                }
            }
            None => Origin {
                file: String::new(),
                first,
                last,
                lines: Vec::new(),
            },
        }
    }
}
