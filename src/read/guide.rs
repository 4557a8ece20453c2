//! The guide model for one variant: the value trees to map (one per chart release, merged
//! from all its sources the way Helm does) and the files they came from.
//!
//! A guide folder with a helmfile is rendered for the chosen environment (the variant);
//! one without a helmfile, or a single values file, is taken as it is. A kustomize guide
//! (`wide-ep-lws`, `tiered-prefix-cache`) is built overlay by overlay (its variants) and its
//! manifests become one values-shaped tree ([`crate::read::kustomize::values`]), so the same rules
//! map both kinds of guide.

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::load::source::{self, Entry, GuideFile, Opened, Role, Source};
use crate::read::helmfile::{self, Chart, Helmfile};
use crate::read::kustomize::{self, Fetch};
use crate::read::recipe::{self, Recipe};
use crate::read::values::{self, Overridden};
use crate::read::yaml::{self, Doc, Entry as YamlEntry, Kind, Node};

/// The variant used when none is asked for: helmfile's own default environment.
mod from_kustomize;
mod from_recipe;

use from_kustomize::*;
pub use from_kustomize::{Overlay, is_helm_guide, is_kustomize_guide, overlays};
use from_recipe::*;
pub use from_recipe::{
    RecipeVariant, deploys_model_server, is_recipe_guide, recipe_of, recipe_variants,
};

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
    /// What the reader could not follow or chose, for the user (and the scenario header).
    pub warnings: Vec<Diagnostic>,
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
    if let Some(recipe) = recipe_guide(opened) {
        return Ok(recipe_variants(opened, &recipe)
            .into_iter()
            .map(|v| v.name)
            .collect());
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
    if let Some(recipe) = recipe_guide(opened) {
        return from_recipe(opened, &recipe, variant, fetch);
    }
    match helmfile_of(opened)? {
        Some(h) => from_helmfile(opened, &h, variant.unwrap_or(DEFAULT_VARIANT)),
        None => {
            if let Some(v) = variant.filter(|v| *v != DEFAULT_VARIANT) {
                return Err(Error::request(
                    "variant",
                    format!(
                        "variant {v:?}: this guide has no helmfile.yaml.gotmpl, so its only variant is {DEFAULT_VARIANT}"
                    ),
                ));
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
        model.warnings.push(Diagnostic::warning(
            "guide-unused-files",
            format!(
                "other values files in the guide were not used (environment variants): {}",
                guide.skipped.join(", ")
            ),
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
        add_version(&mut versions, release);
        if release.chart == Chart::Other {
            model.warnings.push(Diagnostic::warning(
                "helmfile-chart",
                format!(
                    "release {} deploys a chart llm-d-benchmark does not: not converted",
                    release.name
                ),
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

/// The chart version a release pins, the first of each chart llm-d-benchmark deploys.
fn add_version(versions: &mut Vec<YamlEntry>, release: &helmfile::Release) {
    let Some((mut version, line)) = release.version.clone() else {
        return;
    };
    version.set_src(0);
    if release.chart != Chart::Other && !versions.iter().any(|e| e.key == release.chart.key()) {
        versions.push(YamlEntry {
            key: release.chart.key().into(),
            line,
            value: version,
        });
    }
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
    Error::Invalid(format!(
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
