//! Generated scenarios run by real bash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use convert_guide::convert::Conversion;
use convert_guide::model::scenario::Value;
use convert_guide::read::yaml::{self, Node};

use crate::common::{self, Case};

pub(crate) fn have_bash() -> bool {
    common::require_tool("bash", "the generated scenarios cannot be run")
}

/// A sourced scenario: the environment bash ended with, and the folders it ran in.
pub(crate) struct Sourced {
    pub env: HashMap<String, String>,
    pub home: PathBuf,
    _dir: tempfile::TempDir,
}

/// `bash -n` the scenario, then source the fixture env.sh and the scenario under
/// `set -euo pipefail` and collect `env -0`.
pub(crate) fn source_scenario(label: &str, text: &str) -> Sourced {
    let dir = tempfile::tempdir().expect("temp dir");
    let (home, tmp, work) = (
        dir.path().join("home"),
        dir.path().join("tmp"),
        dir.path().join("work"),
    );
    for d in [&home, &tmp, &work] {
        std::fs::create_dir_all(d).expect("create temp folders");
    }
    let scenario = dir.path().join("scenario.sh");
    std::fs::write(&scenario, text).expect("write scenario");

    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&scenario)
        .output()
        .expect("run bash -n");
    assert!(
        syntax.status.success(),
        "{label}: bash -n: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    let env_sh = common::fixture_bench().join("setup/env.sh");
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"set -euo pipefail; source "$1"; source "$2"; env -0"#)
        .arg("bash")
        .arg(&env_sh)
        .arg(&scenario)
        .current_dir(&work)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TMPDIR", &tmp)
        .env("SHELL", "/bin/bash")
        .env("LLMDBENCH_MAIN_DIR", common::fixture_bench())
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{label}: sourcing failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("env is UTF-8");
    let env = stdout
        .split('\0')
        .filter(|e| !e.is_empty())
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Sourced {
        env,
        home,
        _dir: dir,
    }
}

pub(crate) fn var<'a>(s: &'a Sourced, label: &str, name: &str) -> &'a str {
    s.env
        .get(name)
        .unwrap_or_else(|| panic!("{label}: {name} not in the environment"))
}

pub(crate) fn file_content(s: &Sourced, label: &str, name: &str) -> String {
    let path = var(s, label, name);
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{label}: {name}={path}: {e}"))
}

const YAML_FILES: &[&str] = &[
    "_ENVVARS_TO_YAML",
    "_EXTRA_VOLUMES",
    "_EXTRA_VOLUME_MOUNTS",
    "_EXTRA_CONTAINER_CONFIG",
    "_EXTRA_POD_CONFIG",
    "_GAIE_CUSTOM_PLUGINS",
];

/// Every export of the model comes back from bash exactly.
pub(crate) fn check_exports(label: &str, conv: &Conversion, s: &Sourced) {
    for e in &conv.scenario.exports {
        let name = &e.var;
        match &e.value {
            Value::Text(v) => assert_eq!(var(s, label, name), v, "{label}: {name}"),
            Value::Home(p) => assert_eq!(
                var(s, label, name),
                format!("{}/{p}", s.home.display()),
                "{label}: {name}"
            ),
            Value::File(content) => {
                let got = file_content(s, label, name);
                assert_eq!(&got, content, "{label}: {name}: file content");
                if YAML_FILES.iter().any(|suffix| name.ends_with(suffix)) {
                    yaml::parse_one(name, &got)
                        .unwrap_or_else(|err| panic!("{label}: {name} is not YAML: {err}\n{got}"));
                }
            }
            Value::Command(lines) => {
                let got = file_content(s, label, name);
                let body = got
                    .strip_suffix('\n')
                    .unwrap_or_else(|| panic!("{label}: {name}: no final newline: {got:?}"));
                assert!(
                    !body.contains('\n'),
                    "{label}: {name}: more than one line: {got:?}"
                );
                assert_eq!(body, lines.join(" "), "{label}: {name}");
            }
        }
    }
}

