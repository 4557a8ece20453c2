//! Kustomize guides (`wide-ep-lws`, `tiered-prefix-cache`): which folders are overlays
//! (the variants), which run a model, and the model of one overlay's build with the GAIE
//! values found beside it.

use super::*;

/// A Helm guide folder: a helmfile, or `ms-*`/`gaie-*` folders.
pub fn is_helm_guide(src: &dyn Source, dir: &str) -> Result<bool> {
    let entries = src.list(dir)?;
    Ok(entries.iter().any(|e| {
        e == source::HELMFILE
            || ((e.starts_with("ms-") || e.starts_with("gaie-")) && e.ends_with('/'))
    }))
}

/// A kustomize guide folder (and not a Helm one): a kustomization or `manifests/` in it, or
/// in each of its folders (`tiered-prefix-cache/{cpu,storage}/manifests`). A folder of
/// guides is not one: some of its folders hold other things.
pub fn is_kustomize_guide(src: &dyn Source, dir: &str) -> Result<bool> {
    if is_helm_guide(src, dir)? {
        return Ok(false);
    }
    let entries = src.list(dir)?;
    let has_manifests = |entries: &[String]| {
        kustomize::has_kustomization(entries) || entries.iter().any(|e| e == "manifests/")
    };
    if has_manifests(&entries) {
        return Ok(true);
    }
    let folders: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.strip_suffix('/'))
        .filter(|f| !f.starts_with('.'))
        .collect();
    if folders.is_empty() {
        return Ok(false);
    }
    for folder in folders {
        if !has_manifests(&src.list(&kustomize::join(dir, folder))?) {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(super) fn is_kustomize(opened: &Opened) -> Result<bool> {
    if opened.entry != Entry::Folder {
        return Ok(false);
    }
    is_kustomize_guide(opened.source.as_ref(), "")
}

/// An overlay of a kustomize guide: its variant name and folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    pub name: String,
    pub dir: String,
}

/// How deep under a guide kustomizations are looked for.
pub(super) const OVERLAY_DEPTH: usize = 6;

/// The folders of a guide holding a kustomization (not following `../`), sorted.
pub(super) fn kustomization_dirs(src: &dyn Source) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut queue = vec![(String::new(), 0)];
    while let Some((dir, depth)) = queue.pop() {
        let entries = src.list(&dir)?;
        if kustomize::has_kustomization(&entries) {
            out.push(dir.clone());
        }
        if depth >= OVERLAY_DEPTH {
            continue;
        }
        for folder in entries.iter().filter_map(|e| e.strip_suffix('/')) {
            if !folder.starts_with('.') {
                queue.push((kustomize::join(&dir, folder), depth + 1));
            }
        }
        if out.len() > 200 {
            return Err(Error::Invalid(format!(
                "{}: more than 200 kustomizations; point at the guide folder",
                src.origin()
            )));
        }
    }
    out.sort();
    Ok(out)
}

/// Every kustomization folder of a guide as a possible variant, named by its path without
/// the folders every one of them shares; `base` (or the only one) is `default`.
pub(super) fn candidates(src: &dyn Source) -> Result<Vec<Overlay>> {
    let dirs = kustomization_dirs(src)?;
    let split: Vec<Vec<&str>> = dirs.iter().map(|d| d.split('/').collect()).collect();
    let shared = |seg: &str| split.len() > 1 && split.iter().all(|s| s.contains(&seg));
    let mut out: Vec<Overlay> = Vec::new();
    for (dir, segs) in dirs.iter().zip(&split) {
        let kept: Vec<&str> = segs
            .iter()
            .copied()
            .filter(|s| !s.is_empty() && !shared(s))
            .collect();
        let name = match kept.join("-").as_str() {
            "" | "base" => DEFAULT_VARIANT.to_string(),
            n => source::sanitize(n),
        };
        let name = if out.iter().any(|o| o.name == name) {
            source::sanitize(dir)
        } else {
            name
        };
        out.push(Overlay {
            name,
            dir: dir.clone(),
        });
    }
    out.sort_by(|a, b| {
        (a.name != DEFAULT_VARIANT, &a.name).cmp(&(b.name != DEFAULT_VARIANT, &b.name))
    });
    Ok(out)
}

/// Whether an overlay is a variant: its build runs a model server that names a model (a base
/// without one, such as `tiered-prefix-cache/cpu/manifests/vllm/base`, is not), or it does
/// not build (listed, so its error is seen).
pub(super) fn runs_a_model(src: &dyn Source, overlay: &Overlay) -> bool {
    match kustomize::build(src, &overlay.dir, kustomize::Options::default()) {
        Ok(mut b) => kustomize::values::extract(&mut b).model.is_some(),
        Err(_) => true,
    }
}

/// The overlays that are variants (see [`runs_a_model`]), `default` first.
pub fn overlays(opened: &Opened) -> Result<Vec<Overlay>> {
    let src = opened.source.as_ref();
    Ok(candidates(src)?
        .into_iter()
        .filter(|o| runs_a_model(src, o))
        .collect())
}

/// File names of GAIE values beside kustomize manifests.
pub(super) const GAIE_FILES: &[&str] = &["inferencepool.values.yaml", "inferencepool/values.yaml"];

