//! The guides llm-d publishes since April 2026 (snapshot 2026-05-01): kustomize model
//! servers built on `guides/recipes`, router values layered in the README's order, and the
//! README's shell blocks as the install recipe.

use std::path::PathBuf;

use crate::common;
use crate::kustomize::{compare, kustomization_dirs};

/// The 2026-05-01 guides folder of the corpus.
pub fn current_guides() -> PathBuf {
    common::crate_root().join("../shared/corpus/llm-d/2026-05-01/guides")
}

/// Every kustomization of the snapshot's model-server guides and recipes builds as
/// `kubectl kustomize` builds it (or both fail).
#[test]
fn current_overlays_build_as_kubectl_builds_them() {
    let guides = current_guides();
    let mut n = 0;
    for g in [
        "optimized-baseline",
        "pd-disaggregation",
        "precise-prefix-cache-aware",
        "wide-ep-lws",
        "tiered-prefix-cache",
        "recipes",
    ] {
        for d in kustomization_dirs(&guides.join(g)) {
            compare(&guides, &format!("{g}/{d}"));
            n += 1;
        }
    }
    assert!(n >= 60, "{n} kustomizations");
}