/// The custom plugins file: one key, the plugins file name, holding YAML.
pub(crate) fn check_plugins(label: &str, conv: &Conversion, s: &Sourced) {
    if let Some(e) = conv
        .scenario
        .export("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS")
    {
        let got = file_content(s, label, &e.var);
        let doc = yaml::parse_one("plugins", &got).expect("plugins YAML");
        let entries = doc.root.as_map().expect("plugins file is a mapping");
        assert_eq!(entries.len(), 1, "{label}: {got}");
        assert_eq!(
            entries[0].key,
            var(
                s,
                label,
                "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE"
            ),
            "{label}"
        );
        let inner = entries[0].value.as_str().expect("plugins text");
        let inner_doc = yaml::parse_one("plugins-config", inner)
            .unwrap_or_else(|err| panic!("{label}: plugins config: {err}"));
        assert!(inner_doc.root.get("plugins").is_some(), "{label}: {inner}");
    }
}

/// The guide's own values, read here, against what bash ended with.
fn check_guide_values(case: &Case, conv: &Conversion, s: &Sourced) {
    let label = &case.label;
    for rel in common::ms_files(case) {
        let text = std::fs::read_to_string(case.root.join(&rel)).expect("read values");
        let doc = yaml::parse_one(&rel, &text).expect("parse values");
        let at = |p: &str| doc.root.at(p).and_then(Node::as_str).map(str::to_string);
        if let Some(model) = at("modelArtifacts.name") {
            assert_eq!(
                var(s, label, "LLMDBENCH_DEPLOY_MODEL_LIST"),
                model,
                "{label}"
            );
        }
        for stage in ["decode", "prefill"] {
            let up = stage.to_ascii_uppercase();
            let created = doc
                .root
                .at(&format!("{stage}.create"))
                .and_then(Node::as_bool);
            let replicas = var(
                s,
                label,
                &format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_REPLICAS"),
            );
            if created == Some(false) {
                assert_eq!(replicas, "0", "{label}: {stage}.create is false");
            } else if let Some(r) = at(&format!("{stage}.replicas")) {
                assert_eq!(replicas, r, "{label}: {stage}.replicas");
            }
            if let Some(tp) = at(&format!("{stage}.parallelism.tensor")) {
                assert_eq!(
                    var(
                        s,
                        label,
                        &format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_TENSOR_PARALLELISM")
                    ),
                    tp,
                    "{label}: {stage}.parallelism.tensor"
                );
            }
            check_command_flags(case, conv, s, &doc, stage);
        }
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The guide's vLLM flags are words of the one-line command file.
fn check_command_flags(case: &Case, conv: &Conversion, s: &Sourced, doc: &yaml::Doc, stage: &str) {
    let label = &case.label;
    let name = format!(
        "LLMDBENCH_VLLM_MODELSERVICE_{}_EXTRA_ARGS",
        stage.to_ascii_uppercase()
    );
    let container = format!("{stage}.containers[0]");
    let model_command = doc
        .root
        .at(&format!("{container}.modelCommand"))
        .and_then(Node::as_str);
    let is_command = matches!(
        conv.scenario.export(&name).map(|e| &e.value),
        Some(Value::Command(_))
    );
    if !matches!(model_command, Some("vllmServe" | "custom")) || !is_command {
        // A custom command left out is checked by `custom_model_command_has_its_command`.
        return;
    }
    let content = file_content(s, label, &name);
    let words = common::sh_words(&content);
    // vLLM takes `--max_model_len` as `--max-model-len`.
    let flag_of = |w: &str| w.split('=').next().unwrap_or(w).replace('_', "-");
    let flags: Vec<String> = words.iter().map(|w| flag_of(w)).collect();
    assert!(flags.iter().any(|w| w == "vllm"), "{label}: {words:?}");
    for list in ["command", "args"] {
        let items = doc
            .root
            .at(&format!("{container}.{list}"))
            .and_then(Node::as_seq);
        let items: Vec<&str> = items
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        for (i, item) in items.iter().enumerate() {
            let item_words = common::sh_words(item);
            for w in item_words.iter().filter(|w| w.starts_with("--")) {
                assert!(
                    flags.contains(&flag_of(w)),
                    "{label}: {stage} flag {w} missing from {words:?}"
                );
            }
            // A flag's separate value follows it (verbatim, on one line, or as a token).
            if model_command == Some("vllmServe")
                && !item.starts_with("--")
                && let Some(flag) = i.checked_sub(1).map(|p| items[p])
                && flag.starts_with("--")
                && !flag.contains('=')
            {
                let at = words
                    .iter()
                    .position(|w| flag_of(w) == flag_of(flag))
                    .unwrap_or_else(|| panic!("{label}: {flag} not in {words:?}"));
                let next = words.get(at + 1).map_or("", String::as_str);
                // The KV-events publisher names the benchmark's EPP service and model.
                let model = doc.root.at("modelArtifacts.name").and_then(Node::as_str);
                let bench_names = |v: &str| {
                    let v = v.replace(
                        "gaie-$(GAIE_RELEASE_NAME_POSTFIX)-epp",
                        "REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_SERVICE_NAME",
                    );
                    match model {
                        Some(m) => v.replace(
                            &format!("@{m}\""),
                            "@REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL\"",
                        ),
                        None => v,
                    }
                };
                assert!(
                    next == *item
                        || collapse(next) == collapse(item)
                        || (flag_of(flag) == "--kv-events-config"
                            && collapse(next) == collapse(&bench_names(item)))
                        || next.starts_with("REPLACE_ENV_LLMDBENCH_"),
                    "{label}: {flag} {item:?} became {flag} {next:?}"
                );
            }
        }
    }
}

#[test]
fn corpus_scenarios_source_cleanly_and_keep_every_value() {
    if !have_bash() {
        return;
    }
    let cases = common::corpus_cases();
    for case in &cases {
        let conv = common::convert_case(case);
        let s = source_scenario(&case.label, &conv.scenario_text);
        check_exports(&case.label, &conv, &s);
        check_plugins(&case.label, &conv, &s);
        check_guide_values(case, &conv, &s);
    }
}

#[test]
fn scenario_with_fixture_checkout_sources_cleanly() {
    if !have_bash() {
        return;
    }
    let cwd = tempfile::tempdir().expect("temp dir");
    for g in common::HELM_GUIDES {
        let conv = convert_guide::convert::convert(&convert_guide::convert::Request {
            input: common::corpus_guides().join(g),
            cwd: cwd.path().to_path_buf(),
            bench_dir: Some(common::fixture_bench()),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{g}: {e}"));
        let s = source_scenario(g, &conv.scenario_text);
        check_exports(g, &conv, &s);
    }
}

/// With `MODEL_COMMAND=custom` llm-d-benchmark runs `/bin/sh -c "<EXTRA_ARGS file>"`: a
/// scenario that sets custom must write that command, else the default flag list runs as a
/// shell command.
#[test]
fn custom_model_command_has_its_command() {
    if !have_bash() {
        return;
    }
    let mut bad = Vec::new();
    for case in common::corpus_cases() {
        let conv = common::convert_case(&case);
        let s = source_scenario(&case.label, &conv.scenario_text);
        for stage in ["DECODE", "PREFILL"] {
            let cmd = format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_MODEL_COMMAND");
            let args = format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_EXTRA_ARGS");
            let custom = s.env.get(&cmd).is_some_and(|v| v == "custom");
            let written = matches!(
                conv.scenario.export(&args).map(|e| &e.value),
                Some(Value::Command(_))
            );
            if custom && !written {
                bad.push(format!(
                    "{}: {cmd}=custom, {args}={:?}",
                    case.label,
                    s.env.get(&args)
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// A checkout whose env.sh lacks one variable of a pair must not get half of the pair: a
/// custom command file without `MODEL_COMMAND=custom`, or a plugins file nobody selects.
#[test]
fn fixture_checkout_never_exports_half_a_pair() {
    if !have_bash() {
        return;
    }
    let cwd = tempfile::tempdir().expect("temp dir");
    let conv = convert_guide::convert::convert(&convert_guide::convert::Request {
        input: common::corpus_guides().join("pd-disaggregation"),
        cwd: cwd.path().to_path_buf(),
        bench_dir: Some(common::fixture_bench()),
        ..Default::default()
    })
    .expect("convert");
    let s = source_scenario("pd with fixture", &conv.scenario_text);
    for stage in ["DECODE", "PREFILL"] {
        let args = format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_EXTRA_ARGS");
        if let Some(Value::Command(_)) = conv.scenario.export(&args).map(|e| &e.value) {
            assert_eq!(
                s.env
                    .get(&format!(
                        "LLMDBENCH_VLLM_MODELSERVICE_{stage}_MODEL_COMMAND"
                    ))
                    .map(String::as_str),
                Some("custom"),
                "{args} holds a shell command line, but the model command is not custom"
            );
        }
    }
    check_plugins("pd with fixture", &conv, &s);
}

#[test]
fn pd_disaggregation_env_matches_the_guide() {
    if !have_bash() {
        return;
    }
    let conv = common::convert_builtin(&common::corpus_guides().join("pd-disaggregation"));
    let s = source_scenario("pd", &conv.scenario_text);
    let label = "pd";
    assert_eq!(
        var(&s, label, "LLMDBENCH_DEPLOY_MODEL_LIST"),
        "openai/gpt-oss-120b"
    );
    assert_eq!(
        var(&s, label, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
        "1"
    );
    assert_eq!(
        var(&s, label, "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS"),
        "4"
    );
    let cmd = file_content(&s, label, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS");
    let words = common::sh_words(&cmd);
    assert_eq!(
        words[0],
        "REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_PREPROCESS"
    );
    assert_eq!(words[1], ";");
    assert_eq!(&words[2..4], ["vllm", "serve"]);
    let at = words
        .iter()
        .position(|w| w == "--kv-transfer-config")
        .expect("flag");
    assert_eq!(
        words[at + 1],
        r#"{"kv_connector":"NixlConnector", "kv_role":"kv_both"}"#
    );
}

// ---------------------------------------------------------------------------------------
// Hostile input

/// Strings that would run, break out of quotes or end a heredoc if written carelessly.
const HOSTILE: &[&str] = &[
    "$(touch CANARY)",
    "`touch CANARY`",
    "it's \"quoted\" \\ back\\slash",
    "line one\nEOF\n$(touch CANARY)\nline four",
    "EOF",
    "REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL",
    "REPLACE_ENV_X++++default=$(touch CANARY)",
    "'; touch CANARY; echo '",
];

/// A YAML double-quoted scalar of `s`.
fn yq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hostile_guide(dir: &Path) -> PathBuf {
    let model = "m/$(touch CANARY)`touch CANARY`'\"\\x\nEOF\nREPLACE_ENV_LLMDBENCH_X";
    let mut y = String::new();
    y.push_str(&format!(
        "modelArtifacts:\n  name: {}\n  size: 1Gi\n",
        yq(model)
    ));
    y.push_str("decode:\n  create: true\n  replicas: 2\n  containers:\n    - name: vllm\n");
    y.push_str("      image: ghcr.io/llm-d/llm-d-cuda:v0.5.0\n      modelCommand: vllmServe\n");
    y.push_str("      args:\n");
    for h in HOSTILE {
        y.push_str(&format!(
            "        - \"--served-extra\"\n        - {}\n",
            yq(h)
        ));
    }
    y.push_str("      env:\n");
    for (i, h) in HOSTILE.iter().enumerate() {
        y.push_str(&format!(
            "        - name: HOSTILE_{i}\n          value: {}\n",
            yq(h)
        ));
    }
    y.push_str("      volumeMounts:\n");
    for (i, h) in HOSTILE.iter().enumerate() {
        y.push_str(&format!(
            "        - name: {}\n          mountPath: /mnt/{i}\n",
            yq(h)
        ));
    }
    y.push_str("  volumes:\n");
    for h in HOSTILE {
        y.push_str(&format!("    - name: {}\n      emptyDir: {{}}\n", yq(h)));
    }
    y.push_str("prefill:\n  create: false\n");
    let ms = dir.join("hostile/ms-x");
    std::fs::create_dir_all(&ms).expect("create guide");
    std::fs::write(ms.join("values.yaml"), y).expect("write guide");
    dir.join("hostile")
}

#[test]
fn hostile_values_stay_data() {
    if !have_bash() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let input = hostile_guide(dir.path());
    // The guide itself must parse to the strings above.
    let text = std::fs::read_to_string(input.join("ms-x/values.yaml")).expect("read");
    let doc = yaml::parse_one("ms-x/values.yaml", &text).expect("hostile YAML parses");
    assert_eq!(
        doc.root
            .at("decode.containers[0].env[3].value")
            .and_then(Node::as_str),
        Some(HOSTILE[3])
    );

    let conv = common::convert_builtin(&input);
    let s = source_scenario("hostile", &conv.scenario_text);
    let canaries: Vec<_> = walk_files(dir.path())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("CANARY"))
        })
        .collect();
    assert!(
        canaries.is_empty(),
        "a guide value ran as a command: {canaries:?}"
    );
    check_exports("hostile", &conv, &s);
    check_plugins("hostile", &conv, &s);

    let label = "hostile";
    // llm-d-benchmark pastes the model name unquoted into the vLLM command line: a name
    // that is not one plain word is refused, loudly, and the benchmark's default stays.
    assert_eq!(
        var(&s, label, "LLMDBENCH_DEPLOY_MODEL_LIST"),
        "facebook/opt-125m"
    );
    assert!(
        conv.warning_texts().iter().any(|w| w
            .starts_with("LLMDBENCH_DEPLOY_MODEL_LIST not set from ms-x/values.yaml:2: refused:")),
        "{:#?}",
        conv.warnings
    );
    // Values holding REPLACE_ENV_ are written nowhere (llm-d-benchmark would substitute
    // them), and each is reported.
    let kept: Vec<&str> = HOSTILE
        .iter()
        .copied()
        .filter(|h| !h.contains("REPLACE_ENV_"))
        .collect();
    let not_mapped = conv
        .scenario_text
        .split_once("# Not mapped: ")
        .map_or("", |(_, b)| b);
    for (i, h) in HOSTILE.iter().enumerate() {
        if h.contains("REPLACE_ENV_") {
            for path in [
                format!("decode.containers[0].env[{i}] ("),
                format!("decode.volumes[{i}] ("),
                format!("decode.containers[0].volumeMounts[{i}] ("),
            ] {
                assert!(
                    not_mapped.contains(&path)
                        && not_mapped.contains("refused: it holds REPLACE_ENV_"),
                    "{path} not reported:\n{not_mapped}"
                );
            }
        }
    }
    // Env entries come back with their values, through bash and YAML.
    let env = file_content(
        &s,
        label,
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_ENVVARS_TO_YAML",
    );
    let env_doc = yaml::parse_one("env", &env).expect("env YAML");
    for (i, h) in HOSTILE.iter().enumerate() {
        if h.contains("REPLACE_ENV_") {
            assert!(!env.contains(&format!("HOSTILE_{i}\n")), "{env}");
            continue;
        }
        let entry = env_doc
            .root
            .as_seq()
            .expect("env list")
            .iter()
            .find(|e| e.get("name").and_then(Node::as_str) == Some(&format!("HOSTILE_{i}")))
            .unwrap_or_else(|| panic!("HOSTILE_{i} missing from {env}"));
        assert_eq!(entry.get("value").and_then(Node::as_str), Some(*h), "{env}");
    }
    // Volume and mount names too.
    for var_name in [
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUME_MOUNTS",
    ] {
        let content = file_content(&s, label, var_name);
        let d = yaml::parse_one(var_name, &content).expect("YAML");
        let names: Vec<&str> = d
            .root
            .as_seq()
            .expect("list")
            .iter()
            .filter_map(|v| v.get("name").and_then(Node::as_str))
            .collect();
        assert_eq!(names, kept, "{var_name}:\n{content}");
    }
    // Args: each hostile value is one word of the one-line command.
    let cmd = file_content(&s, label, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS");
    let words = common::sh_words(&cmd);
    let values: Vec<&str> = words
        .windows(2)
        .filter(|w| w[0] == "--served-extra")
        .map(|w| w[1].as_str())
        .collect();
    // A multi-line arg cannot be on the one-line command: it is left out, and said so.
    let one_line: Vec<&str> = kept.iter().copied().filter(|h| !h.contains('\n')).collect();
    assert_eq!(values, one_line, "{cmd}");
    let block = conv
        .scenario_text
        .split_once("# Not mapped: ")
        .map_or("", |(_, b)| b);
    let multi = HOSTILE
        .iter()
        .position(|h| h.contains('\n'))
        .expect("a multi-line value");
    assert!(
        block.contains(&format!("decode.containers[0].args[{}] (", 2 * multi + 1)),
        "the multi-line arg is not reported:\n{block}"
    );
}

fn walk_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// shellcheck, and the one-line-per-variable invariant e2e.sh relies on

/// Every corpus scenario (every guide and variant, with and without a sweep), the hostile
/// guide's and the fixture checkout's, checked by shellcheck in one run. The scenarios
/// declare their shell and their one exclusion (SC2155, see `render`) in their header.
#[test]
fn generated_scenarios_pass_shellcheck() {
    if !common::require_tool(
        "shellcheck",
        "the generated scenarios are not checked (apt-get install shellcheck)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    let mut add = |label: &str, text: &str| {
        let path = dir.path().join(format!("{}.sh", label.replace('/', "_")));
        std::fs::write(&path, text).expect("write scenario");
        files.push(path);
    };
    for case in common::corpus_cases() {
        add(&case.label, &common::convert_case(&case).scenario_text);
    }
    let cwd = tempfile::tempdir().expect("temp dir");
    for g in common::HELM_GUIDES {
        let conv = convert_guide::convert::convert(&convert_guide::convert::Request {
            input: common::corpus_guides().join(g),
            cwd: cwd.path().to_path_buf(),
            bench_dir: Some(common::fixture_bench()),
            variations: vec![
                convert_guide::experiment::Variation::parse_flag("decode_replicas=1..3")
                    .expect("variation"),
            ],
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{g}: {e}"));
        add(&format!("sweep-{g}"), &conv.scenario_text);
    }
    let hostile = hostile_guide(dir.path());
    add("hostile", &common::convert_builtin(&hostile).scenario_text);
    let out = Command::new("shellcheck")
        .arg("--format=gcc")
        .args(&files)
        .output()
        .expect("run shellcheck");
    assert!(
        out.status.success(),
        "shellcheck on {} scenarios:\n{}{}",
        files.len(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(files.len() > 60, "{}", files.len());
}

/// e2e.sh replaces every line holding `VAR=` of a swept variable by `export VAR=value`:
/// each exported variable is on exactly one such line, its export (file-valued ones too:
/// `export VAR=$(mktemp)`, then `cat ... > "$VAR"`, which holds no `VAR=`).
#[test]
fn each_variable_has_one_line_holding_var_eq() {
    for case in common::corpus_cases() {
        let conv = common::convert_case(&case);
        for e in &conv.scenario.exports {
            let needle = format!("{}=", e.var);
            let lines: Vec<&str> = conv
                .scenario_text
                .lines()
                .filter(|l| l.contains(&needle))
                .collect();
            assert_eq!(lines.len(), 1, "{}: {}: {lines:?}", case.label, e.var);
            assert!(
                lines[0].starts_with(&format!("export {needle}")),
                "{}",
                lines[0]
            );
        }
    }
}

/// SC2155 is off for `export VAR=$(mktemp)`: a mktemp that fails is still not silent, the
/// next line's `> "$VAR"` fails, and `set -e` stops there.
#[test]
fn a_failing_mktemp_stops_the_scenario() {
    if !have_bash() {
        return;
    }
    let conv =
        common::convert_builtin(&common::crate_root().join("examples/guides/small-scheduling"));
    assert!(conv.scenario_text.contains("=$(mktemp)\n"));
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let fake = bin.join("mktemp");
    std::fs::write(&fake, "#!/bin/sh\nexit 1\n").expect("fake mktemp");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let scenario = dir.path().join("s.sh");
    std::fs::write(&scenario, &conv.scenario_text).expect("write");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"set -euo pipefail; source "$1"; echo SOURCED"#)
        .arg("bash")
        .arg(&scenario)
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .expect("run bash");
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("SOURCED"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No such file or directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
