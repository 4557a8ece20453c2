//! kustomize's builtin transformers other than patches, each one step of the same shape:
//! `namespace`, `namePrefix`, `nameSuffix`, `labels`/`commonLabels`, `commonAnnotations`,
//! `replicas` (`images` is in [`super::images`], name references, after the build, in
//! [`super::names`]). The field lists are kustomize's own defaults
//! (api/konfig/builtinpluginconsts), as data.
//!
//! Values a transformer writes are new nodes that cite the kustomization line asking for them.

// Every step has the one shape of `super::Step` (`&mut Vec`: patches may delete resources).
#![allow(clippy::ptr_arg)]

use super::{Builder, Kust, Resource};
use crate::error::Result;
use crate::read::yaml::{Entry, Kind, Node, Scalar};

/// Kinds without a namespace (kustomize's list of cluster-scoped built-in kinds).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "ComponentStatus",
    "VolumeAttachment",
    "RuntimeClass",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "IngressClass",
    "FlowSchema",
    "PriorityLevelConfiguration",
];

/// A field spec: kinds (by group, `*` any) and a path; `create` adds missing maps.
struct FieldSpec {
    group: &'static str,
    kind: &'static str,
    path: &'static str,
    create: bool,
}

const fn spec(
    group: &'static str,
    kind: &'static str,
    path: &'static str,
    create: bool,
) -> FieldSpec {
    FieldSpec {
        group,
        kind,
        path,
        create,
    }
}

