//! Errors of a conversion, each with the documented exit code it maps to.

use std::fmt;
use std::path::PathBuf;

use crate::diag::Diagnostic;

/// Exit codes of the `convert-guide` binary. Documented in the README; never renumber.
pub mod exit {
    /// Success: files written, or shown with `--dry-run`.
    pub const OK: i32 = 0;
    /// Bad command line: an unknown or malformed flag (clap), or words and option values that
    /// ask for what cannot be done ([`super::Error::Request`]): an unknown harness, profile,
    /// parameter, variant or design, a malformed variation or URL.
    pub const USAGE: i32 = 2;
    /// The input does not exist or holds nothing to convert.
    pub const NOT_FOUND: i32 = 3;
    /// The input exists but cannot be read as a guide (invalid YAML, unreadable env.sh, ...).
    pub const INVALID_INPUT: i32 = 4;
    /// Nothing was written because nobody confirmed (declined, no terminal, file exists).
    pub const NOT_CONFIRMED: i32 = 5;
    /// Writing the output failed.
    pub const WRITE_FAILED: i32 = 6;
    /// Network: a remote guide could not be fetched (DNS, connection, timeout, HTTP 5xx,
    /// rate limit, redirect loop), or `--offline` and it is not cached.
    pub const NETWORK: i32 = 7;
    /// `check-experiment` found errors in the experiment.
    pub const CHECK_FAILED: i32 = 8;
    /// `--all`: some guide variants failed (the others were converted and written).
    pub const SOME_FAILED: i32 = 9;
}

/// A position in a source file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: no such file or folder\n  hint: check the path; a guide is a folder holding ms-*/values.yaml or a values file", path.display())]
    NotFound { path: PathBuf },

    #[error("{}: no guide values found\n  looked for: {looked_for}\n  hint: point at a guide folder (such as guides/inference-scheduling) or at a values file", path.display())]
    NoValues { path: PathBuf, looked_for: String },

    #[error("{location}: {message}\n{snippet}")]
    Syntax {
        location: Location,
        message: String,
        /// The offending lines with a marker under the column, ready to print.
        snippet: String,
    },

    /// What the command line asks for cannot be done as asked: a malformed `varying` phrase or
    /// `--vary`, an unknown harness, profile, parameter, variant or design, a bad option value
    /// or URL. The only kind with exit 2; the diagnostic's code says which part was wrong.
    /// Problems in files (a guide, a treatments list, a checkout) are other kinds.
    #[error("{}", .0.plain())]
    Request(Box<Diagnostic>),

    /// The input exists but is not a usable guide, without one file and place to blame: a
    /// kustomize cycle, a helmfile rendering invalid YAML, a limit on files or nesting.
    #[error("{0}")]
    Invalid(String),

    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{0}")]
    NotConfirmed(String),

    #[error("{0}")]
    Batch(String),

    /// A remote guide, file or folder that the server says does not exist (HTTP 404).
    #[error("{url}: {what} not found (HTTP 404)\n  hint: {hint}")]
    RemoteNotFound {
        url: String,
        what: String,
        hint: String,
    },

    /// A remote guide that could not be fetched.
    #[error("{url}: {message}\n  hint: {hint}")]
    Network {
        url: String,
        message: String,
        hint: String,
    },
    /// `check-experiment` found errors (they were printed; this is the summary).
    #[error("{0}")]
    CheckFailed(String),
}

