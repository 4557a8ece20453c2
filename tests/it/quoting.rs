//! Property tests: any string survives bash quoting, heredocs and comments exactly, at the
//! renderer and end to end: arbitrary strings as guide values (model name, env values,
//! args, volume names, plugin config) are written into a real values file, converted,
//! sourced by bash under `set -euo pipefail`, and the vLLM command run as llm-d-benchmark's
//! pod would (`/bin/sh -c`, tokens substituted); every value comes back exactly or is
//! refused and reported, and no command ever runs.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use convert_guide::convert::{self, Request};
use convert_guide::error::is_deceptive;
use convert_guide::model::scenario::{Export, Scenario, Value};
use convert_guide::read::yaml::{self, Node};
use proptest::prelude::*;

/// Strings rich in what shells and heredocs treat specially.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("$".to_string()),
        Just("$(touch CANARY)".to_string()),
        Just("`touch CANARY`".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("EOF".to_string()),
        Just("\nEOF\n".to_string()),
        Just("~".to_string()),
        Just("{a,b}".to_string()),
        Just("*".to_string()),
        Just("REPLACE_ENV_X".to_string()),
        Just("é€".to_string()),
        "[ -~]{0,6}",
    ];
    proptest::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

/// [`hostile`], plus what YAML, heredocs, terminals and llm-d-benchmark treat specially.
fn nastier() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => hostile(),
        1 => Just("\r".to_string()),
        1 => Just("\t".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\u{1b}[2J\u{7}".to_string()),
        1 => Just("\u{0}".to_string()),
        1 => Just("\u{202e}\u{2066}\u{200f}".to_string()),
        1 => Just("\u{2028}\u{85}\u{feff}".to_string()),
        1 => Just("EOF_1".to_string()),
        1 => Just("\nEOF_1\n".to_string()),
        1 => Just("'\\''".to_string()),
        1 => Just("$'\\x41'".to_string()),
        1 => Just("${HOME}".to_string()),
        1 => Just("REPLACE_ENV_LLMDBENCH_HF_TOKEN".to_string()),
        1 => Just("REPLACE_ENV_X++++default=y".to_string()),
        1 => Just("REPLACE_ENV".to_string()),
        1 => Just("replace_env_x".to_string()),
        1 => Just(": # - ? & * ! | > % @ [ ] { }".to_string()),
        1 => Just("  ".to_string()),
        1 => Just("日本語 😀".to_string()),
        1 => Just("~root".to_string()),
        1 => "[a-zA-Z0-9._/-]{1,12}",
    ];
    proptest::collection::vec(pieces, 0..6).prop_map(|v| v.concat())
}

fn scenario_with(exports: Vec<Export>) -> String {
    convert_guide::emit::bash::scenario(&Scenario {
        name: "p".into(),
        exports,
        ..Scenario::default()
    })
}

/// Source the scenario in bash and print each variable's value (files: their content).
fn run(text: &str, vars: &[(&str, bool)]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sh");
    std::fs::write(&path, text).expect("write scenario");
    let mut script = format!("set -euo pipefail; source {}\n", path.display());
    for (var, file) in vars {
        if *file {
            script.push_str(&format!("cat \"${var}\"; printf '\\0'\n"));
        } else {
            script.push_str(&format!("printf '%s\\0' \"${var}\"\n"));
        }
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.path().join("CANARY").exists(),
        "a command ran:\n{text}"
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    stdout
        .split('\0')
        .map(str::to_string)
        .take(vars.len())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn exported_values_and_files_come_back_exactly(value in hostile(), content in hostile()) {
        let content = format!("{content}\n");
        let text = scenario_with(vec![
            Export { var: "LLMDBENCH_A".into(), value: Value::Text(value.clone()), origins: vec![], note: Some(value.clone()) },
            Export { var: "LLMDBENCH_F".into(), value: Value::File(content.clone()), origins: vec![], note: None },
        ]);
        let got = run(&text, &[("LLMDBENCH_A", false), ("LLMDBENCH_F", true)]);
        prop_assert_eq!(&got[0], &value);
        prop_assert_eq!(&got[1], &content);
    }

    #[test]
    fn command_lines_join_into_one_line(words in proptest::collection::vec(hostile(), 1..5)) {
        // Command lines hold no line breaks (the mapper refuses them); all else is allowed.
        let lines: Vec<String> = words.iter().map(|w| w.replace('\n', " ")).collect();
        let text = scenario_with(vec![Export {
            var: "LLMDBENCH_C".into(),
            value: Value::Command(lines.clone()),
            origins: vec![],
            note: None,
        }]);
        let got = run(&text, &[("LLMDBENCH_C", true)]);
        prop_assert_eq!(&got[0], &format!("{}\n", lines.join(" ")));
    }
}

// ---------------------------------------------------------------------------------------
// End to end, through a real guide

/// A YAML double-quoted scalar holding exactly `s`.
fn yq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_deceptive(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, Clone)]
struct GuideValues {
    model: String,
    env: Vec<String>,
    args: Vec<String>,
    volumes: Vec<String>,
    plugins: String,
}

