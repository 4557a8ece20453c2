//! The guide model for one variant: the value trees to map (one per chart release, merged
//! from all its sources the way Helm does) and the files they came from.
//!
//! A guide folder with a helmfile is rendered for the chosen environment (the variant);
//! one without a helmfile, or a single values file, is taken as it is. A kustomize guide
//! (`wide-ep-lws`, `tiered-prefix-cache`) is built overlay by overlay (its variants) and its
//! manifests become one values-shaped tree ([`crate::kustomize::values`]), so the same rules
//! map both kinds of guide.

use crate::error::{Error, Result};
use crate::helmfile::{self, Chart, Helmfile};
use crate::kustomize::{self, Fetch};
use crate::source::{self, Entry, GuideFile, Opened, Role, Source};
use crate::values::{self, Overridden};
use crate::yaml::{self, Doc, Entry as YamlEntry, Kind, Node};

/// The variant used when none is asked for: helmfile's own default environment.
pub const DEFAULT_VARIANT: &str = "default";

/// What a conversion maps.
#[derive(Debug, Clone)]
pub struct Model {
    /// The variant (helmfile environment); `None` for guides without a helmfile.
    pub variant: Option<String>,
    /// Every file nodes came from; `Node::src` indexes this.
    pub sources: Vec<Doc>,
    /// The trees to map.
    pub roots: Vec<Node>,
    /// Values replaced by a later source of the same release.
    pub overridden: Vec<Overridden>,
    pub warnings: Vec<String>,
    /// The values files each chart release uses, for `--list-variants`.
    pub used: Vec<(Chart, String)>,
    /// For a kustomize guide: the overlay folder the variant builds.
    pub overlay: Option<String>,
}

/// Names of the guide's variants, in the helmfile's order (`default` when it has none); for
/// a kustomize guide, its overlays.
pub fn variants(opened: &Opened) -> Result<Vec<String>> {
    if is_kustomize(opened)? {
        return Ok(overlays(opened)?.into_iter().map(|o| o.name).collect());
    }
    match helmfile_of(opened)? {
        Some(h) => Ok(h.environments().iter().map(|e| e.name.clone()).collect()),
        None => Ok(vec![DEFAULT_VARIANT.to_string()]),
    }
}

fn helmfile_of(opened: &Opened) -> Result<Option<Helmfile>> {
    if opened.entry != Entry::Folder {
        return Ok(None);
    }
    let listing = opened.source.list("")?;
    if !listing.iter().any(|e| e == source::HELMFILE) {
        return Ok(None);
    }
    let text = opened.source.read(source::HELMFILE)?;
    helmfile::parse(source::HELMFILE, &text).map(Some)
}

/// Build the model of `variant` (default: `default`).
pub fn build(opened: &Opened, variant: Option<&str>) -> Result<Model> {
    build_with(opened, variant, None)
}

/// [`build`], fetching the remote resources a kustomization names with `fetch`.
pub fn build_with(
    opened: &Opened,
    variant: Option<&str>,
    fetch: Option<&Fetch<'_>>,
) -> Result<Model> {
    if is_kustomize(opened)? {
        return from_kustomize(opened, variant, fetch);
    }
    match helmfile_of(opened)? {
        Some(h) => from_helmfile(opened, &h, variant.unwrap_or(DEFAULT_VARIANT)),
        None => {
            if let Some(v) = variant.filter(|v| *v != DEFAULT_VARIANT) {
                return Err(Error::Usage(format!(
                    "variant {v:?}: this guide has no helmfile.yaml.gotmpl, so its only variant is {DEFAULT_VARIANT}"
                )));
            }
            from_files(&source::load(opened)?)
        }
    }
}

/// Without a helmfile: each file is its own tree.
fn from_files(guide: &source::Guide) -> Result<Model> {
    let mut model = Model {
        variant: None,
        sources: Vec::new(),
        roots: Vec::new(),
        overridden: Vec::new(),
        warnings: Vec::new(),
        used: Vec::new(),
        overlay: None,
    };
    if !guide.skipped.is_empty() {
        model.warnings.push(format!(
            "other values files in the guide were not used (environment variants): {}",
            guide.skipped.join(", ")
        ));
    }
    for GuideFile { rel, role, text } in &guide.files {
        let chart = match role {
            Role::ModelService | Role::Values => Chart::ModelService,
            Role::Gaie => Chart::Gaie,
            // Only guides without a helmfile come here.
            Role::Helmfile => continue,
        };
        let mut doc = yaml::parse_values(rel, text)?;
        doc.root.set_src(model.sources.len());
        model.overridden.extend(values::duplicates(&doc));
        model.roots.push(doc.root.clone());
        model.sources.push(doc);
        model.used.push((chart, rel.clone()));
    }
    Ok(model)
}

