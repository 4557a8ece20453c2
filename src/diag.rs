//! Diagnostics as values: what went wrong or deserves a look, where, how bad, and what to do.
//!
//! [`Diagnostic`] is the one shape every stage should report in (issue 14: severity, stable
//! code, message, span, hint), rendered in one place ([`fmt::Display`]). [`Finding`] and
//! [`Severity`] are `check-experiment`'s findings, moved here from `experiment::check` (which
//! re-exports them) so that `experiment::model` no longer imports back from the checker; a
//! finding converts into a diagnostic without loss.
//!
//! Codes in use. Errors ([`crate::error::Error::Request`], exit 2): `phrase`, `variation`,
//! `catalog`, `variant`, `design`, `option`, `url`, `workload`, `experiment`. Warnings:
//! `template-not-run`, `helmfile-chart`, `recipe-shell`, `recipe-unexported`,
//! `recipe-helm`, `recipe-kustomize`, `recipe-overlay`, `recipe-layout`, `recipe-router`,
//! `kustomize-no-base`, `gaie-values`, `guide-unused-files`; `kustomize` and `conversion`
//! wrap the text of stages that do not give diagnostics yet (the kustomize reader, the
//! mapping, the writers, experiment notes). Codes are not shown to users yet: errors and
//! warnings print as `error: ` / `warning: ` then [`Diagnostic::plain`].

use std::fmt;

/// How bad a finding is. Errors fail the check (exit 8); warnings and notes do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// One finding: `file:line: severity: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    pub fn new(file: &str, line: usize, severity: Severity, message: String) -> Finding {
        Finding {
            file: file.to_string(),
            line,
            severity,
            message,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file,
            self.line,
            self.severity,
            crate::error::printable(&self.message)
        )
    }
}

/// A place in a file: 1-based line, and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub file: String,
    pub line: usize,
    pub column: Option<usize>,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{}:{}:{c}", self.file, self.line),
            None => write!(f, "{}:{}", self.file, self.line),
        }
    }
}

/// One diagnostic: `file:line[:column]: severity[code]: message`, then `  hint: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable identifier (`"experiment"` for check-experiment findings until they have
    /// their own codes); shown in brackets when not empty.
    pub code: &'static str,
    pub message: String,
    /// Where; `None` for what is about no place in particular.
    pub span: Option<Span>,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span: None,
            hint: None,
        }
    }

    /// An error diagnostic with no place yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }

    /// A warning with no place yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message)
    }

    /// Without the severity and code: `file:line[:column]: message`, then `  hint: ...` on
    /// the next line; what follows the `error: ` or `warning: ` the binary prints, and what
    /// a scenario's `WARNING:` comment says. Not made printable here: the binary escapes
    /// each line of what it prints, the scenario writer each comment.
    pub fn plain(&self) -> Plain<'_> {
        Plain(self)
    }

    pub fn at(mut self, file: &str, line: usize, column: Option<usize>) -> Diagnostic {
        self.span = Some(Span {
            file: file.to_string(),
            line,
            column,
        });
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(span) = &self.span {
            write!(f, "{span}: ")?;
        }
        write!(f, "{}", self.severity)?;
        if !self.code.is_empty() {
            write!(f, "[{}]", self.code)?;
        }
        write!(f, ": {}", crate::error::printable(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", crate::error::printable(hint))?;
        }
        Ok(())
    }
}

/// See [`Diagnostic::plain`].
pub struct Plain<'a>(&'a Diagnostic);

impl fmt::Display for Plain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(span) = &self.0.span {
            write!(f, "{span}: ")?;
        }
        f.write_str(&self.0.message)?;
        if let Some(hint) = &self.0.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl From<Finding> for Diagnostic {
    fn from(f: Finding) -> Diagnostic {
        Diagnostic::new(f.severity, "experiment", f.message).at(&f.file, f.line, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_in_one_place() {
        let d = Diagnostic::new(Severity::Error, "template-work", "too much work")
            .at("helmfile.yaml.gotmpl", 17, Some(9))
            .hint("look for repeated toYaml");
        assert_eq!(
            d.to_string(),
            "helmfile.yaml.gotmpl:17:9: error[template-work]: too much work\n  hint: look for repeated toYaml"
        );
        let f = Finding::new("e.yaml", 3, Severity::Warning, "unused level".into());
        let shown = f.to_string();
        let d = Diagnostic::from(f);
        assert_eq!(d.to_string(), "e.yaml:3: warning[experiment]: unused level");
        assert_eq!(shown, "e.yaml:3: warning: unused level");
        assert_eq!(
            d.plain().to_string(),
            "e.yaml:3: unused level",
            "the plain form leaves out severity and code"
        );
        let d = Diagnostic::error("phrase", "bad word\nsecond line").hint("say it so");
        assert_eq!(
            d.plain().to_string(),
            "bad word\nsecond line\n  hint: say it so"
        );
        // Control characters never reach the terminal raw.
        let d = Diagnostic::new(Severity::Note, "", "a\u{1b}[31m");
        assert!(!d.to_string().contains('\u{1b}'), "{d}");
    }
}
