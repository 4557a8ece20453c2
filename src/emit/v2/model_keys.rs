//! The model's name, weights and size, and the container images.

use super::tables::key;
use super::{Val, Writer};
use crate::model::{Deployment, Sourced};

pub(super) fn model(w: &mut Writer<'_>, d: &Deployment) {
    let m = &d.model;
    let id = m.hf_id.as_ref().or(m.name.as_ref());
    let Some(id) = id else {
        w.warn(
            "the guide names no model (modelArtifacts.name): llm-d-benchmark will deploy its default".into(),
        );
        return;
    };
    let served = m.name.as_ref().unwrap_or(id);
    // Name, path, id and short name go together: a name alone would serve the default weights.
    let origins = vec![id.origin.clone()];
    w.put(
        key::MODEL_NAME,
        Val::Str(served.value.clone()),
        vec![served.origin.clone()],
        None,
    );
    w.put(
        key::MODEL_HF_ID,
        Val::Str(id.value.clone()),
        origins.clone(),
        None,
    );
    w.put(
        key::MODEL_PATH,
        Val::Str(format!("models/{}", id.value)),
        origins.clone(),
        Some("the model volume holds the weights at models/<Hugging Face id>".into()),
    );
    let short: String = id
        .value
        .chars()
        .map(|c| {
            if c == '/' || c == '.' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    w.put(key::MODEL_SHORT_NAME, Val::Str(short), origins, None);
    if served.value != id.value {
        w.warn(format!(
            "the guide serves {} under the name {}; llm-d-benchmark serves model.name",
            id.value, served.value
        ));
    }
    if let Some(size) = &m.size {
        w.put_s(key::MODEL_SIZE, size);
        w.put_s(key::MODEL_PVC_SIZE, size);
    }
    if let Some(uri) = &m.uri
        && m.hf_id.is_none()
    {
        w.handled(
            "modelArtifacts.uri",
            &uri.origin,
            "llm-d-benchmark downloads the model into its own volume (modelservice.uriProtocol)",
        );
    }
    if let Some(s) = &m.auth_secret {
        w.handled(
            "modelArtifacts.authSecretName",
            &s.origin,
            "llm-d-benchmark creates its own Hugging Face token secret (huggingface.secretName)",
        );
    }
}

/// `repo[:tag]` split at the tag's colon (not a registry port's).
pub(super) fn split_image(image: &str) -> (String, Option<String>) {
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(c) => (
            image[..slash + c].to_string(),
            Some(image[slash + c + 1..].to_string()),
        ),
        None => (image.to_string(), None),
    }
}

pub(super) fn put_image(w: &mut Writer<'_>, key: &str, image: &Sourced<String>) {
    let (repo, tag) = split_image(&image.value);
    w.put(
        &format!("images.{key}.repository"),
        Val::Str(repo),
        vec![image.origin.clone()],
        None,
    );
    if let Some(tag) = tag {
        w.put(
            &format!("images.{key}.tag"),
            Val::Str(tag),
            vec![image.origin.clone()],
            None,
        );
    }
}

pub(super) fn images(w: &mut Writer<'_>, d: &Deployment) {
    let decode = d.decode.image.as_ref().filter(|_| d.decode.created());
    let prefill = d.prefill.image.as_ref().filter(|_| d.prefill.created());
    let Some(first) = decode.or(prefill) else {
        return;
    };
    put_image(w, key::IMAGE_VLLM, first);
    if let (Some(a), Some(b)) = (decode, prefill)
        && a.value != b.value
    {
        w.unmapped(
            "prefill.containers.0.image",
            &b.origin,
            "not expressible: both stages run images.vllm",
        );
    }
}
