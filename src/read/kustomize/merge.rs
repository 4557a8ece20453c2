//! Strategic-merge patches as kustomize (kyaml's merge2) applies them:
//!
//! - maps merge key by key; a `null` in the patch removes the key; a key only in the patch is
//!   added, its subtree without nulls;
//! - lists that the Kubernetes schema gives a merge key (containers by `name`, ports by
//!   `containerPort`, volume mounts by `mountPath`, ...) merge element by element: the patch's
//!   elements first, in the patch's order, then the resource's other elements. Only built-in
//!   kinds have a schema: lists of custom resources (a LeaderWorkerSet) and lists without a
//!   merge key are replaced whole, as written;
//! - `$patch: delete` removes a map, a list element or the whole resource, `$patch: replace`
//!   replaces a map or (as a list element) the whole list. Other directives are refused.
//!
//! The resource keeps its kind and name (and namespace) unless the patch options allow a change.

use super::{Builder, Id, PatchOptions, Resource};
use crate::error::Result;
use crate::read::yaml::Overridden;
use crate::read::yaml::{Entry, Kind, Node};

/// Deepest tree a merge walks (patched trees can be deeper than one file's limit).
const MAX_DEPTH: usize = 128;

/// Where in the Kubernetes schema a node sits: what decides how its lists merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// No schema (custom resources): lists are replaced.
    Unknown,
    /// A built-in type without merged lists below this point.
    Object,
    Workload,
    CronJob,
    CronJobSpec,
    JobTemplate,
    WorkloadSpec,
    PodTemplate,
    Pod,
    PodSpec,
    Container,
    Service,
    ServiceSpec,
    Meta,
}

/// API groups whose kinds kustomize knows the schema of.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
];

fn root_type(id: &Id) -> Ty {
    match (id.group.as_str(), id.kind.as_str()) {
        ("", "Pod") => Ty::Pod,
        ("", "Service") => Ty::Service,
        ("", "ReplicationController")
        | ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job") => Ty::Workload,
        ("batch", "CronJob") => Ty::CronJob,
        (g, _) if BUILTIN_GROUPS.contains(&g) => Ty::Object,
        _ => Ty::Unknown,
    }
}

/// The type of field `key` of a node of type `ty`, and for a list its merge key.
fn child(ty: Ty, key: &str) -> (Ty, Option<&'static str>) {
    use Ty::*;
    let object = if ty == Unknown { Unknown } else { Object };
    match (ty, key) {
        (Unknown, _) => (Unknown, None),
        (_, "metadata") => (Meta, None),
        (Meta, "ownerReferences") => (Object, Some("uid")),
        (Workload, "spec") => (WorkloadSpec, None),
        (CronJob, "spec") => (CronJobSpec, None),
        (CronJobSpec, "jobTemplate") => (JobTemplate, None),
        (JobTemplate, "spec") => (WorkloadSpec, None),
        (WorkloadSpec, "template") => (PodTemplate, None),
        (PodTemplate | Pod, "spec") => (PodSpec, None),
        (PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
            (Container, Some("name"))
        }
        (PodSpec, "volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates") => {
            (Object, Some("name"))
        }
        (PodSpec, "hostAliases") => (Object, Some("ip")),
        (PodSpec, "topologySpreadConstraints") => (Object, Some("topologyKey")),
        (Container, "ports") => (Object, Some("containerPort")),
        (Container, "env") => (Object, Some("name")),
        (Container, "volumeMounts") => (Object, Some("mountPath")),
        (Container, "volumeDevices") => (Object, Some("devicePath")),
        (Service, "spec") => (ServiceSpec, None),
        (ServiceSpec, "ports") => (Object, Some("port")),
        _ => (object, None),
    }
}

/// What a merge did to the node it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Keep,
    Delete,
}