fn guide_values() -> impl Strategy<Value = GuideValues> {
    let list = |n| proptest::collection::vec(nastier(), 1..n);
    (nastier(), list(4), list(4), list(3), nastier()).prop_map(
        |(model, env, args, volumes, plugins)| GuideValues {
            model,
            env,
            // A value starting with `-` would be read as a flag of its own: that is the
            // converter's reading of vLLM args, not quoting; so args start with a letter.
            args: args.into_iter().map(|a| format!("x{a}")).collect(),
            volumes,
            plugins,
        },
    )
}

/// The guide: `ms-p/values.yaml` and `gaie-p/values.yaml` under `dir/p`.
fn write_guide(dir: &Path, g: &GuideValues) -> std::path::PathBuf {
    let mut y = format!(
        "modelArtifacts:\n  name: {}\n  size: 1Gi\ndecode:\n  create: true\n  replicas: 1\n  containers:\n    - name: vllm\n      image: ghcr.io/llm-d/llm-d-cuda:v0.5.0\n      modelCommand: vllmServe\n      args:\n",
        yq(&g.model)
    );
    for (i, a) in g.args.iter().enumerate() {
        y.push_str(&format!("        - \"--extra-{i}\"\n        - {}\n", yq(a)));
    }
    y.push_str("      env:\n");
    for (i, v) in g.env.iter().enumerate() {
        y.push_str(&format!(
            "        - name: E_{i}\n          value: {}\n",
            yq(v)
        ));
    }
    y.push_str("      volumeMounts:\n");
    for (i, v) in g.volumes.iter().enumerate() {
        y.push_str(&format!(
            "        - name: {}\n          mountPath: /mnt/{i}\n",
            yq(v)
        ));
    }
    y.push_str("  volumes:\n");
    for v in &g.volumes {
        y.push_str(&format!("    - name: {}\n      emptyDir: {{}}\n", yq(v)));
    }
    y.push_str("prefill:\n  create: false\n");
    let gaie = format!(
        "inferenceExtension:\n  pluginsConfigFile: custom-plugins.yaml\n  pluginsCustomConfig:\n    custom-plugins.yaml: {}\n",
        yq(&g.plugins)
    );
    let root = dir.join("p");
    for (rel, text) in [("ms-p/values.yaml", y), ("gaie-p/values.yaml", gaie)] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("folder")).expect("create guide");
        std::fs::write(path, text).expect("write guide");
    }
    root
}

