//! Guides read as Helm reads them (issue 10, requirement 3): duplicate keys keep the last
//! value and list the earlier one as overridden, YAML 1.1 booleans are booleans, `!!binary`
//! is decoded or refused.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use convert_guide::convert::{self, Request};

use crate::common::{self, copy_dir};

fn fixture() -> PathBuf {
    common::crate_root().join("tests/fixtures/helm-reading")
}

fn convert_text(input: &Path) -> String {
    let cwd = tempfile::tempdir().expect("temp dir");
    let conv = convert::convert(&Request {
        input: input.to_path_buf(),
        cwd: cwd.path().to_path_buf(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("convert {}: {e}", input.display()));
    conv.scenario_text
}

#[test]
fn helm_semantics_fixture_converts_as_helm_reads_it() {
    let text = convert_text(&fixture());
    // The last of each duplicate wins...
    assert!(
        text.contains("export LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS=3\n"),
        "{text}"
    );
    assert!(text.contains("export LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN=8192\n"));
    assert!(text.contains("export LLMDBENCH_VLLM_COMMON_PVC_MODEL_CACHE_SIZE=20Gi\n"));
    // ...and the earlier one is listed with both places.
    for note in [
        "#   modelArtifacts.size (ms-helm-reading/values.yaml:9): replaced by ms-helm-reading/values.yaml:10",
        "#   decode.containers[0].args (ms-helm-reading/values.yaml:24-26): replaced by ms-helm-reading/values.yaml:27",
        "#   decode.replicas (ms-helm-reading/values.yaml:17): replaced by ms-helm-reading/values.yaml:30",
    ] {
        assert!(text.contains(note), "{note}\n{text}");
    }
    // `create: off` is false: no prefill pods, whatever the replicas say.
    assert!(text.contains("export LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS=0\n"));
    // `multinode: no` is false, the benchmark's default.
    assert!(text.contains("LLMDBENCH_VLLM_MODELSERVICE_MULTINODE (\"false\")"));
    // The !!binary name is decoded, never exported as base64.
    assert!(text.contains("export LLMDBENCH_DEPLOY_MODEL_LIST=Qwen/Qwen3-1.7B\n"));
    assert!(!text.contains("export LLMDBENCH_DEPLOY_MODEL_LIST=UXdl"));
    insta::assert_snapshot!("reading__helm-reading", common::stable(&text));
}

#[test]
fn binary_that_is_not_text_is_refused_by_the_cli() {
    let t = tempfile::tempdir().expect("temp dir");
    let guide = t.path().join("g");
    copy_dir(&fixture(), &guide);
    let values = guide.join("ms-helm-reading/values.yaml");
    let text = std::fs::read_to_string(&values).expect("read");
    std::fs::write(
        &values,
        text.replace("!!binary UXdlbi9Rd2VuMy0xLjdC", "!!binary //79"),
    )
    .expect("write");
    let out = Command::cargo_bin("convert-guide")
        .expect("binary")
        .current_dir(t.path())
        .arg(&guide)
        .arg("--dry-run")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "ms-helm-reading/values.yaml:8:9: a !!binary value whose bytes are not UTF-8 text"
        ),
        "{stderr}"
    );
}

/// Lines of the example's modelservice values that hold a mapping key (not a list item's
/// first key): each can be given twice.
fn key_lines(text: &str) -> Vec<(usize, String, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let indent = &l[..l.len() - l.trim_start().len()];
            let rest = l.trim_start();
            let (key, _) = rest.split_once(':')?;
            let plain_key = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
            plain_key.then(|| (i, indent.to_string(), key.to_string()))
        })
        .collect()
}

/// Property, over every key of the example guide's modelservice values: the file with an
/// earlier duplicate of that key converts exactly like the file without it (the same line
/// holding a comment instead, so line numbers agree), plus one overridden note naming both
/// lines.
#[test]
fn a_duplicate_key_converts_like_the_last_key_alone_plus_a_note() {
    let example = common::crate_root().join("examples/guides/small-scheduling");
    let rel = "ms-small-scheduling/values.yaml";
    let original = std::fs::read_to_string(example.join(rel)).expect("read values");
    let keys = key_lines(&original);
    assert!(keys.len() > 30, "{} keys", keys.len());
    let t = tempfile::tempdir().expect("temp dir");
    for (i, (at, indent, key)) in keys.iter().enumerate() {
        let build = |inserted: &str, dir: &str| {
            let guide = t.path().join(format!("{dir}{i}")).join("guide");
            copy_dir(&example, &guide);
            let mut lines: Vec<&str> = original.lines().collect();
            let line = format!("{indent}{inserted}");
            lines.insert(*at, &line);
            std::fs::write(guide.join(rel), lines.join("\n") + "\n").expect("write");
            guide
        };
        let dup_line = format!("{key}: 12345");
        let alone = convert_text(&build("# a comment", "alone"));
        let twice = convert_text(&build(&dup_line, "twice"));
        // Line numbers (1-based): the duplicate, and the key after it.
        let (dropped, kept) = (at + 1, at + 2);
        let note_end = format!("({rel}:{dropped}): replaced by {rel}:{kept}");
        let mut notes = 0;
        let normalized: Vec<String> = twice
            .lines()
            .filter(|l| {
                let is_note = l.starts_with("#   ") && l.ends_with(&note_end);
                notes += usize::from(is_note);
                !is_note
            })
            .map(|l| {
                l.replace(
                    &format!("|{indent} {dup_line}"),
                    &format!("|{indent} # a comment"),
                )
            })
            .map(|l| {
                l.replace(
                    &format!("| {indent}{dup_line}"),
                    &format!("| {indent}# a comment"),
                )
            })
            .collect();
        assert_eq!(notes, 1, "{key} at line {dropped}: one note\n{twice}");
        let header =
            "# Replaced by a later values source of the same release (Helm order), so not used:";
        let mut normalized = normalized.join("\n") + "\n";
        // The note was the only one: its title (and the blank line before it) goes too.
        if !alone.contains(header) {
            normalized = normalized.replace(&format!("\n{header}\n"), "");
        }
        let normalized = normalized.replace(&format!("twice{i}/guide"), &format!("alone{i}/guide"));
        similar_asserts(&alone, &normalized, key, dropped);
    }
}

fn similar_asserts(alone: &str, twice: &str, key: &str, line: usize) {
    if alone != twice {
        let diff = similar::TextDiff::from_lines(alone, twice)
            .unified_diff()
            .to_string();
        panic!("duplicate of {key} at line {line} changes the conversion:\n{diff}");
    }
}
