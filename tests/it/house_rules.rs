//! The house rules of the source tree (issue 14), checked: no source file over 800 lines and
//! no function over 80 lines unless a comment above it says why (`Over 80 lines on purpose: ...`).
//! The scan counts braces outside strings, chars and comments; it is meant for this code
//! base's style (rustfmt), not for any Rust.

use std::path::{Path, PathBuf};

use crate::common::crate_root;

const MAX_FILE: usize = 800;
const MAX_FN: usize = 80;
/// What a comment above a longer function says, followed by why.
const REASON: &str = "Over 80 lines on purpose";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a line without string and char literals and `//` comments.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                // A char literal ('x', '\n', '{'); a lifetime ('a) has no closing quote soon.
                let rest: String = chars.clone().take(3).collect();
                if let Some(escaped) = rest.strip_prefix('\\') {
                    if let Some(end) = escaped.find('\'') {
                        for _ in 0..end + 2 {
                            chars.next();
                        }
                    }
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Functions longer than `MAX_FN` lines without a reason: (lines, line number, name).
fn long_functions(text: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut raw_string = false;
    for (i, line) in lines.iter().enumerate() {
        // Skip the insides of raw strings (test data), which may hold anything.
        if raw_string {
            if line.contains("\"#") {
                raw_string = false;
            }
            continue;
        }
        if line.contains("r#\"") && !line.contains("\"#") {
            raw_string = true;
        }
        let t = line.trim_start();
        let sig = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
            "pub const fn ",
        ]
        .iter()
        .find_map(|p| t.strip_prefix(p));
        let Some(rest) = sig else { continue };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let (mut depth, mut started, mut end) = (0i64, false, None);
        for (j, l) in lines.iter().enumerate().skip(i) {
            let code = code_of(l);
            if !started && code.trim_end().ends_with(';') {
                break;
            }
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if started && depth <= 0 {
                end = Some(j);
                break;
            }
        }
        let Some(end) = end else { continue };
        let len = end - i + 1;
        let reason = lines[i.saturating_sub(6)..i]
            .iter()
            .any(|l| l.contains(REASON));
        if len > MAX_FN && !reason {
            found.push((len, i + 1, name));
        }
    }
    found
}

#[test]
fn source_files_and_functions_stay_small() {
    let mut files = Vec::new();
    rust_files(&crate_root().join("src"), &mut files);
    files.sort();
    assert!(files.len() > 20, "the scan finds the sources");
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let shown = f
            .strip_prefix(crate_root())
            .unwrap_or(f)
            .display()
            .to_string();
        let n = text.lines().count();
        if n > MAX_FILE {
            problems.push(format!(
                "{shown}: {n} lines (over {MAX_FILE}): split it by concern"
            ));
        }
        for (len, line, name) in long_functions(&text) {
            problems.push(format!(
                "{shown}:{line}: fn {name} is {len} lines (over {MAX_FN}): split it, or say why above it (`// {REASON}: ...`)"
            ));
        }
    }
    assert!(problems.is_empty(), "house rules:\n{}", problems.join("\n"));
}

/// The scan itself finds a long function and honours a reason (a rule that cannot fail is no
/// rule).
#[test]
fn the_scan_finds_long_functions() {
    let body = "    let x = 1;\n".repeat(MAX_FN);
    let long = format!("fn big() {{\n{body}}}\n");
    assert_eq!(long_functions(&long).len(), 1);
    let excused = format!("// {REASON}: one table, read top to bottom\n{long}");
    assert!(long_functions(&excused).is_empty());
    let braces = format!("fn f() {{\n    let s = \"{{{{\";\n    let c = '{{';\n{body}}}\n");
    assert_eq!(long_functions(&braces)[0].2, "f");
    let short = "fn s() {\n    1\n}\n";
    assert!(long_functions(short).is_empty());
}
