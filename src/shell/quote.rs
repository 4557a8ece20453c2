//! Values written as shell words that read back exactly.

use crate::error::is_deceptive;

/// Holds only characters no shell treats specially, so it can be written bare.
pub fn is_bare(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c))
}

/// `'v'`: inside single quotes nothing is special; `'` is written `'\''`.
pub fn single_quoted(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

/// `'v'` with each `'` written `'"'"'`: no backslash anywhere, for text a consumer strips
/// backslashes from (llm-d-benchmark's step 09 does, in the last argument of a command line).
pub fn single_quoted_no_backslash(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\"'\"'"))
}

/// A word of a command line (`/bin/sh -c`): bare when it holds only safe characters and
/// does not start with `=` (which some shells expand), else single-quoted.
pub fn word(v: &str) -> String {
    if is_bare(v) && !v.starts_with('=') {
        v.to_string()
    } else {
        single_quoted(v)
    }
}

/// The value of an assignment (`export X=...`): bare when only literal characters, else
/// single-quoted. A value holding line breaks, tabs, control or bidirectional characters is
/// written `$'...'` with escapes instead, so the file stays one printable line per export.
pub fn value(v: &str) -> String {
    if is_bare(v) {
        v.to_string()
    } else if v.chars().any(|c| c == '\n' || c == '\t' || is_deceptive(c)) {
        ansi_c(v)
    } else {
        single_quoted(v)
    }
}

/// bash's `$'...'`: `\\`, `\'`, `\n`, `\t`, and `\xHH` / `\uHHHH` for the rest of what
/// must not appear raw. (NUL cannot be in a bash variable; the mapper refuses it.)
pub fn ansi_c(v: &str) -> String {
    let mut out = String::from("$'");
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_deceptive(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_deceptive(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A line of an unquoted here-document, where only `\`, `$` and backticks are special.
pub fn heredoc_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if matches!(c, '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_values() {
        assert_eq!(word("--block-size"), "--block-size");
        assert_eq!(word("=x"), "'=x'");
        assert_eq!(value("=x"), "=x");
        assert_eq!(word(""), "''");
        assert_eq!(value("it's"), r"'it'\''s'");
        assert_eq!(word("a\nb"), "'a\nb'");
        assert_eq!(value("a\nb"), r"$'a\nb'");
        assert_eq!(heredoc_line(r"a\$`b"), r"a\\\$\`b");
        assert_eq!(single_quoted_no_backslash("it's"), r#"'it'"'"'s'"#);
    }
}
