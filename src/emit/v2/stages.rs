//! The decode and prefill stages: replicas, parallelism, accelerators, resources, the
//! container's env, volumes and ports, placement.

use super::command::{command, setup};
use super::tables::{PARALLELISM, STAGE_LISTS, key, stage_key};
use super::{Val, Writer};
use crate::model::scenario::Origin;
use crate::model::{Deployment, Engine, Sourced, Stage};
use crate::read::yaml::{self, Kind, Node};

/// The keys of one stage, in the order the scenario shows them.
pub(super) fn stage_keys(w: &mut Writer<'_>, d: &Deployment, s: &Stage) {
    let k = s.kind.key();
    let created = s.created();
    let create_origin: Vec<Origin> = s.create.iter().map(|c| c.origin.clone()).collect();
    w.put(
        &at(k, stage_key::ENABLED),
        Val::Typed(created.to_string()),
        create_origin,
        None,
    );
    if !created {
        for (what, o) in stage_origins(s) {
            w.handled(
                &format!("{k}.{what}"),
                &o,
                &format!("the guide does not create the {k} stage"),
            );
        }
        return;
    }
    if let Some(r) = &s.replicas {
        w.put_s(&at(k, stage_key::REPLICAS), r);
    }
    for (name, field) in PARALLELISM {
        if let Some(v) = field(&s.parallelism) {
            w.put_s(&at(k, name), v);
        }
    }
    accelerator(w, d, s);
    resources(w, s);
    command(w, d, s);
    setup(w, s);
    container(w, s);
    placement(w, s);
}

/// `<stage>.<rest>`.
pub(super) fn at(stage: &str, rest: &str) -> String {
    format!("{stage}.{rest}")
}

/// The accelerator resource and count, or none for a CPU stage.
fn accelerator(w: &mut Writer<'_>, d: &Deployment, s: &Stage) {
    let k = s.kind.key();
    if let Some(a) = &s.accelerator {
        if a.resource
            != w.defaults
                .get(key::ACCELERATOR_RESOURCE)
                .unwrap_or_default()
        {
            let o: Vec<Origin> = a
                .limit
                .iter()
                .chain(&a.request)
                .map(|v| v.origin.clone())
                .collect();
            w.put(
                key::ACCELERATOR_RESOURCE,
                Val::Str(a.resource.clone()),
                o,
                None,
            );
        }
        for (to, v) in [
            (stage_key::LIMITS, &a.limit),
            (stage_key::REQUESTS, &a.request),
        ] {
            if let Some(v) = v {
                w.put(
                    &at(k, &format!("{to}.{}", a.resource)),
                    Val::Str(v.value.clone()),
                    vec![v.origin.clone()],
                    None,
                );
            }
        }
    }
    let cpu_only = d.engine == Engine::Simulator
        || d.accelerator_type
            .as_ref()
            .is_some_and(|t| t.value == "cpu");
    if s.accelerator.is_none() && cpu_only {
        // Without it the template requests parallelism.tensor x dataLocal accelerators.
        let o = d
            .accelerator_type
            .iter()
            .map(|t| t.origin.clone())
            .collect();
        w.put(
            &at(k, stage_key::ACCELERATOR_COUNT),
            Val::Typed("0".into()),
            o,
            Some(format!(
                "the {} stage runs on CPU ({} engine)",
                k,
                d.engine.name()
            )),
        );
    }
}

/// cpu, memory, ephemeral storage and one network resource.
fn resources(w: &mut Writer<'_>, s: &Stage) {
    let k = s.kind.key();
    let mut network: Option<(String, &Sourced<String>)> = None;
    for (res, v) in &s.resources {
        let name = res.split_once('.').map_or(res.as_str(), |(_, n)| n);
        let put = |w: &mut Writer<'_>, rest: &str, value: &str| {
            w.put(
                &at(k, rest),
                Val::Str(value.to_string()),
                vec![v.origin.clone()],
                None,
            );
        };
        match name {
            "cpu" | "memory" => put(w, &format!("{}.{res}", stage_key::RESOURCES), &v.value),
            "ephemeral-storage" => put(w, stage_key::EPHEMERAL_STORAGE, &v.value),
            other => match &network {
                Some((n, _)) if n != other => w.unmapped(
                    &format!("{k}.containers.0.resources.{res}"),
                    &v.origin,
                    "not expressible: a stage requests one network resource (networkResource)",
                ),
                _ => {
                    put(w, stage_key::NETWORK_RESOURCE, other);
                    put(w, stage_key::NETWORK_NR, &v.value);
                    network = Some((other.to_string(), v));
                }
            },
        }
    }
}