impl Error {
    /// The process exit code for this error (see [`exit`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::NotFound { .. } | Error::NoValues { .. } | Error::RemoteNotFound { .. } => {
                exit::NOT_FOUND
            }
            Error::Network { .. } => exit::NETWORK,
            Error::Syntax { .. } | Error::Read { .. } | Error::Invalid(_) => exit::INVALID_INPUT,
            Error::Request(_) => exit::USAGE,
            Error::Write { .. } => exit::WRITE_FAILED,
            Error::NotConfirmed(_) => exit::NOT_CONFIRMED,
            Error::Batch(_) => exit::SOME_FAILED,
            Error::CheckFailed(_) => exit::CHECK_FAILED,
        }
    }

    /// A [`Error::Request`]: `code` names the part of the request that was wrong (`phrase`,
    /// `variation`, `catalog`, `variant`, `design`, `option`, `url`, `workload`, `experiment`).
    pub fn request(code: &'static str, message: impl Into<String>) -> Error {
        Error::Request(Box::new(Diagnostic::error(code, message)))
    }

    /// A [`Error::Request`] with a hint, shown on its own line after the message.
    pub fn request_hint(
        code: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Error {
        Error::Request(Box::new(Diagnostic::error(code, message).hint(hint)))
    }

    /// A syntax error at `line`/`column` (1-based) of `text`, with the offending line quoted.
    pub fn syntax(
        file: &str,
        text: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Error {
        Error::Syntax {
            location: Location {
                file: file.to_string(),
                line,
                column,
            },
            message: message.into(),
            snippet: snippet(text, line, column),
        }
    }
}

/// Render the line before, the offending line and a caret under `column`, rustc style.
/// Control characters are shown escaped so hostile input cannot drive the terminal.
pub fn snippet(text: &str, line: usize, column: usize) -> String {
    if line == 0 {
        return String::new();
    }
    // Only the two lines shown are kept: a file of a million lines costs no more.
    let mut lines: Vec<&str> = Vec::with_capacity(2);
    let mut count = 0;
    for l in text.lines() {
        count += 1;
        lines.push(l);
        if lines.len() > 2 {
            lines.remove(0);
        }
        if count >= line {
            break;
        }
    }
    let Some(last) = lines.last() else {
        return String::new();
    };
    // Errors at end of input point past the last line: show the last line instead.
    let (line, column) = if line > count {
        (count, last.chars().count() + 1)
    } else {
        (line, column)
    };
    // `lines` holds line `line` last, and line `line - 1` before it when there is one.
    let first = line + 1 - lines.len();
    let width = line.to_string().len();
    // Long lines are shown as a window around the column.
    let skip = column.saturating_sub(60);
    let window = |s: &str| -> String {
        let mut shown: String = s.chars().skip(skip).take(120).collect();
        if skip > 0 {
            shown.insert(0, '…');
        }
        if s.chars().count() > skip + 120 {
            shown.push('…');
        }
        printable(&shown)
    };
    let mut out = String::new();
    for (n, l) in (first..).zip(&lines) {
        out.push_str(&format!("{n:>width$} | {}\n", window(l)));
    }
    let marker_col = column.saturating_sub(1) - skip + usize::from(skip > 0);
    let pad: String = window(last)
        .chars()
        .take(marker_col)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    out.push_str(&format!("{:>width$} | {pad}^", ""));
    out
}

/// Characters that make text show other than it is: control characters (tab and line feed
/// aside), bidirectional formatting (embeddings, overrides, isolates, marks), line and
/// paragraph separators (line breaks to YAML 1.1 readers and to editors, but not to bash),
/// and the byte order mark. Generated files never hold them raw.
pub fn is_deceptive(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `s` quoted for a message (`"..."`, escapes as Rust writes them), at most `max`
/// characters of it: messages name a value without repeating a huge one.
pub fn excerpt(s: &str, max: usize) -> String {
    let quoted = match s.char_indices().nth(max) {
        Some((at, _)) => format!("{:?}…", &s[..at]),
        None => format!("{s:?}"),
    };
    printable(&quoted)
}

/// Replace control characters (other than tab) and the other [`is_deceptive`] characters by
/// visible escapes, so hostile text can neither drive the terminal nor reorder a line.
pub fn printable(s: &str) -> String {
    let special = |c: char| c == '\n' || is_deceptive(c);
    if !s.chars().any(special) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if special(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
