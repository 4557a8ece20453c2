//! Errors of a conversion, each with the documented exit code it maps to.

use std::fmt;
use std::path::PathBuf;

/// Exit codes of the `convert-guide` binary. Documented in the README; never renumber.
pub mod exit {
    /// Success: files written, or shown with `--dry-run`.
    pub const OK: i32 = 0;
    /// Bad command line: unknown flag, harness, profile or parameter, malformed variation.
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

    #[error("{0}")]
    Usage(String),

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
            Error::Syntax { .. } | Error::Read { .. } => exit::INVALID_INPUT,
            Error::Usage(_) => exit::USAGE,
            Error::Write { .. } => exit::WRITE_FAILED,
            Error::NotConfirmed(_) => exit::NOT_CONFIRMED,
            Error::Batch(_) => exit::SOME_FAILED,
            Error::CheckFailed(_) => exit::CHECK_FAILED,
        }
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
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() || line == 0 {
        return String::new();
    }
    // Errors at end of input point past the last line: show the last line instead.
    let (line, column) = if line > lines.len() {
        (lines.len(), lines[lines.len() - 1].chars().count() + 1)
    } else {
        (line, column)
    };
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
    for n in line.saturating_sub(1).max(1)..=line {
        out.push_str(&format!("{n:>width$} | {}\n", window(lines[n - 1])));
    }
    let marker_col = column.saturating_sub(1) - skip + usize::from(skip > 0);
    let pad: String = window(lines[line - 1])
        .chars()
        .take(marker_col)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    out.push_str(&format!("{:>width$} | {pad}^", ""));
    out
}

/// Replace control characters (other than tab) by visible escapes.
pub fn printable(s: &str) -> String {
    let special = |c: char| {
        (c.is_control() && c != '\t')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !s.chars().any(special) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            // Bidirectional overrides can reorder what the terminal shows: escape them too.
            if (c.is_control() && c != '\t')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
            {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
