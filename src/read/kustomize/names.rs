//! After the build: references to renamed resources follow the new names (kustomize's
//! name-reference transformer), at the places built-in kinds refer to ConfigMaps, Secrets,
//! ServiceAccounts, ... by name, and at those a `configurations` file declares.

use super::Resource;
use super::transform::{DynSpec, NameRef, map_at};
use crate::read::yaml::{Kind, Node};

/// Where built-in kinds refer to other resources by name: (referred kind, path from the pod
/// spec). Paths cross lists element by element.
const POD_REFERENCES: &[(&str, &str)] = &[
    ("ConfigMap", "volumes/configMap/name"),
    ("ConfigMap", "volumes/projected/sources/configMap/name"),
    ("ConfigMap", "containers/env/valueFrom/configMapKeyRef/name"),
    (
        "ConfigMap",
        "initContainers/env/valueFrom/configMapKeyRef/name",
    ),
    ("ConfigMap", "containers/envFrom/configMapRef/name"),
    ("ConfigMap", "initContainers/envFrom/configMapRef/name"),
    ("Secret", "volumes/secret/secretName"),
    ("Secret", "volumes/projected/sources/secret/name"),
    ("Secret", "containers/env/valueFrom/secretKeyRef/name"),
    ("Secret", "initContainers/env/valueFrom/secretKeyRef/name"),
    ("Secret", "containers/envFrom/secretRef/name"),
    ("Secret", "initContainers/envFrom/secretRef/name"),
    ("Secret", "imagePullSecrets/name"),
    ("ServiceAccount", "serviceAccountName"),
    ("ServiceAccount", "serviceAccount"),
    (
        "PersistentVolumeClaim",
        "volumes/persistentVolumeClaim/claimName",
    ),
    ("PriorityClass", "priorityClassName"),
];

/// Where the pod spec of a built-in workload is.
fn pod_spec_path(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Pod") => Some("spec"),
        ("", "ReplicationController")
        | ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job") => Some("spec/template/spec"),
        ("batch", "CronJob") => Some("spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// After the build: references to renamed resources follow the new names (kustomize's
/// name-reference transformer, for the references built-in kinds make).
pub(super) fn name_references(acc: &mut [Resource], extra: &[NameRef]) {
    // (kind, old name, namespace) -> (new name, new namespace)
    let mut renames: Vec<(String, String, String, String, String)> = Vec::new();
    for r in acc.iter() {
        let id = r.id();
        for old in &r.names {
            renames.push((
                id.kind.clone(),
                old.clone(),
                effective(&r.org.namespace),
                id.name.clone(),
                id.namespace.clone(),
            ));
        }
    }
    let lookup = |kind: &str, name: &str, ns: &str| {
        renames
            .iter()
            .find(|(k, o, n, _, _)| k == kind && o == name && n == ns)
            .or_else(|| {
                renames
                    .iter()
                    .find(|(k, o, _, _, _)| k == kind && o == name)
            })
            .map(|(_, _, _, new, new_ns)| (new.clone(), new_ns.clone()))
    };
    for r in acc.iter_mut() {
        let id = r.id();
        let ns = effective(&r.org.namespace);
        if let Some(pod) = pod_spec_path(&id.group, &id.kind) {
            for (kind, path) in POD_REFERENCES {
                let full = format!("{pod}/{path}");
                rename_at(&mut r.node, &full, &mut |name| {
                    lookup(kind, name, &ns).map(|(n, _)| n)
                });
            }
        }
        for reference in extra {
            let matching: Vec<&DynSpec> = reference.specs.iter().filter(|s| s.applies(r)).collect();
            for spec in matching {
                rename_at(&mut r.node, &spec.path, &mut |name| {
                    lookup(&reference.kind, name, &ns).map(|(n, _)| n)
                });
            }
        }
        if id.group == "apps" && id.kind == "StatefulSet" {
            rename_at(&mut r.node, "spec/serviceName", &mut |name| {
                lookup("Service", name, &ns).map(|(n, _)| n)
            });
        }
        if id.kind == "RoleBinding" || id.kind == "ClusterRoleBinding" {
            let role_kind = r
                .node
                .at("roleRef.kind")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            rename_at(&mut r.node, "roleRef/name", &mut |name| {
                lookup(&role_kind, name, &ns).map(|(n, _)| n)
            });
            rename_subjects(&mut r.node, &lookup);
        }
    }
}

fn effective(ns: &str) -> String {
    if ns.is_empty() {
        "default".into()
    } else {
        ns.into()
    }
}

/// Replace the scalar at `path` (crossing lists) by what `f` returns for it.
fn rename_at(root: &mut Node, path: &str, f: &mut dyn FnMut(&str) -> Option<String>) {
    let segs: Vec<&str> = path.split('/').collect();
    let mut stack: Vec<(&mut Node, usize)> = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        if matches!(node.kind, Kind::Seq(_)) {
            if let Kind::Seq(items) = &mut node.kind {
                stack.extend(items.iter_mut().map(|i| (i, depth)));
            }
            continue;
        }
        let Some(seg) = segs.get(depth) else {
            if let Kind::Scalar(s) = &mut node.kind
                && let Some(new) = f(&s.value)
            {
                s.value = new;
            }
            continue;
        };
        if let Kind::Map(entries) = &mut node.kind
            && let Some(e) = entries.iter_mut().find(|e| e.key == *seg)
        {
            stack.push((&mut e.value, depth + 1));
        }
    }
}

type Lookup<'a> = dyn Fn(&str, &str, &str) -> Option<(String, String)> + 'a;

fn rename_subjects(node: &mut Node, lookup: &Lookup<'_>) {
    let Some(subjects) = map_at(node, "subjects") else {
        return;
    };
    let Kind::Seq(items) = &mut subjects.kind else {
        return;
    };
    for s in items.iter_mut() {
        if s.get("kind").and_then(Node::as_str) != Some("ServiceAccount") {
            continue;
        }
        let name = s
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let ns = effective(s.get("namespace").and_then(Node::as_str).unwrap_or(""));
        let Some((new, new_ns)) = lookup("ServiceAccount", &name, &ns) else {
            continue;
        };
        if let Some(Node {
            kind: Kind::Scalar(sc),
            ..
        }) = map_at(s, "name")
        {
            sc.value = new;
        }
        if !new_ns.is_empty()
            && let Some(Node {
                kind: Kind::Scalar(sc),
                ..
            }) = map_at(s, "namespace")
        {
            sc.value = new_ns;
        }
    }
}