/// The container: pull policy, other container settings, env, volumes, mounts, init
/// containers, ports.
fn container(w: &mut Writer<'_>, s: &Stage) {
    let k = s.kind.key();
    if let Some(p) = &s.pull_policy {
        w.put_s(&at(k, stage_key::PULL_POLICY), p);
    }
    for (name, v) in &s.container_extra {
        w.put(
            &at(k, &format!("{}.{name}", stage_key::CONTAINER_CONFIG)),
            Val::Tree(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }
    let env: Vec<&Sourced<Node>> = s.env.iter().filter(|e| env_ok(w, k, e)).collect();
    put_list(w, &at(k, stage_key::ENV), &env);
    let mut volumes = Vec::new();
    for v in &s.volumes {
        match typed_volume(&v.value) {
            Some(n) => volumes.push(Sourced::new(n, v.origin.clone())),
            None => w.unmapped(
                &format!("{k}.volumes"),
                &v.origin,
                "not expressible: llm-d-benchmark writes configMap, emptyDir, persistentVolumeClaim, secret and hostPath volumes only",
            ),
        }
    }
    put_list(
        w,
        &at(k, stage_key::VOLUMES),
        &volumes.iter().collect::<Vec<_>>(),
    );
    for (name, field) in STAGE_LISTS {
        put_list(w, &at(k, name), &field(s).iter().collect::<Vec<_>>());
    }
}

/// A list of guide subtrees, unless empty.
fn put_list(w: &mut Writer<'_>, path: &str, items: &[&Sourced<Node>]) {
    if items.is_empty() {
        return;
    }
    w.put(
        path,
        Val::List(items.iter().map(|e| Val::Tree(e.value.clone())).collect()),
        items.iter().map(|e| e.origin.clone()).collect(),
        None,
    );
}

/// Node selector, tolerations, affinity and probes.
fn placement(w: &mut Writer<'_>, s: &Stage) {
    let k = s.kind.key();
    // `<stage>.nodeSelector` and `<stage>.tolerations` are pasted by `toyaml | indent(4)`,
    // which leaves the first line unindented (invalid values); the node selector goes to
    // the affinity both stages share instead.
    for (name, v) in &s.node_selector {
        let path = format!("{}.{name}", key::AFFINITY_NODE_SELECTOR);
        if let Some(earlier) = w.out.iter().find(|o| o.path == path)
            && !matches!(&earlier.val, Val::Str(e) if *e == v.value)
        {
            w.unmapped(
                &format!("{k}.nodeSelector.{name}"),
                &v.origin,
                "not expressible: both stages share one affinity.nodeSelector",
            );
            continue;
        }
        w.put(
            key::AFFINITY_ENABLED,
            Val::Typed("true".into()),
            vec![],
            None,
        );
        w.put(
            &path,
            Val::Str(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }
    if let Some(t) = &s.tolerations {
        w.unmapped(
            &format!("{k}.tolerations"),
            &t.origin,
            "not expressible: llm-d-benchmark pastes <stage>.tolerations with its first line unindented, which breaks the values",
        );
    }
    if let Some(a) = &s.affinity {
        w.unmapped(
            &format!("{k}.affinity"),
            &a.origin,
            "not expressible: llm-d-benchmark builds node affinity from affinity.nodeSelector for all stages",
        );
    }
    for (name, p) in &s.probes {
        w.handled(
            &format!("{k}.containers.0.{name}"),
            &p.origin,
            "llm-d-benchmark sets the probes (<stage>.probes)",
        );
    }
}

/// Everything of a stage, for the accounting of a stage that is not created.
pub(super) fn stage_origins(s: &Stage) -> Vec<(String, Origin)> {
    let mut out = Vec::new();
    let one = |out: &mut Vec<(String, Origin)>, what: &str, v: &Option<Sourced<String>>| {
        if let Some(v) = v {
            out.push((what.to_string(), v.origin.clone()));
        }
    };
    one(&mut out, "replicas", &s.replicas);
    one(&mut out, "parallelism.tensor", &s.parallelism.tensor);
    one(&mut out, "containers.0.image", &s.image);
    let lists = [
        ("containers.0.env", &s.env),
        ("volumes", &s.volumes),
        ("containers.0.volumeMounts", &s.mounts),
        ("containers.0.ports", &s.ports),
        ("containers.0.scriptSetup", &s.setup),
        ("initContainers", &s.init_containers),
    ];
    for (what, items) in lists {
        for e in items {
            out.push((what.into(), e.origin.clone()));
        }
    }
    for (name, v) in &s.container_extra {
        out.push((format!("containers.0.{name}"), v.origin.clone()));
    }
    for (name, v) in &s.resources {
        out.push((format!("containers.0.resources.{name}"), v.origin.clone()));
    }
    if let Some(c) = &s.command {
        for f in &c.flags {
            out.push((format!("containers.0.args {}", f.name), f.origin.clone()));
        }
    }
    out
}

/// An env entry llm-d-benchmark can write: `value:` without `"`, or a `valueFrom`.
pub(super) fn env_ok(w: &mut Writer<'_>, stage: &str, e: &Sourced<Node>) -> bool {
    let name = e.value.get("name").and_then(Node::as_str).unwrap_or("?");
    if let Some(v) = e.value.get("value").and_then(Node::as_str)
        && (v.contains('"') || v.contains('\n') || v.contains('\\'))
    {
        w.unmapped(
            &format!("{stage}.containers.0.env {name}"),
            &e.origin,
            "not expressible: llm-d-benchmark pastes env values inside double quotes unescaped",
        );
        return false;
    }
    true
}

/// A guide volume with the `type:` key llm-d-benchmark's template dispatches on.
pub(super) fn typed_volume(v: &Node) -> Option<Node> {
    const TYPES: &[&str] = &[
        "configMap",
        "emptyDir",
        "persistentVolumeClaim",
        "secret",
        "hostPath",
    ];
    let entries = v.as_map()?;
    let t = entries.iter().find(|e| TYPES.contains(&e.key.as_str()))?;
    let mut n = v.clone();
    if let Kind::Map(entries) = &mut n.kind {
        let mut typ = t.value.clone();
        typ.kind = Kind::Scalar(yaml::Scalar {
            value: t.key.clone(),
            plain: true,
        });
        entries.insert(
            1.min(entries.len()),
            yaml::Entry {
                key: "type".into(),
                line: t.line,
                value: typ,
            },
        );
        // An empty `emptyDir: {}` must stay a map the template can ask for keys.
    }
    Some(n)
}
