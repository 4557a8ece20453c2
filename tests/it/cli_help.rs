//! What a newcomer reads first: `-h` and `--help` fit an 80-column terminal without cutting a
//! command in two, completions and the man page come out of the binary, and the README's tour
//! is the binary's real output.

use std::path::Path;

use assert_cmd::Command;

use crate::common::crate_root;

/// `convert-guide ARGS` from the crate root with `COLUMNS` set (clap reads it when stdout is
/// not a terminal): exit code, stdout, stderr.
fn run(args: &[&str], columns: usize) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("convert-guide")
        .expect("binary")
        .args(args)
        .current_dir(crate_root())
        .env("COLUMNS", columns.to_string())
        .output()
        .expect("run convert-guide");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lines of the `Examples:` paragraph of a help text.
fn examples(help: &str) -> Vec<&str> {
    help.lines()
        .skip_while(|l| !l.starts_with("Examples"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

/// Every example is one command, or one continued with ` \` onto lines indented further:
/// a line clap wrapped would start anywhere else.
fn assert_whole_commands(help: &str, what: &str) {
    let lines = examples(help);
    assert!(lines.len() >= 3, "{what}: too few examples:\n{help}");
    let mut continued = false;
    for line in lines {
        if continued {
            assert!(line.starts_with("      "), "{what}: {line:?}\n{help}");
        } else {
            assert!(
                line.starts_with("  convert-guide "),
                "{what}: {line:?}\n{help}"
            );
        }
        continued = line.ends_with(" \\");
    }
    assert!(!continued, "{what}: the last example ends in `\\`");
}

#[test]
fn short_help_is_short_and_points_at_the_long_one() {
    let (code, short, _) = run(&["-h"], 80);
    assert_eq!(code, Some(0));
    let (_, long, _) = run(&["--help"], 80);
    let count = short.lines().count();
    assert!(count <= 55, "-h is {count} lines:\n{short}");
    assert!(long.lines().count() > count + 30, "--help is the long form");
    assert!(
        short.contains("--help"),
        "-h says where the rest is:\n{short}"
    );
    for needle in ["Exit codes:", "Designs (--design)", "Parameters:"] {
        assert!(!short.contains(needle), "{needle} only in --help");
        assert!(long.contains(needle), "{needle} in --help");
    }
}

#[test]
fn examples_never_wrap_mid_command_at_80_columns() {
    for flag in ["-h", "--help"] {
        for columns in [80, 120] {
            let (_, help, _) = run(&[flag], columns);
            for line in help.lines() {
                assert!(
                    line.chars().count() <= columns,
                    "{flag} at {columns} columns: {line:?}"
                );
            }
            assert_whole_commands(&help, &format!("{flag} at {columns} columns"));
        }
    }
    let (_, help, _) = run(&["check-experiment", "--help"], 80);
    assert!(help.lines().all(|l| l.chars().count() <= 80), "{help}");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(&["completions", shell], 80);
        assert_eq!(code, Some(0), "{shell}: {err}");
        for needle in ["convert-guide", "list-variants", "check-experiment"] {
            assert!(out.contains(needle), "{shell}: no {needle}");
        }
    }
    let (code, _, err) = run(&["completions", "tcsh"], 80);
    assert_eq!(code, Some(2), "an unknown shell is a usage error: {err}");
    assert!(err.contains("bash"), "the message lists the shells: {err}");
}

#[test]
fn bash_completion_script_loads_and_completes_options() {
    let (_, script, _) = run(&["completions", "bash"], 80);
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("convert-guide.bash");
    std::fs::write(&path, script).expect("write completion script");
    // Source it and ask for completions of `convert-guide --li`, as bash would.
    let probe = format!(
        "source {}; f=$(complete -p convert-guide | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p'); \
         COMP_WORDS=(convert-guide --li); COMP_CWORD=1; \
         \"$f\" convert-guide --li convert-guide; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        shell_quote(&path)
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l == "--list-variants"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn man_page_is_roff_with_every_option() {
    let (code, page, err) = run(&["man"], 80);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        page.starts_with(".ie") || page.contains(".TH convert-guide"),
        "{page}"
    );
    for needle in [
        "list\\-variants",
        "dry\\-run",
        "Exit codes:",
        "Examples:",
        "check\\-experiment",
    ] {
        assert!(page.contains(needle), "no {needle} in the man page");
    }
}

/// A fenced block of the README preceded by `<!-- stdout of: ARGS -->` or
/// `<!-- stderr of: ARGS -->`.
struct TourBlock {
    line: usize,
    stream: &'static str,
    args: Vec<String>,
    body: Vec<String>,
}

fn tour_blocks(readme: &str) -> Vec<TourBlock> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix("<!-- ") else {
            continue;
        };
        let (stream, rest) = if let Some(r) = rest.strip_prefix("stdout of: ") {
            ("stdout", r)
        } else if let Some(r) = rest.strip_prefix("stderr of: ") {
            ("stderr", r)
        } else {
            continue;
        };
        let args = rest.trim_end_matches("-->").split_whitespace();
        let body = lines[i + 2..]
            .iter()
            .take_while(|l| !l.starts_with("```"))
            .map(|l| l.to_string())
            .collect();
        blocks.push(TourBlock {
            line: i + 1,
            stream,
            args: args.map(String::from).collect(),
            body,
        });
    }
    blocks
}

/// `shown` is `real` with runs of lines left out, each run marked by a `...` line.
fn check_abridged(shown: &[String], real: &str) -> Result<(), String> {
    let mut real: Vec<&str> = real.lines().collect();
    while real.last().is_some_and(|l| l.is_empty()) {
        real.pop();
    }
    let mut k = 0;
    let mut skipping = false;
    for (n, want) in shown.iter().enumerate() {
        if want == "..." {
            skipping = true;
            continue;
        }
        loop {
            match real.get(k) {
                Some(got) if got == want => break,
                Some(got) if !skipping => {
                    return Err(format!(
                        "block line {}: README has\n  {want}\nthe output has\n  {got}",
                        n + 1
                    ));
                }
                Some(_) => k += 1,
                None => return Err(format!("block line {}: not in the output: {want}", n + 1)),
            }
        }
        k += 1;
        skipping = false;
    }
    if !skipping && k < real.len() {
        return Err(format!(
            "the output goes on (end the block with `...`): {}",
            real[k]
        ));
    }
    Ok(())
}

#[test]
fn readme_tour_is_real_output() {
    let readme = std::fs::read_to_string(crate_root().join("README.md")).expect("README.md");
    let blocks = tour_blocks(&readme);
    assert!(blocks.len() >= 3, "the tour has its blocks");
    for b in blocks {
        let args: Vec<&str> = b.args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(&args, 80);
        assert_eq!(code, Some(0), "README.md:{}: {stderr}", b.line);
        let real = if b.stream == "stdout" { stdout } else { stderr };
        if let Err(why) = check_abridged(&b.body, &real) {
            panic!(
                "README.md:{} (`convert-guide {}`, {}) is not the real output: {why}\n--- real output ---\n{real}",
                b.line,
                args.join(" "),
                b.stream
            );
        }
    }
}

#[test]
fn abridged_blocks_must_mark_what_they_leave_out() {
    let real = "a\nb\nc\n";
    let shown = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(check_abridged(&shown(&["a", "b", "c"]), real).is_ok());
    assert!(check_abridged(&shown(&["a", "...", "c"]), real).is_ok());
    assert!(check_abridged(&shown(&["...", "b", "..."]), real).is_ok());
    assert!(check_abridged(&shown(&["a", "c"]), real).is_err());
    assert!(check_abridged(&shown(&["a", "b"]), real).is_err());
    assert!(check_abridged(&shown(&["a", "...", "x"]), real).is_err());
}
