//! The bash writer on the deployment model: handlers read typed fields.

use super::{Options, map};
use crate::bench::defaults::Defaults;
use crate::model::scenario::Value;
use crate::read::guide;
use crate::read::yaml::parse_values;

fn guide_of(files: &[&str]) -> guide::Model {
    let mut sources = Vec::new();
    for (i, text) in files.iter().enumerate() {
        let mut doc = parse_values(&format!("values-{i}.yaml"), text)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        doc.root.set_src(i);
        sources.push(doc);
    }
    guide::Model {
        variant: None,
        roots: sources.iter().map(|d| d.root.clone()).collect(),
        sources,
        overridden: Vec::new(),
        warnings: Vec::new(),
        used: Vec::new(),
        overlay: None,
    }
}

fn text(s: &crate::model::scenario::Scenario, var: &str) -> Option<String> {
    match s.export(var).map(|e| &e.value) {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

/// The handlers take their values from the deployment's typed fields: a field changed in
/// the model (its origin kept) is what the scenario exports.
#[test]
fn handlers_read_the_typed_fields() {
    let g = guide_of(&[
        "modelArtifacts:\n  name: org/guide-model\ndecode:\n  replicas: 2\n  parallelism:\n    tensor: 2\n",
    ]);
    let mut dep = crate::model::from_guide(&g).unwrap_or_else(|e| panic!("{e}"));
    let (Some(name), Some(replicas), Some(tensor)) = (
        dep.model.name.as_mut(),
        dep.decode.replicas.as_mut(),
        dep.decode.parallelism.tensor.as_mut(),
    ) else {
        panic!("the model lacks name, replicas or tensor parallelism: {dep:?}");
    };
    name.value = "org/model-of-the-model".into();
    replicas.value = "3".into();
    tensor.value = "4".into();
    let s = map(&dep, &Defaults::builtin(), &Options::default(), "t");
    assert_eq!(
        text(&s, "LLMDBENCH_DEPLOY_MODEL_LIST").as_deref(),
        Some("org/model-of-the-model")
    );
    assert_eq!(
        text(&s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS").as_deref(),
        Some("3")
    );
    assert_eq!(
        text(&s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM").as_deref(),
        Some("4")
    );
}

/// The model holds the first tree's value of a path; a second tree that disagrees is
/// read from its own node and reported, not silently given the first one's value.
#[test]
fn a_second_tree_that_disagrees_is_still_reported() {
    let g = guide_of(&[
        "modelArtifacts:\n  name: org/first\n",
        "modelArtifacts:\n  name: org/second\n",
    ]);
    let dep = crate::model::from_guide(&g).unwrap_or_else(|e| panic!("{e}"));
    let s = map(&dep, &Defaults::builtin(), &Options::default(), "t");
    assert_eq!(
        text(&s, "LLMDBENCH_DEPLOY_MODEL_LIST").as_deref(),
        Some("org/first")
    );
    assert!(
        s.unmapped.iter().any(|n| n.origin.file == "values-1.yaml"
            && n.reason.contains("LLMDBENCH_DEPLOY_MODEL_LIST is already")),
        "{:#?}",
        s.unmapped
    );
}