/// Apply one strategic-merge document to a resource. `false`: the patch deleted it.
pub(super) fn apply(
    b: &mut Builder<'_>,
    r: &mut Resource,
    patch: &Node,
    options: PatchOptions,
) -> Result<bool> {
    let id = r.id();
    let keep: Vec<(&str, Option<Entry>)> = ["apiVersion", "kind"]
        .into_iter()
        .filter(|_| !options.allow_kind_change)
        .chain(
            ["metadata.name"]
                .into_iter()
                .filter(|_| !options.allow_name_change),
        )
        .chain(std::iter::once("metadata.namespace"))
        .map(|p| (p, entry_at(&r.node, p).cloned()))
        .collect();
    let mut m = Merge {
        b,
        target: id.to_string(),
        depth: 0,
    };
    let outcome = m.map(&mut r.node, patch, root_type(&id), "")?;
    if outcome == Outcome::Delete {
        return Ok(false);
    }
    for (path, entry) in keep {
        restore(&mut r.node, path, entry);
    }
    Ok(true)
}

fn entry_at<'n>(node: &'n Node, path: &str) -> Option<&'n Entry> {
    match path.split_once('.') {
        Some((head, rest)) => entry_at(node.get(head)?, rest),
        None => node.entry(path),
    }
}

/// Put an entry back as it was before the patch (or remove what the patch added).
fn restore(node: &mut Node, path: &str, entry: Option<Entry>) {
    let (parent, key) = match path.split_once('.') {
        Some((head, rest)) => {
            let Some(child) = map_child(node, head) else {
                return;
            };
            return restore(child, rest, entry);
        }
        None => (node, path),
    };
    let Kind::Map(entries) = &mut parent.kind else {
        return;
    };
    let pos = entries.iter().position(|e| e.key == key);
    match (pos, entry) {
        (Some(p), Some(e)) => entries[p] = e,
        (Some(p), None) => {
            entries.remove(p);
        }
        (None, Some(e)) => entries.push(e),
        (None, None) => {}
    }
}

fn map_child<'n>(node: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut node.kind {
        Kind::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

struct Merge<'b, 's> {
    b: &'b mut Builder<'s>,
    target: String,
    depth: usize,
}

/// The `$patch` directive of a map, checked.
fn directive(m: &Merge<'_, '_>, patch: &Node) -> Result<Option<String>> {
    for e in patch.as_map().unwrap_or_default() {
        if e.key == "$patch" {
            let v = e.value.as_str().unwrap_or_default();
            if !matches!(v, "delete" | "replace" | "merge") {
                return Err(m.b.error_at(
                    e.value.src,
                    e.line,
                    format!("`$patch: {v}`: expected delete, replace or merge"),
                ));
            }
            return Ok(Some(v.to_string()));
        }
        if e.key.starts_with('$') {
            return Err(m.b.error_at(
                e.value.src,
                e.line,
                format!(
                    "strategic-merge directive `{}` is not supported (only `$patch: delete|replace|merge`)",
                    e.key
                ),
            ));
        }
    }
    Ok(None)
}

fn without_directive(node: &Node) -> Node {
    let mut n = node.clone();
    if let Kind::Map(entries) = &mut n.kind {
        entries.retain(|e| e.key != "$patch");
    }
    n
}

