//! kustomize's `images` transformer: containers whose image an entry names get its new
//! name, tag or digest, each written as a node that cites the entry.

// Every step has the one shape of `super::Step` (`&mut Vec`: patches may delete resources).
#![allow(clippy::ptr_arg)]

use super::transform::text_node;
use super::{Builder, Kust, Resource};
use crate::error::Result;
use crate::read::yaml::{Kind, Node};

/// One `images` entry.
struct Image {
    name: String,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
    line: usize,
    end_line: usize,
}

pub(super) fn images(b: &mut Builder<'_>, k: &Kust, acc: &mut Vec<Resource>) -> Result<()> {
    let Some(e) = k.get("images").filter(|e| !e.value.is_null()) else {
        return Ok(());
    };
    let Some(items) = e.value.as_seq() else {
        return Err(b.error_at(k.src, e.line, "`images` is a list"));
    };
    let mut list = Vec::new();
    for item in items {
        let mut image = Image {
            name: String::new(),
            new_name: None,
            new_tag: None,
            digest: None,
            line: item.line,
            end_line: item.end_line,
        };
        for f in item.as_map().unwrap_or_default() {
            let v = f.value.as_scalar().map(|s| s.value.clone());
            match f.key.as_str() {
                "name" => image.name = v.unwrap_or_default(),
                "newName" => image.new_name = v,
                "newTag" => image.new_tag = v,
                "digest" => image.digest = v,
                other => {
                    return Err(b.error_at(
                        k.src,
                        f.line,
                        format!(
                            "`images[].{other}` is not supported (name, newName, newTag, digest)"
                        ),
                    ));
                }
            }
        }
        if image.name.is_empty() {
            return Err(b.error_at(k.src, item.line, "an `images` entry needs a name"));
        }
        list.push(image);
    }
    // kustomize's legacy image filter: every `containers` and `initContainers` list,
    // wherever it is (so a LeaderWorkerSet's pods are covered too).
    for r in acc.iter_mut() {
        rewrite_images(b, &mut r.node, &list, k.src);
    }
    Ok(())
}

/// Rewrite the `image` of every container under `root` that an entry names.
fn rewrite_images(b: &mut Builder<'_>, root: &mut Node, list: &[Image], src: usize) {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match &mut n.kind {
            Kind::Scalar(_) => {}
            Kind::Seq(items) => stack.extend(items.iter_mut()),
            Kind::Map(entries) => {
                for e in entries.iter_mut() {
                    if !(e.key == "containers" || e.key == "initContainers") {
                        continue;
                    }
                    let Kind::Seq(containers) = &mut e.value.kind else {
                        continue;
                    };
                    for c in containers.iter_mut() {
                        let Kind::Map(fields) = &mut c.kind else {
                            continue;
                        };
                        let Some(img) = fields.iter_mut().find(|f| f.key == "image") else {
                            continue;
                        };
                        let Some(current) = img.value.as_str().map(str::to_string) else {
                            continue;
                        };
                        if let Some((new, image)) =
                            list.iter().find_map(|i| retag(&current, i).map(|n| (n, i)))
                        {
                            img.value = text_node(b, &new, src, image.line, image.end_line);
                            img.line = image.line;
                        }
                    }
                }
                stack.extend(entries.iter_mut().map(|e| &mut e.value));
            }
        }
    }
}

/// The new reference for `image` when `entry` names it.
fn retag(image: &str, entry: &Image) -> Option<String> {
    let (name, suffix) = split_image(image);
    if name != entry.name {
        return None;
    }
    let name = entry.new_name.as_deref().unwrap_or(name);
    let suffix = match (&entry.digest, &entry.new_tag) {
        (Some(d), _) => format!("@{d}"),
        (None, Some(t)) => format!(":{t}"),
        (None, None) => suffix.to_string(),
    };
    Some(format!("{name}{suffix}"))
}

/// `repo/name:tag` -> (`repo/name`, `:tag`); `name@sha256:x` -> (`name`, `@sha256:x`).
fn split_image(image: &str) -> (&str, &str) {
    if let Some(at) = image.find('@') {
        return image.split_at(at);
    }
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(c) => image.split_at(slash + c),
        None => (image, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_split_and_retag() {
        assert_eq!(split_image("ghcr.io/a/b:v1"), ("ghcr.io/a/b", ":v1"));
        assert_eq!(split_image("localhost:5000/b"), ("localhost:5000/b", ""));
        assert_eq!(split_image("b@sha256:x"), ("b", "@sha256:x"));
        let entry = Image {
            name: "INFERENCE_SERVER_IMAGE".into(),
            new_name: Some("ghcr.io/llm-d/llm-d-cuda-dev".into()),
            new_tag: Some("sha-5a98b4f".into()),
            digest: None,
            line: 1,
            end_line: 1,
        };
        assert_eq!(
            retag("INFERENCE_SERVER_IMAGE", &entry).as_deref(),
            Some("ghcr.io/llm-d/llm-d-cuda-dev:sha-5a98b4f")
        );
        assert_eq!(retag("other:1", &entry), None);
    }
}