/// Pod-template labels (`labels[].includeTemplates`, and part of the selector specs).
const TEMPLATE_LABELS: &[FieldSpec] = &[
    spec(
        "",
        "ReplicationController",
        "spec/template/metadata/labels",
        true,
    ),
    spec("*", "Deployment", "spec/template/metadata/labels", true),
    spec("*", "ReplicaSet", "spec/template/metadata/labels", true),
    spec("*", "DaemonSet", "spec/template/metadata/labels", true),
    spec("apps", "StatefulSet", "spec/template/metadata/labels", true),
    spec(
        "apps",
        "StatefulSet",
        "spec/volumeClaimTemplates/metadata/labels",
        true,
    ),
    spec("batch", "Job", "spec/template/metadata/labels", true),
    spec("batch", "CronJob", "spec/jobTemplate/metadata/labels", true),
    spec(
        "batch",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];

const AFFINITY: &[&str] = &[
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

/// Selectors (`commonLabels`, `labels[].includeSelectors`), besides the template labels.
const SELECTOR_LABELS: &[FieldSpec] = &[
    spec("", "Service", "spec/selector", true),
    spec("", "ReplicationController", "spec/selector", true),
    spec("*", "Deployment", "spec/selector/matchLabels", true),
    spec("*", "ReplicaSet", "spec/selector/matchLabels", true),
    spec("*", "DaemonSet", "spec/selector/matchLabels", true),
    spec("apps", "StatefulSet", "spec/selector/matchLabels", true),
    spec("batch", "Job", "spec/selector/matchLabels", false),
    spec(
        "batch",
        "CronJob",
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    spec(
        "policy",
        "PodDisruptionBudget",
        "spec/selector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "NetworkPolicy",
        "spec/podSelector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "NetworkPolicy",
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "NetworkPolicy",
        "spec/egress/to/podSelector/matchLabels",
        false,
    ),
];

/// Pod-template annotations (`commonAnnotations`).
const TEMPLATE_ANNOTATIONS: &[FieldSpec] = &[
    spec(
        "",
        "ReplicationController",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "*",
        "Deployment",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "*",
        "ReplicaSet",
        "spec/template/metadata/annotations",
        true,
    ),
    spec("*", "DaemonSet", "spec/template/metadata/annotations", true),
    spec(
        "apps",
        "StatefulSet",
        "spec/template/metadata/annotations",
        true,
    ),
    spec("batch", "Job", "spec/template/metadata/annotations", true),
    spec(
        "batch",
        "CronJob",
        "spec/jobTemplate/metadata/annotations",
        true,
    ),
    spec(
        "batch",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// Kinds `replicas` may set.
const REPLICA_KINDS: &[&str] = &[
    "Deployment",
    "ReplicationController",
    "ReplicaSet",
    "StatefulSet",
];

/// A field spec read from a kustomization (`labels[].fields`, `configurations`): an empty
/// group, version or kind matches any, as in kustomize.
#[derive(Debug, Clone, Default)]
pub(super) struct DynSpec {
    group: String,
    version: String,
    kind: String,
    pub(super) path: String,
    create: bool,
}

impl DynSpec {
    pub(super) fn applies(&self, r: &Resource) -> bool {
        let id = r.id();
        (self.group.is_empty() || self.group == id.group)
            && (self.version.is_empty() || self.version == id.version)
            && (self.kind.is_empty() || self.kind == id.kind)
    }
}

/// A name reference a `configurations` file declares: resources of `kind` renamed are
/// renamed at `specs` too.
#[derive(Debug, Clone)]
pub(super) struct NameRef {
    pub(super) kind: String,
    pub(super) specs: Vec<DynSpec>,
}

/// Transformer configuration from `configurations` files.
#[derive(Debug, Clone, Default)]
pub(super) struct Config {
    pub(super) name_refs: Vec<NameRef>,
    /// Extra places `commonLabels` and `labels[].includeSelectors` write labels.
    pub(super) common_labels: Vec<DynSpec>,
}

/// Field specs: a list of maps with `path` and optional `group`, `version`, `kind`, `create`.
fn dyn_specs(b: &Builder<'_>, src: usize, node: &Node, what: &str) -> Result<Vec<DynSpec>> {
    let Some(items) = node.as_seq() else {
        if node.is_null() {
            return Ok(Vec::new());
        }
        return Err(b.error_at(src, node.line, format!("`{what}` is a list of field specs")));
    };
    let mut out = Vec::new();
    for item in items {
        let Some(entries) = item.as_map() else {
            return Err(b.error_at(
                src,
                item.line,
                format!("an entry of `{what}` is a map (path, group, version, kind, create)"),
            ));
        };
        let mut spec = DynSpec::default();
        for e in entries {
            let text = || {
                e.value.as_str().map(str::to_string).ok_or_else(|| {
                    b.error_at(src, e.line, format!("`{what}[].{}` takes a string", e.key))
                })
            };
            match e.key.as_str() {
                "path" => spec.path = text()?,
                "group" => spec.group = text()?,
                "version" => spec.version = text()?,
                "kind" => spec.kind = text()?,
                "create" => spec.create = e.value.as_bool() == Some(true),
                other => {
                    return Err(b.error_at(
                        src,
                        e.line,
                        format!(
                            "`{what}[].{other}` is not supported (path, group, version, kind, create)"
                        ),
                    ));
                }
            }
        }
        if spec.path.is_empty() {
            return Err(b.error_at(src, item.line, format!("an entry of `{what}` has no path")));
        }
        out.push(spec);
    }
    Ok(out)
}

/// One document of a `configurations` file into the build's configuration.
pub(super) fn read_config(b: &mut Builder<'_>, src: usize, root: &Node) -> Result<()> {
    if root.is_null() {
        return Ok(());
    }
    let Some(entries) = root.as_map() else {
        return Err(b.error_at(src, root.line, "a transformer configuration is a map"));
    };
    for e in entries {
        match e.key.as_str() {
            "commonLabels" => {
                let specs = dyn_specs(b, src, &e.value, "commonLabels")?;
                b.config.common_labels.extend(specs);
            }
            "nameReference" => {
                let Some(items) = e.value.as_seq() else {
                    return Err(b.error_at(src, e.line, "`nameReference` is a list"));
                };
                for item in items {
                    let kind = item.get("kind").and_then(Node::as_str).unwrap_or("");
                    if kind.is_empty() {
                        return Err(b.error_at(
                            src,
                            item.line,
                            "a `nameReference` entry names the referred `kind`",
                        ));
                    }
                    let specs = match item.get("fieldSpecs") {
                        Some(n) => dyn_specs(b, src, n, "nameReference[].fieldSpecs")?,
                        None => Vec::new(),
                    };
                    b.config.name_refs.push(NameRef {
                        kind: kind.to_string(),
                        specs,
                    });
                }
            }
            other => {
                return Err(b.error_at(
                    src,
                    e.line,
                    format!(
                        "transformer configuration `{other}` is not supported by convert-guide's kustomize build (commonLabels, nameReference)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn applies(spec: &FieldSpec, r: &Resource) -> bool {
    let id = r.id();
    spec.kind == id.kind && (spec.group == "*" || spec.group == id.group)
}

/// A new string scalar citing line `line` of source `src`.
pub(super) fn text_node(
    b: &mut Builder<'_>,
    value: &str,
    src: usize,
    line: usize,
    end_line: usize,
) -> Node {
    let id = b.next_id;
    b.next_id += 1;
    Node {
        id,
        src,
        line,
        end_line: end_line.max(line),
        column: 1,
        kind: Kind::Scalar(Scalar {
            value: value.to_string(),
            plain: false,
        }),
    }
}

fn fresh_map(b: &mut Builder<'_>, src: usize, line: usize) -> Node {
    let id = b.next_id;
    b.next_id += 1;
    Node {
        id,
        src,
        line,
        end_line: line,
        column: 1,
        kind: Kind::Map(Vec::new()),
    }
}

/// The maps at `path` (lists on the way are crossed element by element), created when asked.
fn visit_maps(
    b: &mut Builder<'_>,
    root: &mut Node,
    path: &str,
    create: bool,
    at: (usize, usize),
    f: &mut dyn FnMut(&mut Builder<'_>, &mut Node),
) {
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
            if node.is_null() {
                *node = fresh_map(b, at.0, at.1);
            }
            if node.as_map().is_some() {
                f(b, node);
            }
            continue;
        };
        if node.as_map().is_none() {
            continue;
        }
        let exists = node.get(seg).is_some();
        if !exists && !create {
            continue;
        }
        let Kind::Map(entries) = &mut node.kind else {
            continue;
        };
        if !exists {
            let value = fresh_map(b, at.0, at.1);
            entries.push(Entry {
                key: seg.to_string(),
                line: at.1,
                value,
            });
        }
        if let Some(e) = entries.iter_mut().find(|e| e.key == *seg) {
            stack.push((&mut e.value, depth + 1));
        }
    }
}

/// Set `key: value` in a map, the value citing the kustomization.
fn put(b: &mut Builder<'_>, map: &mut Node, key: &str, value: &str, at: (usize, usize, usize)) {
    let node = text_node(b, value, at.0, at.1, at.2);
    let Kind::Map(entries) = &mut map.kind else {
        return;
    };
    match entries.iter_mut().find(|e| e.key == key) {
        Some(e) => {
            e.line = at.1;
            e.value = node;
        }
        None => entries.push(Entry {
            key: key.to_string(),
            line: at.1,
            value: node,
        }),
    }
}

/// A string field of the kustomization, with its line.
fn text_field(b: &Builder<'_>, k: &Kust, field: &str) -> Result<Option<(String, usize)>> {
    let Some(e) = k.get(field).filter(|e| !e.value.is_null()) else {
        return Ok(None);
    };
    match e.value.as_str() {
        Some(v) => Ok(Some((v.to_string(), e.line))),
        None => Err(b.error_at(k.src, e.line, format!("`{field}` takes a string"))),
    }
}

/// A map of strings (labels, annotations): key, value and line of each pair.
fn pairs(
    b: &Builder<'_>,
    k: &Kust,
    node: &Node,
    field: &str,
) -> Result<Vec<(String, String, usize)>> {
    let Some(entries) = node.as_map() else {
        if node.is_null() {
            return Ok(Vec::new());
        }
        return Err(b.error_at(k.src, node.line, format!("`{field}` is a map of strings")));
    };
    entries
        .iter()
        .map(|e| match e.value.as_scalar().filter(|s| !s.is_null()) {
            Some(s) => Ok((e.key.clone(), s.value.clone(), e.line)),
            None => Err(b.error_at(
                k.src,
                e.line,
                format!("`{field}`: the value of {} is a string", e.key),
            )),
        })
        .collect()
}

pub(super) fn namespace(b: &mut Builder<'_>, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
    let Some((ns, line)) = text_field(b, k, "namespace")? else {
        return Ok(());
    };
    let at = (k.src, line, line);
    for r in acc.iter_mut() {
        let kind = r.id().kind;
        if kind == "Namespace" {
            if let Some(meta) = map_at(&mut r.node, "metadata") {
                put(b, meta, "name", &ns, at);
            }
            r.names.push(ns.clone());
            continue;
        }
        if !CLUSTER_SCOPED.contains(&kind.as_str()) {
            visit_maps(
                b,
                &mut r.node,
                "metadata",
                true,
                (k.src, line),
                &mut |b, meta| put(b, meta, "namespace", &ns, at),
            );
        }
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            // kustomize moves the subjects that are the namespace's default service account.
            visit_maps(
                b,
                &mut r.node,
                "subjects",
                false,
                (k.src, line),
                &mut |b, s| {
                    let is_default = s.get("kind").and_then(Node::as_str) == Some("ServiceAccount")
                        && s.get("name").and_then(Node::as_str) == Some("default");
                    if is_default {
                        put(b, s, "namespace", &ns, at);
                    }
                },
            );
        }
    }
    Ok(())
}

pub(super) fn map_at<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.kind {
        Kind::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

/// Kinds whose names keep no prefix or suffix.
const NOT_RENAMED: &[&str] = &["Namespace", "CustomResourceDefinition"];

fn rename(
    b: &mut Builder<'_>,
    k: &Kust,
    acc: &mut [Resource],
    field: &str,
    prefix: bool,
) -> Result<()> {
    let Some((affix, line)) = text_field(b, k, field)? else {
        return Ok(());
    };
    for r in acc.iter_mut() {
        let id = r.id();
        if NOT_RENAMED.contains(&id.kind.as_str()) {
            continue;
        }
        let name = if prefix {
            format!("{affix}{}", id.name)
        } else {
            format!("{}{affix}", id.name)
        };
        if let Some(meta) = map_at(&mut r.node, "metadata") {
            put(b, meta, "name", &name, (k.src, line, line));
        }
        r.names.push(name);
    }
    Ok(())
}

pub(super) fn name_prefix(b: &mut Builder<'_>, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
    rename(b, k, acc, "namePrefix", true)
}

pub(super) fn name_suffix(b: &mut Builder<'_>, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
    rename(b, k, acc, "nameSuffix", false)
}

/// Add labels to `metadata.labels` of every resource, and to templates and selectors when asked.
fn add_labels(
    b: &mut Builder<'_>,
    acc: &mut [Resource],
    labels: &[(String, String, usize)],
    src: usize,
    templates: bool,
    selectors: bool,
    extra: &[DynSpec],
) {
    let common = b.config.common_labels.clone();
    // kustomize merges its default field specs into the ones a `labels` entry lists, and
    // drops a default whose path a listed spec already covers for the default's kinds
    // (FsSlice.MergeAll): with `fields`, only the kinds listed get `metadata/labels`.
    let shadowed = |group: &str, kind: &str, path: &str| {
        extra.iter().any(|c| {
            c.path == path
                && (group.is_empty() || group == "*" || c.group == group)
                && (kind.is_empty() || c.kind == kind)
        })
    };
    for r in acc.iter_mut() {
        let mut specs: Vec<(&str, bool)> = Vec::new();
        if !shadowed("", "", "metadata/labels") {
            specs.push(("metadata/labels", true));
        }
        let kept = |s: &&FieldSpec| applies(s, r) && !shadowed(s.group, s.kind, s.path);
        if templates || selectors {
            specs.extend(
                TEMPLATE_LABELS
                    .iter()
                    .filter(kept)
                    .map(|s| (s.path, s.create)),
            );
        }
        if selectors {
            specs.extend(
                SELECTOR_LABELS
                    .iter()
                    .filter(kept)
                    .map(|s| (s.path, s.create)),
            );
            let id = r.id();
            if (id.kind == "Deployment" || id.kind == "StatefulSet") && id.group == "apps" {
                specs.extend(
                    AFFINITY
                        .iter()
                        .filter(|p| !shadowed("apps", &id.kind, p))
                        .map(|p| (*p, false)),
                );
            }
            specs.extend(
                common
                    .iter()
                    .filter(|s| s.applies(r) && !shadowed(&s.group, &s.kind, &s.path))
                    .map(|s| (s.path.as_str(), s.create)),
            );
        }
        specs.extend(
            extra
                .iter()
                .filter(|s| s.applies(r))
                .map(|s| (s.path.as_str(), s.create)),
        );
        for (path, create) in specs {
            let line = labels.first().map_or(1, |l| l.2);
            visit_maps(b, &mut r.node, path, create, (src, line), &mut |b, map| {
                for (key, value, line) in labels {
                    put(b, map, key, value, (src, *line, *line));
                }
            });
        }
    }
}

/// `labels` (each entry with its options), then `commonLabels` (labels everywhere kustomize
/// keeps them in step: metadata, templates, selectors).
pub(super) fn labels(b: &mut Builder<'_>, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
    if let Some(e) = k.get("labels").filter(|e| !e.value.is_null()) {
        let Some(items) = e.value.as_seq() else {
            return Err(b.error_at(k.src, e.line, "`labels` is a list"));
        };
        for item in items {
            let mut pairs_of = Vec::new();
            let mut fields = Vec::new();
            let (mut templates, mut selectors) = (false, false);
            for f in item.as_map().unwrap_or_default() {
                match f.key.as_str() {
                    "pairs" => pairs_of = pairs(b, k, &f.value, "labels.pairs")?,
                    "includeSelectors" => selectors = f.value.as_bool() == Some(true),
                    "includeTemplates" => templates = f.value.as_bool() == Some(true),
                    "fields" => fields = dyn_specs(b, k.src, &f.value, "labels[].fields")?,
                    other => {
                        return Err(b.error_at(
                            k.src,
                            f.line,
                            format!(
                                "`labels[].{other}` is not supported (pairs, includeSelectors, includeTemplates, fields)"
                            ),
                        ));
                    }
                }
            }
            add_labels(b, acc, &pairs_of, k.src, templates, selectors, &fields);
        }
    }
    if let Some(e) = k.get("commonLabels") {
        let common = pairs(b, k, &e.value, "commonLabels")?;
        add_labels(b, acc, &common, k.src, true, true, &[]);
    }
    Ok(())
}

pub(super) fn common_annotations(
    b: &mut Builder<'_>,
    k: &Kust,
    acc: &mut Vec<Resource>,
) -> Result<()> {
    let Some(e) = k.get("commonAnnotations") else {
        return Ok(());
    };
    let annotations = pairs(b, k, &e.value, "commonAnnotations")?;
    if annotations.is_empty() {
        return Ok(());
    }
    let line = annotations[0].2;
    for r in acc.iter_mut() {
        let mut paths = vec![("metadata/annotations", true)];
        paths.extend(
            TEMPLATE_ANNOTATIONS
                .iter()
                .filter(|s| applies(s, r))
                .map(|s| (s.path, s.create)),
        );
        for (path, create) in paths {
            visit_maps(
                b,
                &mut r.node,
                path,
                create,
                (k.src, line),
                &mut |b, map| {
                    for (key, value, line) in &annotations {
                        put(b, map, key, value, (k.src, *line, *line));
                    }
                },
            );
        }
    }
    Ok(())
}

pub(super) fn replicas(b: &mut Builder<'_>, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
    let Some(e) = k.get("replicas").filter(|e| !e.value.is_null()) else {
        return Ok(());
    };
    let Some(items) = e.value.as_seq() else {
        return Err(b.error_at(k.src, e.line, "`replicas` is a list of name and count"));
    };
    for item in items {
        let name = item.get("name").and_then(Node::as_str).unwrap_or_default();
        let Some(count) = item
            .get("count")
            .filter(|c| c.as_str().is_some_and(|v| v.parse::<u64>().is_ok()))
        else {
            return Err(b.error_at(
                k.src,
                item.line,
                "`replicas` entry needs a name and a whole-number count",
            ));
        };
        let mut found = false;
        for r in acc.iter_mut() {
            let id = r.id();
            if !REPLICA_KINDS.contains(&id.kind.as_str()) || (r.org.name != name && id.name != name)
            {
                continue;
            }
            found = true;
            let mut value = count.clone();
            value.src = k.src;
            b.renumber(&mut value);
            let line = item.entry("count").map_or(item.line, |c| c.line);
            visit_maps(
                b,
                &mut r.node,
                "spec",
                true,
                (k.src, line),
                &mut |_, spec| {
                    if let Kind::Map(entries) = &mut spec.kind {
                        match entries.iter_mut().find(|e| e.key == "replicas") {
                            Some(e) => {
                                e.line = line;
                                e.value = value.clone();
                            }
                            None => entries.push(Entry {
                                key: "replicas".into(),
                                line,
                                value: value.clone(),
                            }),
                        }
                    }
                },
            );
        }
        if !found {
            return Err(b.error_at(
                k.src,
                item.line,
                format!(
                    "`replicas`: no {} named {name:?} (kustomize sets replicas of those kinds only)",
                    REPLICA_KINDS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