/// Folders above an overlay given directly (`guides/wide-ep-lws/manifests/modelserver/gke`)
/// searched for its guide's inferencepool values.
pub(super) const GAIE_LEVELS_ABOVE: usize = 4;

/// The guide's inferencepool values for an overlay: the nearest up from the overlay, else
/// the nearest up from a kustomization it includes (a base from `../recipes` brings
/// `recipes/inferencepool/values.yaml`). `bool`: found from the overlay itself.
pub(super) fn gaie_values(
    src: &dyn Source,
    overlay: &str,
    included: &[String],
) -> Option<(String, bool)> {
    for (i, start) in std::iter::once(overlay.to_string())
        .chain(included.iter().cloned())
        .enumerate()
    {
        // Above the source's root only for an overlay given as the root itself.
        let above = if i == 0 && overlay.is_empty() {
            GAIE_LEVELS_ABOVE
        } else {
            0
        };
        let mut dir = start;
        loop {
            let ups = dir.split('/').filter(|s| *s == "..").count();
            let only_ups = dir.split('/').all(|s| s == "..");
            if !dir.is_empty() && only_ups && ups > above {
                break;
            }
            let listing = src.list(&dir).unwrap_or_default();
            for f in GAIE_FILES {
                let (folder, file) = f.split_once('/').unwrap_or(("", f));
                let here = if folder.is_empty() {
                    listing.iter().any(|e| e == file)
                } else {
                    listing.iter().any(|e| *e == format!("{folder}/"))
                        && src
                            .list(&kustomize::join(&dir, folder))
                            .unwrap_or_default()
                            .iter()
                            .any(|e| e == file)
                };
                if here {
                    return Some((kustomize::join(&dir, f), i == 0));
                }
            }
            if dir.is_empty() && above == 0 {
                break;
            }
            dir = kustomize::join(&dir, "..");
        }
    }
    None
}

pub(super) fn from_kustomize(
    opened: &Opened,
    variant: Option<&str>,
    fetch: Option<&Fetch<'_>>,
) -> Result<Model> {
    let src = opened.source.as_ref();
    let all = candidates(src)?;
    let names = || {
        all.iter()
            .filter(|o| runs_a_model(src, o))
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut warnings = Vec::new();
    let overlay = match variant {
        Some(v) => all.iter().find(|o| o.name == v).ok_or_else(|| {
            Error::request(
                "variant",
                format!(
                    "variant {v:?}: this kustomize guide's overlays are {}",
                    names()
                ),
            )
        })?,
        None => {
            // `default` when there is a base; else the first overlay that runs a model.
            let chosen = all
                .iter()
                .find(|o| o.name == DEFAULT_VARIANT)
                .or_else(|| all.iter().find(|o| runs_a_model(src, o)));
            let Some(chosen) = chosen else {
                return Err(Error::NoValues {
                    path: std::path::PathBuf::from(src.origin()),
                    looked_for: "a kustomization whose build runs vLLM with a model".into(),
                });
            };
            if chosen.name != DEFAULT_VARIANT {
                warnings.push(Diagnostic::warning("kustomize-no-base", format!(
                    "the guide has no base overlay: converted {}, the first of its variants ({}); choose one with --variant",
                    chosen.name,
                    names()
                )));
            }
            chosen
        }
    };
    let mut build = kustomize::build(src, &overlay.dir, kustomize::Options { fetch })?;
    let extracted = kustomize::values::extract(&mut build);
    warnings.extend(kustomize_warnings(&build.warnings, &extracted.warnings));
    let mut model = Model {
        variant: Some(overlay.name.clone()),
        sources: std::mem::take(&mut build.sources),
        roots: vec![extracted.root],
        overridden: build.overridden,
        warnings,
        used: vec![(
            Chart::ModelService,
            if overlay.dir.is_empty() {
                ".".to_string()
            } else {
                overlay.dir.clone()
            },
        )],
        overlay: Some(overlay.dir.clone()),
    };
    add_gaie(src, &overlay.dir, &build.dirs, &mut model)?;
    Ok(model)
}

/// The GAIE values of an overlay (see [`gaie_values`]), or a warning that there are none.
fn add_gaie(src: &dyn Source, overlay: &str, included: &[String], model: &mut Model) -> Result<()> {
    match gaie_values(src, overlay, included) {
        Some((rel, own)) => {
            let mut doc = yaml::parse_values(&rel, &src.read(&rel)?)?;
            doc.root.set_src(model.sources.len());
            model.overridden.extend(values::duplicates(&doc));
            if !own {
                model.warnings.push(Diagnostic::warning("gaie-values", format!(
                    "GAIE values: {rel}, the nearest to a kustomization this variant includes (none beside the overlay itself)"
                )));
            }
            model.roots.push(doc.root.clone());
            model.sources.push(doc);
            model.used.push((Chart::Gaie, rel));
        }
        None => model.warnings.push(Diagnostic::warning("gaie-values", 
            "no inferencepool values (inferencepool.values.yaml, inferencepool/values.yaml) beside the overlay: the GAIE keeps llm-d-benchmark's settings",
        )),
    }
    Ok(())
}