/// `chartVersions: {infra: v, gaie: v, ...}`, the tree the chart-version rules read.
fn versions_root(entries: Vec<YamlEntry>, src: usize) -> Node {
    let first = entries.first().map_or(1, |e| e.line);
    let last = entries.last().map_or(1, |e| e.line);
    let synthetic = |id: usize, kind: Kind| Node {
        id,
        src,
        line: first,
        end_line: last,
        column: 1,
        kind,
    };
    let versions = synthetic(usize::MAX - 1, Kind::Map(entries));
    synthetic(
        usize::MAX - 2,
        Kind::Map(vec![YamlEntry {
            key: "chartVersions".into(),
            line: first,
            value: versions,
        }]),
    )
}

fn from_helmfile(opened: &Opened, h: &Helmfile, variant: &str) -> Result<Model> {
    let src = opened.source.as_ref();
    let rendered = h.render(variant, src)?;
    let mut model = Model {
        variant: Some(variant.to_string()),
        sources: std::iter::once(rendered.doc.clone())
            .chain(rendered.env_docs.iter().cloned())
            .collect(),
        roots: Vec::new(),
        overridden: Vec::new(),
        warnings: rendered.warnings.clone(),
        used: Vec::new(),
        overlay: None,
    };
    model.sources[0].root.set_src(0);
    let mut versions = Vec::new();
    for release in &rendered.releases {
        if let Some((mut version, line)) = release.version.clone() {
            version.set_src(0);
            if release.chart != Chart::Other
                && !versions
                    .iter()
                    .any(|e: &YamlEntry| e.key == release.chart.key())
            {
                versions.push(YamlEntry {
                    key: release.chart.key().into(),
                    line,
                    value: version,
                });
            }
        }
        if release.chart == Chart::Other {
            model.warnings.push(format!(
                "release {} deploys a chart llm-d-benchmark does not: not converted",
                release.name
            ));
            continue;
        }
        // Inline values and set: entries are nodes of the rendered document (source 0), or
        // of an environment document when the template copied them from the environment.
        let release = release.clone();
        let sources = &mut model.sources;
        let used = &mut model.used;
        let mut duplicates = Vec::new();
        let before = model.overridden.len();
        let root = helmfile::release_values(
            &release,
            |rel| {
                let mut doc =
                    yaml::parse_values(rel, &src.read(rel).map_err(|e| missing(rel, variant, e))?)?;
                doc.root.set_src(sources.len());
                duplicates.extend(values::duplicates(&doc));
                used.push((release.chart, rel.to_string()));
                let root = doc.root.clone();
                sources.push(doc);
                Ok(root)
            },
            &mut model.overridden,
        )?;
        // Duplicates first: within a file, before any later file overrides it.
        model.overridden.splice(before..before, duplicates);
        model.roots.push(root);
    }
    if !versions.is_empty() {
        model.roots.push(versions_root(versions, 0));
    }
    if !model
        .used
        .iter()
        .any(|(c, _)| matches!(c, Chart::ModelService | Chart::Gaie))
    {
        return Err(Error::NoValues {
            path: std::path::PathBuf::from(src.origin()),
            looked_for: format!(
                "modelservice or GAIE values in the releases of environment {variant:?}"
            ),
        });
    }
    Ok(model)
}

/// A values file a release names but the guide does not have.
fn missing(rel: &str, variant: &str, e: Error) -> Error {
    // Only a file that is not there; other read failures (too large, outside the guide's
    // repository) keep their own error and exit code.
    let not_there = match &e {
        Error::Read { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
        Error::NotFound { .. } => true,
        _ => false,
    };
    if !not_there {
        return e;
    }
    Error::Usage(format!(
        "variant {variant}: the helmfile names values file {rel}, which cannot be read ({e})"
    ))
}

/// The guide's own recommended benchmark (`guides/benchmark/<guide>_template.yaml`):
/// its harness, its first workload, and the file, relative to the guide folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnBenchmark {
    pub file: String,
    pub harness: String,
    pub workload: Option<String>,
}

