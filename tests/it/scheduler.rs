//! The scheduler (EPP) side of a conversion, and the vLLM settings it must agree with:
//! KV-events publishing, values the scheduler shares with vLLM, EPP flags and sidecars, and
//! what the 2026-03-30 checkout appends to the pods' env. See docs/behaviour-scheduler.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use convert_guide::convert::{self, Bench, Conversion, Request};
use convert_guide::experiment::Variation;
use convert_guide::experiment::check::{self, Context, Severity};
use convert_guide::experiment::scenario_text::ScenarioText;
use convert_guide::model::scenario::Value;

use crate::common;

const MARCH: &str = "../shared/corpus/llm-d-benchmark/2026-03-30";
const SERVICE: &str = "REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_SERVICE_NAME";
const MODEL: &str = "REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL";

fn march() -> PathBuf {
    common::crate_root().join(MARCH)
}

fn convert(guide: &str, variant: &str, bench: Option<PathBuf>, vary: &[&str]) -> Conversion {
    let cwd = tempfile::tempdir().expect("temp dir");
    convert::convert(&Request {
        input: common::corpus_guides().join(guide),
        cwd: cwd.path().to_path_buf(),
        bench_dir: bench,
        variant: Some(variant.to_string()),
        variations: vary
            .iter()
            .map(|v| Variation::parse_flag(v).expect("variation"))
            .collect(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("convert {guide} {variant}: {e}"))
}

fn text<'a>(c: &'a Conversion, var: &str) -> Option<&'a str> {
    match c.scenario.export(var).map(|e| &e.value) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

fn file<'a>(c: &'a Conversion, var: &str) -> &'a str {
    match c.scenario.export(var).map(|e| &e.value) {
        Some(Value::File(t)) => t,
        other => panic!("{var}: expected a file, got {other:?}"),
    }
}

fn command(c: &Conversion, var: &str) -> String {
    match c.scenario.export(var).map(|e| &e.value) {
        Some(Value::Command(lines)) => lines.join(" "),
        other => panic!("{var}: expected a command, got {other:?}"),
    }
}

const DECODE_ARGS: &str = "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS";
const PLUGINS: &str = "LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS";

