//! The guide's other values: a key of their own (the DIRECT table), handled by the
//! benchmark, or refused with the reason.

use super::tables::{DIRECT, HANDLED, REFUSED, SPLIT_IMAGES};
use super::{Val, Writer};
use crate::model::Leaf;
use crate::model::scenario::Origin;

/// The v2 key of a guide scalar by [`DIRECT`].
pub(super) fn direct_key(path: &str) -> Option<String> {
    for (from, to) in DIRECT {
        for stage in ["decode", "prefill"] {
            let from = from.replace("{stage}", stage);
            let rest = if path == from {
                Some("")
            } else {
                path.strip_prefix(&format!("{from}."))
            };
            if let Some(rest) = rest {
                let to = to.replace("{stage}", stage);
                return Some(if rest.is_empty() {
                    to
                } else {
                    format!("{to}.{rest}")
                });
            }
        }
    }
    None
}

pub(super) fn rest_leaf(w: &mut Writer<'_>, leaf: &Leaf) {
    if let (Some(key), Some(v)) = (direct_key(&leaf.path), leaf.node.as_str()) {
        if key.starts_with("annotations.") && v.contains(['"', '\\', '\n', '\r']) {
            w.unmapped(
                &leaf.path,
                &leaf.origin,
                "not expressible: llm-d-benchmark pastes annotation values inside double quotes unescaped",
            );
            return;
        }
        let val = if leaf.node.as_scalar().is_some_and(|s| s.plain) {
            Val::Typed(v.to_string())
        } else {
            Val::Str(v.to_string())
        };
        w.put(&key, val, vec![leaf.origin.clone()], None);
        return;
    }
    let segs: Vec<&str> = leaf.path.split('.').collect();
    for (prefix, why) in REFUSED {
        if segs.first() == Some(prefix) {
            w.unmapped(&leaf.path, &leaf.origin, why);
            return;
        }
    }
    for (pattern, why) in HANDLED {
        let pat: Vec<&str> = pattern.split('.').collect();
        if pat.len() <= segs.len() && pat.iter().zip(&segs).all(|(p, s)| *p == "*" || p == s) {
            w.handled(&leaf.path, &leaf.origin, why);
            return;
        }
    }
    w.unmapped(
        &leaf.path,
        &leaf.origin,
        "not expressible: no llm-d-benchmark v2 scenario key carries this value",
    );
}

/// The images of [`SPLIT_IMAGES`] stated as registry and repository: `images.<name>.repository`
/// is `<registry>/<repository>` (a guide may state the same image as `hub`/`name` too, for
/// older charts). Returns the guide paths used.
pub(super) fn split_images(w: &mut Writer<'_>, rest: &[Leaf]) -> Vec<String> {
    let mut used = Vec::new();
    for (registry, repository, name) in SPLIT_IMAGES {
        let find = |p: &str| rest.iter().find(|l| l.path == p);
        let (Some(reg), Some(repo)) = (find(registry), find(repository)) else {
            continue;
        };
        let (Some(r), Some(p)) = (reg.node.as_str(), repo.node.as_str()) else {
            continue;
        };
        let origins: Vec<Origin> = vec![reg.origin.clone(), repo.origin.clone()];
        w.put(
            &format!("images.{name}.repository"),
            Val::Str(format!("{}/{}", r.trim_end_matches('/'), p)),
            origins,
            None,
        );
        used.extend([registry.to_string(), repository.to_string()]);
    }
    used
}