/// Look for the guide's own benchmark: `benchmark-templates/` in the guide (2026-05 layout;
/// `guide.yaml` first), else beside the guides (`../benchmark/`), named after the guide with
/// underscores or after its first word, the `_guide_template.yaml` (the guide's published
/// benchmark) before the `_template.yaml` (`inference_scheduling_guide_template.yaml`,
/// `pd_template.yaml`, `precise_guide_template.yaml`).
pub fn own_benchmark(opened: &Opened) -> Option<OwnBenchmark> {
    if opened.entry != Entry::Folder {
        return None;
    }
    let file = own_benchmark_file(opened)?;
    let doc = yaml::parse_one(&file, &opened.source.read(&file).ok()?).ok()?;
    let harness = doc.root.at("harness.name")?.as_str()?.to_string();
    let workload = doc
        .root
        .get("workload")
        .and_then(Node::as_map)
        .and_then(|w| w.first())
        .map(|e| e.key.clone());
    Some(OwnBenchmark {
        file,
        harness,
        workload,
    })
}

/// The guide's benchmark template, relative to the guide folder (see [`own_benchmark`]).
pub fn own_benchmark_file(opened: &Opened) -> Option<String> {
    if let Ok(listing) = opened.source.list("benchmark-templates") {
        // The one the README's recipe downloads, else guide.yaml, else the first.
        let readme = opened.source.read("README.md").unwrap_or_default();
        let named = |e: &str| readme.contains(&format!("benchmark-templates/{e}"));
        let mut yamls: Vec<&String> = listing.iter().filter(|e| e.ends_with(".yaml")).collect();
        yamls.sort_by_key(|e| (!named(e), e.as_str() != "guide.yaml", e.as_str()));
        if let Some(first) = yamls.first() {
            return Some(format!("benchmark-templates/{first}"));
        }
    }
    let listing = opened.source.list("../benchmark").ok()?;
    let full = opened.name.replace('-', "_");
    let first = opened
        .name
        .split('-')
        .next()
        .unwrap_or_default()
        .to_string();
    let name = [&full, &first]
        .iter()
        .map(|p| format!("{p}_guide_template.yaml"))
        .chain([&full, &first].iter().map(|p| format!("{p}_template.yaml")))
        .find(|n| listing.iter().any(|e| e == n))?;
    Some(format!("../benchmark/{name}"))
}

// -----------------------------------------------------------------------------------------
// Kustomize guides

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

fn is_kustomize(opened: &Opened) -> Result<bool> {
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
const OVERLAY_DEPTH: usize = 6;

/// The folders of a guide holding a kustomization (not following `../`), sorted.
fn kustomization_dirs(src: &dyn Source) -> Result<Vec<String>> {
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
            return Err(Error::Usage(format!(
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
fn candidates(src: &dyn Source) -> Result<Vec<Overlay>> {
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
fn runs_a_model(src: &dyn Source, overlay: &Overlay) -> bool {
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
const GAIE_FILES: &[&str] = &["inferencepool.values.yaml", "inferencepool/values.yaml"];

/// Folders above an overlay given directly (`guides/wide-ep-lws/manifests/modelserver/gke`)
/// searched for its guide's inferencepool values.
const GAIE_LEVELS_ABOVE: usize = 4;

/// The guide's inferencepool values for an overlay: the nearest up from the overlay, else
/// the nearest up from a kustomization it includes (a base from `../recipes` brings
/// `recipes/inferencepool/values.yaml`). `bool`: found from the overlay itself.
fn gaie_values(src: &dyn Source, overlay: &str, included: &[String]) -> Option<(String, bool)> {
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

fn from_kustomize(
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
            Error::Usage(format!(
                "variant {v:?}: this kustomize guide's overlays are {}",
                names()
            ))
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
                warnings.push(format!(
                    "the guide has no base overlay: converted {}, the first of its variants ({}); choose one with --variant",
                    chosen.name,
                    names()
                ));
            }
            chosen
        }
    };
    let mut build = kustomize::build(src, &overlay.dir, kustomize::Options { fetch })?;
    let extracted = kustomize::values::extract(&mut build);
    warnings.extend(build.warnings.iter().cloned());
    warnings.extend(extracted.warnings.iter().cloned());
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
    match gaie_values(src, &overlay.dir, &build.dirs) {
        Some((rel, own)) => {
            let mut doc = yaml::parse_values(&rel, &src.read(&rel)?)?;
            doc.root.set_src(model.sources.len());
            model.overridden.extend(values::duplicates(&doc));
            if !own {
                model.warnings.push(format!(
                    "GAIE values: {rel}, the nearest to a kustomization this variant includes (none beside the overlay itself)"
                ));
            }
            model.roots.push(doc.root.clone());
            model.sources.push(doc);
            model.used.push((Chart::Gaie, rel));
        }
        None => model.warnings.push(
            "no inferencepool values (inferencepool.values.yaml, inferencepool/values.yaml) beside the overlay: the GAIE keeps llm-d-benchmark's settings".into(),
        ),
    }
    Ok(model)
}