impl Merge<'_, '_> {
    fn deeper(&mut self, node: &Node) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.b.error_at(
                node.src,
                node.line,
                format!("strategic merge deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// `$patch: delete` or `replace`, or a map patched over something that is not a map:
    /// handled whole (`Some`); `None` when the maps merge key by key.
    fn map_whole(
        &mut self,
        dest: &mut Node,
        patch: &Node,
        ty: Ty,
        path: &str,
    ) -> Result<Option<Outcome>> {
        match directive(self, patch)?.as_deref() {
            Some("delete") => return Ok(Some(Outcome::Delete)),
            Some("replace") => {
                let fresh = self.b.copy(&without_directive(patch));
                self.replaced(path, dest, &fresh, None);
                *dest = fresh;
                return Ok(Some(Outcome::Keep));
            }
            _ => {}
        }
        if dest.as_map().is_none() {
            let fresh = match self.fresh(patch, ty)? {
                Some(f) => f,
                None => self.blank(patch, Kind::Map(Vec::new())),
            };
            self.replaced(path, dest, &fresh, None);
            *dest = fresh;
            return Ok(Some(Outcome::Keep));
        }
        Ok(None)
    }

    /// Merge map `patch` into `dest` (a map or anything else, which the map replaces).
    fn map(&mut self, dest: &mut Node, patch: &Node, ty: Ty, path: &str) -> Result<Outcome> {
        if let Some(outcome) = self.map_whole(dest, patch, ty, path)? {
            return Ok(outcome);
        }
        self.deeper(patch)?;
        for pe in patch.as_map().unwrap_or_default() {
            if pe.key == "$patch" {
                continue;
            }
            let child_path = if path.is_empty() {
                pe.key.clone()
            } else {
                format!("{path}.{}", pe.key)
            };
            let (cty, key) = child(ty, &pe.key);
            let Kind::Map(entries) = &mut dest.kind else {
                break;
            };
            let pos = entries.iter().position(|e| e.key == pe.key);
            if pe.value.is_null() {
                if let Some(p) = pos {
                    entries.remove(p);
                }
                continue;
            }
            let Some(p) = pos else {
                if let Some(fresh) = self.fresh_in(&pe.value, cty, key)? {
                    let Kind::Map(entries) = &mut dest.kind else {
                        break;
                    };
                    entries.push(Entry {
                        key: pe.key.clone(),
                        line: pe.line,
                        value: fresh,
                    });
                }
                continue;
            };
            let mut current = std::mem::replace(&mut entries[p].value, placeholder(&pe.value));
            let old_line = entries[p].line;
            let (outcome, whole) = match (&current.kind, &pe.value.kind) {
                (Kind::Map(_), Kind::Map(_)) => {
                    (self.map(&mut current, &pe.value, cty, &child_path)?, false)
                }
                (Kind::Seq(_), Kind::Seq(_)) => {
                    let whole = self.list(&mut current, &pe.value, cty, key, &child_path)?;
                    (Outcome::Keep, whole)
                }
                _ => match self.fresh_in(&pe.value, cty, key)? {
                    Some(fresh) => {
                        if !super::same_data(&current, &fresh) {
                            self.replaced(&child_path, &current, &fresh, Some(old_line));
                        }
                        current = fresh;
                        (Outcome::Keep, true)
                    }
                    None => (Outcome::Delete, false),
                },
            };
            let Kind::Map(entries) = &mut dest.kind else {
                break;
            };
            if outcome == Outcome::Delete {
                entries.remove(p);
            } else {
                if whole {
                    entries[p].line = pe.line;
                }
                entries[p].value = current;
            }
        }
        self.depth -= 1;
        Ok(Outcome::Keep)
    }

    /// A list replaced whole: the schema gives no merge key, or an item says
    /// `$patch: replace` (the other items are then the new list).
    fn list_replaced(
        &mut self,
        dest: &mut Node,
        patch: &Node,
        ty: Ty,
        key: Option<&'static str>,
        path: &str,
    ) -> Result<()> {
        let items = patch.as_seq().unwrap_or_default();
        let fresh = match key {
            Some(k) => {
                let kept: Vec<Node> = items
                    .iter()
                    .filter(|i| i.get("$patch").and_then(Node::as_str) != Some("replace"))
                    .cloned()
                    .collect();
                let list = Node {
                    kind: Kind::Seq(kept),
                    ..patch.clone()
                };
                match self.fresh_in(&list, ty, Some(k))? {
                    Some(f) => f,
                    None => self.blank(patch, Kind::Seq(Vec::new())),
                }
            }
            None => self.b.copy(patch),
        };
        if !super::same_data(dest, &fresh) {
            self.replaced(path, dest, &fresh, None);
        }
        *dest = fresh;
        Ok(())
    }

    /// The merge-key values of a patch's list items, in order, once each; an item without
    /// the key is an error.
    fn patch_order(&self, items: &[Node], key: &str, path: &str) -> Result<Vec<String>> {
        let mut order: Vec<String> = Vec::new();
        for item in items {
            let Some(v) = item
                .get(key)
                .and_then(|v| v.as_scalar())
                .map(|s| s.value.clone())
            else {
                return Err(self.b.error_at(
                    item.src,
                    item.line,
                    format!(
                        "an element of {path} on {} has no `{key}`, the key its elements merge by",
                        self.target
                    ),
                ));
            };
            if !order.contains(&v) {
                order.push(v);
            }
        }
        Ok(order)
    }

    /// Merge list `patch` into list `dest`: by merge key when the schema has one, else replace.
    fn list(
        &mut self,
        dest: &mut Node,
        patch: &Node,
        ty: Ty,
        key: Option<&'static str>,
        path: &str,
    ) -> Result<bool> {
        let items = patch.as_seq().unwrap_or_default();
        let replace_all = items.iter().any(|i| {
            i.as_map().is_some_and(|e| e.len() == 1)
                && i.get("$patch").and_then(Node::as_str) == Some("replace")
        });
        let Some(key) = key.filter(|_| !replace_all) else {
            self.list_replaced(dest, patch, ty, key, path)?;
            return Ok(true);
        };
        self.deeper(patch)?;
        let value_of = |n: &Node| {
            n.get(key)
                .and_then(|v| v.as_scalar())
                .map(|s| s.value.clone())
        };
        let mut order = self.patch_order(items, key, path)?;
        let old = std::mem::take(match &mut dest.kind {
            Kind::Seq(items) => items,
            _ => return Ok(false),
        });
        let mut keyless = Vec::new();
        let mut by_key: Vec<(String, Node)> = Vec::new();
        for n in old {
            match value_of(&n) {
                Some(v) => {
                    if !order.contains(&v) {
                        order.push(v.clone());
                    }
                    by_key.push((v, n));
                }
                None => keyless.push(n),
            }
        }
        let mut out = Vec::new();
        for v in order {
            let existing = by_key
                .iter()
                .position(|(k, _)| *k == v)
                .map(|p| by_key.remove(p).1);
            let patch_item = items
                .iter()
                .find(|i| value_of(i).as_deref() == Some(v.as_str()));
            match (existing, patch_item) {
                (Some(mut e), Some(p)) => {
                    let child_path = format!("{path}[{key}={v}]");
                    if self.map(&mut e, p, ty, &child_path)? == Outcome::Keep {
                        out.push(e);
                    }
                }
                (None, Some(p)) => {
                    if let Some(f) = self.fresh(p, ty)? {
                        out.push(f);
                    }
                }
                (Some(e), None) => out.push(e),
                (None, None) => {}
            }
        }
        out.extend(keyless);
        dest.kind = Kind::Seq(out);
        self.depth -= 1;
        Ok(false)
    }

    /// A patch value for a place the resource does not have (or a scalar it replaces).
    fn fresh_in(&mut self, node: &Node, ty: Ty, key: Option<&'static str>) -> Result<Option<Node>> {
        match &node.kind {
            Kind::Seq(_) if key.is_some() => {
                let mut empty = self.blank(node, Kind::Seq(Vec::new()));
                self.list(&mut empty, node, ty, key, "")?;
                Ok(Some(empty))
            }
            _ => self.fresh(node, ty),
        }
    }

    /// A patch subtree added where the resource has nothing: nulls dropped, directives done.
    fn fresh(&mut self, node: &Node, ty: Ty) -> Result<Option<Node>> {
        match &node.kind {
            Kind::Scalar(_) if node.is_null() => Ok(None),
            Kind::Map(_) => {
                let mut empty = self.blank(node, Kind::Map(Vec::new()));
                match self.map(&mut empty, node, ty, "")? {
                    Outcome::Delete => Ok(None),
                    Outcome::Keep => Ok(Some(empty)),
                }
            }
            _ => Ok(Some(self.b.copy(node))),
        }
    }

    /// An empty map or list at the patch node's place, with a fresh id.
    fn blank(&mut self, at: &Node, kind: Kind) -> Node {
        let mut n = Node { kind, ..at.clone() };
        n.id = self.b.next_id;
        self.b.next_id += 1;
        n
    }

    /// Note a value the patch replaced (scalars and whole lists), for the scenario's notes.
    fn replaced(&mut self, path: &str, old: &Node, by: &Node, key_line: Option<usize>) {
        if path.is_empty() || old.is_null() {
            return;
        }
        self.b.overridden.push(Overridden {
            path: format!("{}: {path}", self.target),
            node: old.clone(),
            key_line,
            by: by.clone(),
        });
    }
}

/// Stands in for a value while it is merged (replaced before anyone sees it).
fn placeholder(at: &Node) -> Node {
    Node {
        kind: Kind::Map(Vec::new()),
        ..at.clone()
    }
}