/// What `/bin/sh` passes to vLLM as the value of `flag` when it runs `line` (the command
/// file's content, as step 09 runs it), with the env given.
fn flag_value_in_shell(line: &str, flag: &str, env: &[(&str, &str)]) -> String {
    let script = format!(
        "vllm() {{ while [ $# -gt 0 ]; do if [ \"$1\" = {flag} ]; then printf '%s' \"$2\"; fi; shift; done; }}\n{}",
        line.replace("exec vllm", "vllm").replace("set -x;", "")
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(&script).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("bash is needed for this test: {e}"));
    assert!(out.status.success(), "{script}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn kv_events_publish_to_the_benchmark_epp_with_the_deployed_model() {
    for variant in ["istio", "xpu"] {
        for bench in [None, Some(march())] {
            let c = convert("precise-prefix-cache-aware", variant, bench.clone(), &[]);
            let line = command(&c, DECODE_ARGS);
            // Step 09 deletes every backslash of the last argument: there must be none.
            let last = line.rsplit("--").next().unwrap_or_default();
            assert!(!last.contains('\\'), "{variant}: {line}");
            let json = flag_value_in_shell(
                &line
                    .replace("$(NAMESPACE)", "ns")
                    .replace("$(POD_IP)", "10.0.0.1"),
                "--kv-events-config",
                &[("NAMESPACE", "ns"), ("POD_IP", "10.0.0.1")],
            );
            let v: serde_json::Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{variant}: {json}: {e}\n{line}"));
            assert_eq!(
                v["endpoint"],
                format!("tcp://{SERVICE}.ns.svc.cluster.local:5557"),
                "{variant} {bench:?}"
            );
            assert_eq!(v["topic"], format!("kv@10.0.0.1@{MODEL}"), "{variant}");
            assert_eq!(v["enable_kv_cache_events"], true);
        }
    }
}

#[test]
fn scheduler_copies_of_vllm_values_are_the_same_tokens() {
    for variant in ["istio", "xpu"] {
        let c = convert("precise-prefix-cache-aware", variant, None, &[]);
        let plugins = file(&c, PLUGINS);
        assert!(
            plugins.contains("blockSize: REPLACE_ENV_LLMDBENCH_VLLM_COMMON_BLOCK_SIZE\n"),
            "{variant}: {plugins}"
        );
        assert!(
            plugins.contains("modelName: \"REPLACE_ENV_LLMDBENCH_DEPLOY_MODEL_LIST\"\n"),
            "{plugins}"
        );
        // vLLM's block size is that variable's token too.
        let line = command(&c, DECODE_ARGS);
        assert!(
            line.contains("--block-size REPLACE_ENV_LLMDBENCH_VLLM_COMMON_BLOCK_SIZE"),
            "{variant}: {line}"
        );
    }
    // The xpu variant serves another model than the plugin file names: said, and fixed.
    let c = convert("precise-prefix-cache-aware", "xpu", None, &[]);
    assert!(
        c.warning_texts()
            .iter()
            .any(|w| w.contains("tokenizer model Qwen/Qwen3-32B is not the model vLLM serves")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn a_sweep_that_breaks_a_coupling_is_an_error_of_check_experiment() {
    let c = convert(
        "precise-prefix-cache-aware",
        "istio",
        None,
        &["block_size=16,64"],
    );
    let bench = Bench::locate(None, Path::new("/")).expect("built-in bench");
    let exp = c.experiment_text.as_deref().expect("an experiment");
    let run = |scenario: &str| {
        let ctx = Context {
            defaults: &bench.defaults,
            catalog: &bench.catalog,
            scenario: Some(ScenarioText::new("scenario.sh", scenario)),
        };
        check::check("experiment.yaml", exp, &ctx)
    };
    let coupling = |r: &check::Report| {
        r.findings
            .iter()
            .filter(|f| {
                f.severity == Severity::Error && f.message.contains("scheduler's blockSize")
            })
            .count()
    };
    assert_eq!(coupling(&run(&c.scenario_text)), 0);
    // The same scenario with the scheduler's block size written literally.
    let literal = c.scenario_text.replace(
        "blockSize: REPLACE_ENV_LLMDBENCH_VLLM_COMMON_BLOCK_SIZE",
        "blockSize: 64",
    );
    assert_ne!(literal, c.scenario_text);
    assert_eq!(coupling(&run(&literal)), 1);
}

#[test]
fn epp_verbosity_and_routing_sidecar_where_the_checkout_has_them() {
    let c = convert("precise-prefix-cache-aware", "istio", Some(march()), &[]);
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_EPP_VERBOSITY"),
        Some("4")
    );
    // No proxy in the guide: no routing sidecar, and vLLM on the inference port.
    assert_eq!(
        text(&c, "LLMDBENCH_LLMD_ROUTINGSIDECAR_ENABLED"),
        Some("false")
    );
    let line = command(&c, DECODE_ARGS);
    assert!(
        line.contains("--port REPLACE_ENV_LLMDBENCH_VLLM_COMMON_INFERENCE_PORT"),
        "{line}"
    );
    // The built-in (February) table has neither: the sidecar stays, and the verbosity warns.
    let c = convert("precise-prefix-cache-aware", "istio", None, &[]);
    assert_eq!(text(&c, "LLMDBENCH_LLMD_ROUTINGSIDECAR_ENABLED"), None);
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_EPP_VERBOSITY"),
        None
    );
    let line = command(&c, DECODE_ARGS);
    assert!(
        line.contains("--port REPLACE_ENV_LLMDBENCH_VLLM_COMMON_METRICS_PORT"),
        "{line}"
    );
    assert!(
        c.warning_texts()
            .iter()
            .any(|w| w.contains("the EPP's log verbosity 4 is not carried")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn ucx_and_nixl_env_survive_what_the_march_checkout_appends() {
    let env_file = "LLMDBENCH_VLLM_MODELSERVICE_DECODE_ENVVARS_TO_YAML";
    let c = convert("pd-disaggregation", "xpu", Some(march()), &[]);
    assert_eq!(text(&c, "LLMDBENCH_VLLM_COMMON_UCX_TLS"), Some("tcp"));
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_COMMON_NIXL_SIDE_CHANNEL_PORT"),
        Some("5600")
    );
    let env = file(&c, env_file);
    assert!(
        env.contains("- name: UCX_TLS\n  value: \"REPLACE_ENV_LLMDBENCH_VLLM_COMMON_UCX_TLS\"\n"),
        "{env}"
    );
    // February has no UCX variables: the entry is written as the guide has it.
    let c = convert("pd-disaggregation", "xpu", None, &[]);
    assert_eq!(text(&c, "LLMDBENCH_VLLM_COMMON_UCX_TLS"), None);
    let env = file(&c, env_file);
    assert!(env.contains("- name: UCX_TLS\n  value: \"tcp\"\n"), "{env}");
}

#[test]
fn the_epp_tokenizer_sidecar_where_the_checkout_has_it() {
    let values = common::corpus_guides()
        .join("precise-prefix-cache-aware/gaie-kv-events-disaggregated-tokenization/values.yaml");
    let at = |bench: Option<PathBuf>| {
        let cwd = tempfile::tempdir().expect("temp dir");
        convert::convert(&Request {
            input: values.clone(),
            cwd: cwd.path().to_path_buf(),
            bench_dir: bench,
            ..Default::default()
        })
        .expect("converts")
    };
    let c = at(Some(march()));
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_SIDECAR_ENABLED"),
        Some("True")
    );
    assert_eq!(
        text(&c, "LLMDBENCH_LLMD_UDS_TOKENIZER_IMAGE_REGISTRY"),
        Some("registry-cn-hangzhou.ack.aliyuncs.com")
    );
    assert_eq!(
        text(&c, "LLMDBENCH_LLMD_UDS_TOKENIZER_IMAGE_TAG"),
        Some("v0.5.0.rc1-0-apsara")
    );
    assert!(
        !c.warning_texts()
            .iter()
            .any(|w| w.contains("tokenizer sidecar"))
    );
    let c = at(None);
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_SIDECAR_ENABLED"),
        None
    );
    assert!(
        c.warning_texts()
            .iter()
            .any(|w| w.contains("the guide's EPP tokenizer sidecar is not deployed")),
        "{:?}",
        c.warnings
    );
}

/// A NIXL guide that leaves UCX's transports to UCX keeps UCX's own defaults where the
/// checkout would append its own list (2026-03-30); the other eras and a guide that sets
/// UCX_TLS are left alone.
#[test]
fn nixl_with_ucx_left_to_ucx_keeps_ucx_defaults_where_the_checkout_appends_ucx_tls() {
    let c = convert("pd-disaggregation", "default", Some(march()), &[]);
    assert_eq!(text(&c, "LLMDBENCH_VLLM_COMMON_UCX_TLS"), Some("all"));
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_COMMON_UCX_SOCKADDR_TLS_PRIORITY"),
        Some("rdmacm,tcp")
    );
    // Cited: the NixlConnector line of the decode command.
    let export = c
        .scenario
        .export("LLMDBENCH_VLLM_COMMON_UCX_TLS")
        .expect("exported");
    assert!(!export.origins.is_empty(), "the export cites the guide");
    let c = convert("pd-disaggregation", "default", None, &[]);
    assert_eq!(text(&c, "LLMDBENCH_VLLM_COMMON_UCX_TLS"), None);
    let c = convert("pd-disaggregation", "xpu", Some(march()), &[]);
    assert_eq!(text(&c, "LLMDBENCH_VLLM_COMMON_UCX_TLS"), Some("tcp"));
    assert_eq!(
        text(&c, "LLMDBENCH_VLLM_COMMON_UCX_SOCKADDR_TLS_PRIORITY"),
        None
    );
}
