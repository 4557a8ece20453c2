//! kustomize's output order: `legacy` (kinds in kustomize's order, then group, version,
//! kind, namespace, name) unless the top kustomization asks for `fifo` (`sortOptions`).

use super::*;

impl Builder<'_> {
    /// kustomize's output order: `legacy` (kind order, then group/version/kind, namespace,
    /// name) unless the top kustomization asks for `fifo`.
    pub(super) fn sort(&self, k: &Kust, acc: &mut [Resource]) -> Result<()> {
        let mut first: Vec<String> = LEGACY_FIRST.iter().map(|s| s.to_string()).collect();
        let mut last: Vec<String> = LEGACY_LAST.iter().map(|s| s.to_string()).collect();
        if let Some(e) = k.get("sortOptions") {
            let order = e.value.get("order").and_then(Node::as_str);
            match order {
                Some("fifo") => return Ok(()),
                Some("legacy") => {}
                _ => {
                    return Err(self.error_at(
                        k.src,
                        e.line,
                        "sortOptions.order is `legacy` or `fifo`",
                    ));
                }
            }
            let list = |key: &str| -> Option<Vec<String>> {
                e.value
                    .at(&format!("legacySortOptions.{key}"))
                    .and_then(Node::as_seq)
                    .map(|s| {
                        s.iter()
                            .filter_map(Node::as_str)
                            .map(String::from)
                            .collect()
                    })
            };
            if let Some(f) = list("orderFirst") {
                first = f;
            }
            if let Some(l) = list("orderLast") {
                last = l;
            }
        }
        let rank = |kind: &str| -> i64 {
            if let Some(i) = first.iter().position(|f| f == kind) {
                return i as i64 - first.len() as i64;
            }
            if let Some(i) = last.iter().position(|f| f == kind) {
                return 1 + i as i64;
            }
            0
        };
        let key = |r: &Resource| {
            let id = r.id();
            let or = |s: &str, none: &str| {
                if s.is_empty() {
                    none.to_string()
                } else {
                    s.to_string()
                }
            };
            (
                rank(&id.kind),
                format!(
                    "{}_{}_{}",
                    or(&id.group, "~G"),
                    or(&id.version, "~V"),
                    or(&id.kind, "~K")
                ),
                or(&id.namespace, "~X"),
                or(&id.name, "~N"),
            )
        };
        acc.sort_by_key(key);
        Ok(())
    }
}

/// kustomize's legacy order: these kinds first, in this order (api/resid/gvk.go).
const LEGACY_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
/// ... and these last.
const LEGACY_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];