/// Source the scenario under `set -euo pipefail` from `work`, and return every variable
/// it exported.
fn source(dir: &Path, text: &str, vars: &[String]) -> HashMap<String, String> {
    let scenario = dir.join("scenario.sh");
    std::fs::write(&scenario, text).expect("write scenario");
    let mut script = String::from("set -euo pipefail\nsource \"$1\"\n");
    for v in vars {
        script.push_str(&format!(
            "if [[ -v {v} ]]; then printf '%s=%s\\0' {v} \"${v}\"; fi\n"
        ));
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .arg("bash")
        .arg(&scenario)
        .current_dir(dir.join("work"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .env("TMPDIR", dir.join("tmp"))
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "sourcing failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 values")
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The words the vLLM command runs with, as the pod runs it: llm-d-benchmark replaces each
/// `REPLACE_ENV_` token (here by `TOKEN`) and runs the line with `/bin/sh -c`.
fn pod_words(dir: &Path, command: &str) -> Vec<String> {
    let mut line = String::new();
    let mut rest = command;
    while let Some(at) = rest.find("REPLACE_ENV_LLMDBENCH_") {
        line.push_str(&rest[..at]);
        let after = &rest[at..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        line.push_str("TOKEN");
        rest = &after[end..];
    }
    line.push_str(rest);
    let out = Command::new("sh")
        .arg("-c")
        .arg("TOKEN() { :; }; vllm() { printf '%s\\0' \"$@\"; }; eval \"$1\"")
        .arg("sh")
        .arg(&line)
        .current_dir(dir.join("work"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "the pod's command failed: {}\n{line}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 words")
        .split('\0')
        .map(str::to_string)
        .filter(|w| !w.is_empty())
        .collect()
}

fn no_canary(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            assert!(
                !e.file_name().to_string_lossy().contains("CANARY"),
                "a guide value ran as a command: {}",
                p.display()
            );
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
}

/// Refused values are reported under "Not mapped" with their path.
fn reported(text: &str, path: &str) -> bool {
    text.split_once("# Not mapped: ")
        .is_some_and(|(_, notes)| notes.contains(&format!("#   {path} (")))
}

fn writable(v: &str) -> bool {
    !v.contains("REPLACE_ENV_")
}

fn check_guide(g: &GuideValues) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("temp dir");
    for d in ["home", "tmp", "work"] {
        std::fs::create_dir_all(dir.path().join(d)).expect("folders");
    }
    let input = write_guide(dir.path(), g);
    let conv = convert::convert(&Request {
        input: input.clone(),
        cwd: dir.path().join("work"),
        ..Default::default()
    })
    .map_err(|e| TestCaseError::fail(format!("conversion failed: {e}")))?;
    let text = &conv.scenario_text;
    prop_assert!(
        !text.chars().any(is_deceptive),
        "a control or bidirectional character is written raw:\n{text}"
    );
    // e2e.sh rewrites every line holding `VAR=`: one line per exported variable.
    for e in &conv.scenario.exports {
        let needle = format!("{}=", e.var);
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(&needle)).collect();
        prop_assert_eq!(lines.len(), 1, "{}: {:?}", e.var, lines);
        let export_line = format!("export {needle}");
        prop_assert!(lines[0].starts_with(&export_line), "{}", lines[0]);
    }
    let vars: Vec<String> = conv
        .scenario
        .exports
        .iter()
        .map(|e| e.var.clone())
        .collect();
    let env = source(dir.path(), text, &vars);
    // shellcheck, when present (missing: fails in CI, else says it is ignored).
    if crate::common::require_tool("shellcheck", "the quoted scenarios are not checked") {
        let out = Command::new("shellcheck")
            .arg(dir.path().join("scenario.sh"))
            .output()
            .expect("run shellcheck");
        prop_assert!(
            out.status.success(),
            "shellcheck:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let file = |var: &str| -> Option<String> {
        env.get(var)
            .map(|p| std::fs::read_to_string(p).expect("the file a scenario wrote"))
    };

    // The model name: exported exactly, or refused and said so.
    let model_var = "LLMDBENCH_DEPLOY_MODEL_LIST";
    match convert_guide::map::bash::refusal(model_var, &g.model) {
        None => prop_assert_eq!(env.get(model_var), Some(&g.model)),
        Some(_) => {
            prop_assert_eq!(env.get(model_var), None);
            prop_assert!(reported(text, "modelArtifacts.name"), "{}", text);
        }
    }

    // Env values, through bash and YAML.
    let env_file = file("LLMDBENCH_VLLM_MODELSERVICE_DECODE_ENVVARS_TO_YAML").unwrap_or_default();
    let env_doc = yaml::parse_one("env", &env_file)
        .map_err(|e| TestCaseError::fail(format!("env file: {e}\n{env_file}")))?;
    let entries = env_doc.root.as_seq().unwrap_or_default();
    for (i, v) in g.env.iter().enumerate() {
        let name = format!("E_{i}");
        let got = entries
            .iter()
            .find(|e| e.get("name").and_then(Node::as_str) == Some(&name));
        if writable(v) {
            let got = got.and_then(|e| e.get("value")).and_then(Node::as_str);
            prop_assert_eq!(got, Some(v.as_str()), "{}", env_file);
        } else {
            prop_assert!(got.is_none());
            let path = format!("decode.containers[0].env[{i}]");
            prop_assert!(reported(text, &path), "{} not reported", path);
        }
    }

    // Volume and mount names.
    let kept: Vec<&str> = g
        .volumes
        .iter()
        .map(String::as_str)
        .filter(|v| writable(v))
        .collect();
    for var in [
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUME_MOUNTS",
    ] {
        let content = file(var).unwrap_or_default();
        let doc = yaml::parse_one(var, &content)
            .map_err(|e| TestCaseError::fail(format!("{var}: {e}\n{content}")))?;
        let names: Vec<&str> = doc
            .root
            .as_seq()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.get("name").and_then(Node::as_str))
            .collect();
        prop_assert_eq!(&names, &kept, "{}", content);
    }

    // Args: the words vLLM gets in the pod.
    let command = file("LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS").unwrap_or_default();
    let words = pod_words(dir.path(), &command);
    for (i, a) in g.args.iter().enumerate() {
        let flag = format!("--extra-{i}");
        let at = words.iter().position(|w| *w == flag);
        let one_line = !a.contains(['\n', '\r', '\0']) && !a.chars().any(is_deceptive);
        if writable(a) && one_line {
            let at = at.ok_or_else(|| TestCaseError::fail(format!("{flag} missing: {words:?}")))?;
            prop_assert_eq!(words.get(at + 1), Some(a), "{:?}", words);
        } else if !writable(a) || !a.trim_start_matches('x').trim().starts_with(['{', '[']) {
            prop_assert!(
                at.is_none(),
                "{} {:?} should be left out: {:?}",
                flag,
                a,
                words
            );
            let path = format!("decode.containers[0].args[{}]", 2 * i);
            prop_assert!(reported(text, &path), "{} not reported", path);
        }
    }

    // The plugin configuration, through bash and YAML.
    let plugins = file("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS");
    let expressible = writable(&g.plugins) && !g.plugins.chars().any(is_deceptive);
    match (plugins, expressible) {
        (Some(content), true) => {
            let doc = yaml::parse_one("plugins", &content)
                .map_err(|e| TestCaseError::fail(format!("plugins: {e}\n{content}")))?;
            let got = doc
                .root
                .get("custom-plugins.yaml")
                .and_then(|n| n.as_scalar());
            prop_assert_eq!(
                got.map(|s| s.value.as_str()),
                Some(g.plugins.as_str()),
                "{}",
                content
            );
        }
        (None, false) => prop_assert!(reported(
            text,
            "inferenceExtension.pluginsCustomConfig.custom-plugins.yaml"
        )),
        (got, _) => prop_assert!(false, "plugins {:?} for {:?}", got, g.plugins),
    }
    no_canary(dir.path());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn guide_values_come_back_exactly_or_are_refused(g in guide_values()) {
        check_guide(&g)?;
    }
}

/// The same checks on a fixed set of the nastiest values, so a failure is easy to read.
#[test]
fn fixed_hostile_guide_values() {
    let g = GuideValues {
        model: "Qwen/Qwen3-0.6B".into(),
        env: vec![
            "$(touch CANARY)".into(),
            "line\nEOF\nEOF_1".into(),
            "\u{1b}[2J\u{202e}\r\u{0}".into(),
            "REPLACE_ENV_LLMDBENCH_HF_TOKEN".into(),
        ],
        args: vec![
            "x`touch CANARY`'\\\"".into(),
            "x$'\\x41' ${HOME} ~root".into(),
        ],
        volumes: vec!["it's".into(), "EOF".into(), "REPLACE_ENV_X".into()],
        plugins: "  first: indented\nEOF\n'\"$(touch CANARY)\n\n".into(),
    };
    if let Err(e) = check_guide(&g) {
        panic!("{e}");
    }
}
