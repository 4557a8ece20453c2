//! Helmfile environments as variants: each picks the values files the helmfile's own
//! branches pick (an oracle table written by reading the helmfiles), every variant converts
//! (or fails for the reason the guide gives), and names carry the variant.

use std::collections::BTreeMap;

use convert_guide::convert::{self, Bench, Request};
use convert_guide::load::source;
use convert_guide::read::guide;
use convert_guide::read::helmfile::Chart;

use crate::common::corpus_guides;

/// (guide, environment, modelservice values, GAIE values), read off each helmfile's
/// `if eq .Environment.Name ...` chains; `*` is the `else` branch.
const ORACLE: &[(&str, &str, &str, &str)] = &[
    (
        "inference-scheduling",
        "gke_tpu",
        "ms-inference-scheduling/values_tpu.yaml",
        "gaie-inference-scheduling/values.yaml",
    ),
    (
        "inference-scheduling",
        "xpu",
        "ms-inference-scheduling/values_xpu.yaml",
        "gaie-inference-scheduling/values.yaml",
    ),
    (
        "inference-scheduling",
        "gaudi",
        "ms-inference-scheduling/values-gaudi.yaml",
        "gaie-inference-scheduling/values.yaml",
    ),
    (
        "inference-scheduling",
        "cpu",
        "ms-inference-scheduling/values_cpu.yaml",
        "gaie-inference-scheduling/values.yaml",
    ),
    (
        "inference-scheduling",
        "digitalocean",
        "ms-inference-scheduling/digitalocean-values.yaml",
        "gaie-inference-scheduling/values.yaml",
    ),
    (
        "inference-scheduling",
        "*",
        "ms-inference-scheduling/values.yaml",
        "gaie-inference-scheduling/values.yaml",
    ),
    (
        "pd-disaggregation",
        "xpu",
        "ms-pd/values_xpu.yaml",
        "gaie-pd/values.yaml",
    ),
    (
        "pd-disaggregation",
        "gke_tpu",
        "ms-pd/values_tpu.yaml",
        "gaie-pd/values.yaml",
    ),
    (
        "pd-disaggregation",
        "gke_pd_rdma",
        "ms-pd/values_gke_rdma.yaml",
        "gaie-pd/values.yaml",
    ),
    (
        "pd-disaggregation",
        "*",
        "ms-pd/values.yaml",
        "gaie-pd/values.yaml",
    ),
    (
        "precise-prefix-cache-aware",
        "xpu",
        "ms-kv-events/values_xpu.yaml",
        "gaie-kv-events/values.yaml",
    ),
    (
        "precise-prefix-cache-aware",
        "xpu-kgateway",
        "ms-kv-events/values_xpu.yaml",
        "gaie-kv-events/values.yaml",
    ),
    (
        "precise-prefix-cache-aware",
        "*",
        "ms-kv-events/values.yaml",
        "gaie-kv-events/values.yaml",
    ),
    (
        "simulated-accelerators",
        "*",
        "ms-sim/values.yaml",
        "gaie-sim/values.yaml",
    ),
    (
        "workload-autoscaling",
        "*",
        "ms-workload-autoscaling/values.yaml",
        "gaie-workload-autoscaling/values.yaml",
    ),
];

/// Variants that cannot convert, and why (the guide's own reason).
const FAILING: &[(&str, &str, &str)] = &[
    // The branch names a folder the guide does not ship.
    (
        "inference-scheduling",
        "standalone",
        "standalone-inference-scheduling/values.yaml",
    ),
    // Only the autoscaler is installed: no model server to benchmark.
    (
        "workload-autoscaling",
        "wva-only",
        "modelservice or GAIE values",
    ),
    // The gke branch reads .Environment.Values.inferencePool.apiVersion, which gke.yaml lacks;
    // helmfile renders with missingkey=error, so it fails there too.
    (
        "precise-prefix-cache-aware",
        "gke",
        "no entry for key \"inferencePool\"",
    ),
    (
        "simulated-accelerators",
        "gke",
        "no entry for key \"inferencePool\"",
    ),
];

/// The environments each helmfile declares, in its order.
const ENVIRONMENTS: &[(&str, &[&str])] = &[
    (
        "inference-scheduling",
        &[
            "istio",
            "kgateway",
            "agentgateway",
            "gke",
            "gke_tpu",
            "standalone",
            "xpu",
            "gaudi",
            "cpu",
            "digitalocean",
            "default",
        ],
    ),
    (
        "pd-disaggregation",
        &[
            "istio",
            "kgateway",
            "agentgateway",
            "gke",
            "gke_pd_rdma",
            "gke_tpu",
            "xpu",
            "aks",
            "default",
        ],
    ),
    (
        "precise-prefix-cache-aware",
        &[
            "istio",
            "kgateway",
            "agentgateway",
            "gke",
            "xpu",
            "xpu-kgateway",
            "default",
        ],
    ),
    (
        "simulated-accelerators",
        &["istio", "kgateway", "agentgateway", "gke", "default"],
    ),
    (
        "workload-autoscaling",
        &["istio", "kgateway", "wva-only", "default"],
    ),
];

fn expected(guide: &str, env: &str) -> (&'static str, &'static str) {
    let row = ORACLE
        .iter()
        .find(|(g, e, _, _)| *g == guide && *e == env)
        .or_else(|| ORACLE.iter().find(|(g, e, _, _)| *g == guide && *e == "*"))
        .unwrap_or_else(|| panic!("no oracle row for {guide}"));
    (row.2, row.3)
}

