//! Writing scalars: the one rule for when a scalar may stay plain ([`may_be_plain`], by what
//! the reader must get back: a [`Reading`]), and the one double-quoted escaper
//! ([`double_quoted_escaping`]).
//!
//! The readings differ on purpose, and each emitter picks the one its output needs:
//!
//! | Reading | Caller | Why |
//! |---|---|---|
//! | [`Reading::Text`] | experiments, mapped values (`mapping/emit`), v1 experiment values | the value was read plain or quoted from a guide: its plainness carries its type, so a plain `true` stays a boolean; only the text must survive |
//! | [`Reading::String`] | the v2 scenario emitter | values are strings whatever they look like; PyYAML (YAML 1.1) must not turn `on` or `1e3` into something else |
//! | [`Reading::Name`] | experiment keys and names | names are identifiers; quoting anything else keeps them obviously names |
//!
//! Helm's `toYaml` (in `template::to_yaml`) keeps its own rule: it reproduces what Go's
//! yaml.v2 writes, byte for byte, which is a property of that library, not of YAML. It does
//! use [`double_quoted_escaping`] with Go's set of characters to escape.

use crate::error::is_deceptive;

/// What a scalar written plain must read back as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The same text, on one line after `key: ` or `- ` (its type is the caller's business).
    Text,
    /// The same text, as a string to YAML 1.2 and YAML 1.1 (PyYAML) readers: [`Reading::Text`]
    /// and no boolean or null word, nothing that starts like a number, not empty.
    String,
    /// A name: a letter or `_` first, then ASCII letters, digits and the characters of
    /// `also`; no YAML 1.1 boolean or null word in any letter case.
    Name { also: &'static str },
}

/// May `s` be written as a plain scalar and be read back as `reading` says?
pub fn may_be_plain(s: &str, reading: Reading) -> bool {
    match reading {
        Reading::Text => plain_ok(s),
        Reading::String => plain_ok(s) && !yaml11_typed(s),
        Reading::Name { also } => {
            s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || also.contains(c))
                && !BOOL_NULL_WORDS.contains(&s.to_ascii_lowercase().as_str())
        }
    }
}

/// `s` plain when [`may_be_plain`], else [`double_quoted`].
pub fn scalar(s: &str, reading: Reading) -> String {
    if may_be_plain(s, reading) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// Words a YAML 1.1 or 1.2 reader takes for a boolean or null (in lower case).
const BOOL_NULL_WORDS: &[&str] = &[
    "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
];

/// A YAML 1.1 reader (PyYAML) resolves these plain scalars to something other than a string.
fn yaml11_typed(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "",
    ];
    WORDS.contains(&s) || s.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c))
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
        && !s.chars().any(|c| c.is_control() || is_deceptive(c))
}

/// A YAML double-quoted scalar that reads back as exactly `s`: quotes, backslashes, line
/// breaks, control characters and byte-order marks escaped, and so are bidirectional and
/// separator characters, so a file a scenario writes shows what it holds and YAML 1.1
/// readers (PyYAML) see no extra line breaks.
pub fn double_quoted(s: &str) -> String {
    double_quoted_escaping(s, is_deceptive, 0x100)
}

/// The one double-quoted escaper: `"`, `\`, line feed, tab and carriage return by their
/// names, every other character `escape` picks as `\xHH` when below `short`, else `\uHHHH`.
pub fn double_quoted_escaping(s: &str, escape: impl Fn(char) -> bool, short: u32) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if escape(c) => {
                let n = u32::from(c);
                if n < short {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings() {
        for (s, text, string) in [
            ("abc", true, true),
            ("on", true, false),
            ("1e3", true, false),
            ("-x", true, false),
            ("", false, false),
            ("a: b", false, false),
            ("#x", false, false),
        ] {
            assert_eq!(may_be_plain(s, Reading::Text), text, "{s:?}");
            assert_eq!(may_be_plain(s, Reading::String), string, "{s:?}");
        }
        let name = Reading::Name { also: "_-" };
        assert!(may_be_plain("max_tokens", name));
        assert!(!may_be_plain("yEs", name));
        assert!(!may_be_plain("a.b", name));
        assert!(may_be_plain("a.b", Reading::Name { also: "_-./" }));
        assert_eq!(scalar("on", Reading::String), "\"on\"");
        assert_eq!(
            double_quoted_escaping("\u{85}\u{1}", |c| c.is_control(), 0x80),
            r#""\u0085\x01""#
        );
        assert_eq!(double_quoted("\u{85}\u{202e}"), r#""\x85\u202e""#);
    }
}
