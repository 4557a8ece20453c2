//! Networking (routing proxy, accelerator type, gateway), the router (EPP) and the coupled
//! values.

use super::model_keys::put_image;
use super::tables::{RESOURCE_OF_TYPE, key};
use super::{Val, Writer};
use crate::model::Deployment;

pub(super) fn routing(w: &mut Writer<'_>, d: &Deployment) {
    let n = &d.networking;
    if let Some(p) = &n.service_port {
        w.put_s(key::SERVICE_PORT, p);
    }
    let p = &n.proxy;
    if let Some(e) = &p.enabled {
        w.put(
            key::PROXY_ENABLED,
            Val::Typed(e.value.to_string()),
            vec![e.origin.clone()],
            None,
        );
    }
    if let Some(c) = &p.connector {
        w.put_s(key::PROXY_CONNECTOR, c);
    }
    if let Some(l) = &p.debug_level {
        w.put_s(key::PROXY_DEBUG_LEVEL, l);
    }
    if let Some(t) = &p.target_port {
        w.put_s(key::PROXY_TARGET_PORT, t);
    }
    if let Some(i) = &p.image {
        put_image(w, key::IMAGE_ROUTING_SIDECAR, i);
    }
    if let Some(m) = &d.multinode {
        w.put(
            key::MULTINODE,
            Val::Typed(m.value.to_string()),
            vec![m.origin.clone()],
            None,
        );
    }
    if let Some(t) = &d.accelerator_type {
        w.put_s(key::ACCELERATOR_TYPE, t);
        // The template names the accelerator resource `accelerator.resource` (default the
        // NVIDIA one); a stage's explicit request already set it.
        let stated = [&d.decode, &d.prefill]
            .iter()
            .any(|s| s.created() && s.accelerator.is_some());
        if !stated && let Some((_, resource)) = RESOURCE_OF_TYPE.iter().find(|(k, _)| *k == t.value)
        {
            w.put(
                key::ACCELERATOR_RESOURCE,
                Val::Str((*resource).to_string()),
                vec![t.origin.clone()],
                Some(format!(
                    "the extended resource of accelerator type {}",
                    t.value
                )),
            );
        }
    }
    if let Some(g) = &d.gateway_class {
        w.put_s(key::GATEWAY_CLASS, g);
    }
    for (path, v) in &d.gateway_settings {
        if path == "logLevel" || path.starts_with("resources.") {
            w.put(
                &format!("{}.{path}", key::GATEWAY),
                Val::Str(v.value.clone()),
                vec![v.origin.clone()],
                None,
            );
        } else {
            w.unmapped(
                &format!("gateway.gatewayParameters.{path}"),
                &v.origin,
                "not expressible: llm-d-benchmark sets the gateway's log level and resources only",
            );
        }
    }
}

pub(super) fn router(w: &mut Writer<'_>, d: &Deployment) {
    let r = &d.router;
    if let Some(f) = &r.plugins_file {
        w.put_s(key::PLUGINS_FILE, f);
    }
    for (file, text) in &r.plugins_custom {
        w.put(
            &format!("{}.{file}", key::PLUGINS_CUSTOM),
            Val::Block(text.value.clone()),
            vec![text.origin.clone()],
            None,
        );
    }
    for (flag, v) in &r.flags {
        w.put(
            &format!("{}.{flag}", key::ROUTER_FLAGS),
            Val::Str(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }
    if let Some(i) = &r.image {
        put_image(w, key::IMAGE_SCHEDULER, i);
    }
    if let Some(n) = &r.replicas {
        w.put_s(key::ROUTER_REPLICAS, n);
    }
    for s in &r.sidecars {
        w.unmapped(
            "inferenceExtension.sidecars",
            &s.origin,
            "not expressible: the EPP takes one sidecar (inferenceExtension.sidecar), the tokenizer",
        );
    }
}

pub(super) fn coupled(w: &mut Writer<'_>, d: &Deployment) {
    let c = &d.coupled;
    for (what, v) in [
        ("block size", &c.block_size),
        ("hash seed", &c.hash_seed),
        ("served model", &c.served_model),
    ] {
        if let Some(v) = v {
            for x in &v.conflicts {
                w.warn(format!(
                    "the guide's {what} differs between places: {} at {}:{} but {} at {}:{}",
                    v.value,
                    v.origins.first().map_or("", |o| o.file.as_str()),
                    v.origins.first().map_or(0, |o| o.first),
                    x.value,
                    x.origin.file,
                    x.origin.first
                ));
            }
        }
    }
}