#[test]
fn variants_are_the_helmfile_environments() {
    for (g, envs) in ENVIRONMENTS {
        let opened = source::open_local(&corpus_guides().join(g)).expect("open");
        let got = guide::variants(&opened).unwrap_or_else(|e| panic!("{g}: {e}"));
        assert_eq!(&got, envs, "{g}");
    }
}

#[test]
fn each_variant_uses_the_files_of_the_helmfile_branch() {
    for (g, envs) in ENVIRONMENTS {
        let opened = source::open_local(&corpus_guides().join(g)).expect("open");
        for env in *envs {
            let built = guide::build(&opened, Some(env));
            if let Some((_, _, why)) = FAILING.iter().find(|(fg, fe, _)| fg == g && fe == env) {
                let err = built.err().map(|e| e.to_string()).unwrap_or_default();
                assert!(
                    err.contains(why),
                    "{g}/{env}: expected a failure naming {why:?}, got {err:?}"
                );
                continue;
            }
            let model = built.unwrap_or_else(|e| panic!("{g}/{env}: {e}"));
            let files = |chart: Chart| -> Vec<&str> {
                model
                    .used
                    .iter()
                    .filter(|(c, _)| *c == chart)
                    .map(|(_, f)| f.as_str())
                    .collect()
            };
            let (ms, gaie) = expected(g, env);
            assert_eq!(
                files(Chart::ModelService),
                vec![ms],
                "{g}/{env}: modelservice values"
            );
            assert_eq!(files(Chart::Gaie), vec![gaie], "{g}/{env}: GAIE values");
        }
    }
}

#[test]
fn every_variant_converts_and_is_named_after_it() {
    let bench = Bench::builtin();
    let mut names = BTreeMap::new();
    for (g, envs) in ENVIRONMENTS {
        let opened = source::open_local(&corpus_guides().join(g)).expect("open");
        for env in *envs {
            if FAILING.iter().any(|(fg, fe, _)| fg == g && fe == env) {
                continue;
            }
            let req = Request {
                variant: Some(env.to_string()),
                ..Request::default()
            };
            let c = convert::convert_guide(&opened, &bench, &req)
                .unwrap_or_else(|e| panic!("{g}/{env}: {e}"));
            let want = if *env == "default" {
                g.to_string()
            } else {
                format!("{g}.{env}")
            };
            assert_eq!(c.name, want);
            assert!(
                c.scenario_text
                    .contains(&format!("# Variant: {env} (helmfile environment)")),
                "{g}/{env}"
            );
            assert!(
                names.insert(c.name.clone(), ()).is_none(),
                "two variants named {}",
                c.name
            );
        }
    }
}

#[test]
fn environment_values_reach_the_scenario_with_their_own_file_and_line() {
    let bench = Bench::builtin();
    // gke: the infra release's gateway class comes from the gke provider file, written as
    // the class name llm-d-benchmark installs (gke for GKE's managed classes).
    let opened = source::open_local(&corpus_guides().join("inference-scheduling")).expect("open");
    let req = Request {
        variant: Some("gke".into()),
        ..Request::default()
    };
    let c = convert::convert_guide(&opened, &bench, &req).expect("convert gke");
    let e = c
        .scenario
        .export("LLMDBENCH_VLLM_MODELSERVICE_GATEWAY_CLASS_NAME")
        .expect("gateway class exported");
    assert_eq!(
        e.value,
        convert_guide::model::scenario::Value::Text("gke".into())
    );
    // The template copied the guide's class from the environment (`toYaml`): the origin is
    // the environment's values file, at the line that holds it (issue 10); the exported
    // value is the class llm-d-benchmark installs for it.
    let origin = &e.origins[0];
    assert_eq!(
        origin.file,
        "../prereq/gateway-provider/common-configurations/gke.yaml"
    );
    assert!(
        origin
            .lines
            .iter()
            .any(|l| l.contains("gatewayClassName: gke-l7-regional-external-managed")),
        "{origin:?}"
    );
    // xpu: the decode image is the xpu one, from values_xpu.yaml.
    let req = Request {
        variant: Some("xpu".into()),
        ..Request::default()
    };
    let c = convert::convert_guide(&opened, &bench, &req).expect("convert xpu");
    let name = c
        .scenario
        .export("LLMDBENCH_LLMD_IMAGE_NAME")
        .expect("image name");
    assert_eq!(
        name.origins[0].file,
        "ms-inference-scheduling/values_xpu.yaml"
    );
}

#[test]
fn a_set_entry_of_the_helmfile_wins_and_is_cited() {
    // precise-prefix-cache-aware sets decode.containers[0].env[0].value to the release postfix.
    let bench = Bench::builtin();
    let opened =
        source::open_local(&corpus_guides().join("precise-prefix-cache-aware")).expect("open");
    let c = convert::convert_guide(&opened, &bench, &Request::default()).expect("convert");
    let env = c
        .scenario
        .export("LLMDBENCH_VLLM_MODELSERVICE_DECODE_ENVVARS_TO_YAML")
        .expect("env file");
    let convert_guide::model::scenario::Value::File(content) = &env.value else {
        panic!("env is a file")
    };
    assert!(
        content.contains("- name: GAIE_RELEASE_NAME_POSTFIX\n  value: \"kv-events\"\n"),
        "{content}"
    );
}

#[test]
fn unknown_variant_lists_the_declared_ones() {
    let opened = source::open_local(&corpus_guides().join("pd-disaggregation")).expect("open");
    let err = guide::build(&opened, Some("mars"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("mars") && err.contains("gke_pd_rdma") && err.contains("default"),
        "{err}"
    );
}
