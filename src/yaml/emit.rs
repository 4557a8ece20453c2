//! Writing scalars: when one may stay plain, and the one double-quoted escaper.

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

