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
use crate::recipe::{self, Recipe};
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

// -----------------------------------------------------------------------------------------
// Guides whose README is the install recipe (llm-d since April 2026)

/// The recipe of the guide in folder `dir` (`""`: the opened guide), when its README installs
/// something: a router chart or a kustomize overlay of its own source.
pub fn recipe_of(src: &dyn Source, dir: &str) -> Option<Recipe> {
    let listing = src.list(dir).ok()?;
    if !listing.iter().any(|e| e == recipe::README) {
        return None;
    }
    let text = src.read(&kustomize::join(dir, recipe::README)).ok()?;
    let recipe = recipe::read(&text);
    (!recipe.applies.is_empty() || !recipe.helm.is_empty()).then_some(recipe)
}

/// A guide of the README-recipe layout: not a Helm or (older) kustomize guide, and its
/// README installs a kustomize overlay or a router chart.
pub fn is_recipe_guide(src: &dyn Source, dir: &str) -> Result<bool> {
    if is_helm_guide(src, dir)? || is_kustomize_guide(src, dir)? {
        return Ok(false);
    }
    Ok(recipe_of(src, dir).is_some_and(|r| deploys_model_server(&r)))
}

/// Whether a recipe installs a model server: an overlay, or (with it) a router chart.
pub fn deploys_model_server(recipe: &Recipe) -> bool {
    !recipe.applies.is_empty()
}

fn recipe_guide(opened: &Opened) -> Option<Recipe> {
    if opened.entry != Entry::Folder {
        return None;
    }
    match is_recipe_guide(opened.source.as_ref(), "") {
        Ok(true) => recipe_of(opened.source.as_ref(), ""),
        _ => None,
    }
}

/// A path of the recipe (from the repository root, as the README's `cd llm-d` has it) as a
/// path of the guide's source: the guide sits in the repository's `guides/<name>/`.
fn guide_path(opened: &Opened, repo: &str) -> String {
    let repo = kustomize::normalize(repo);
    let rel = match repo.strip_prefix("guides/") {
        Some(rest) => kustomize::join("..", rest),
        None => kustomize::join("../..", &repo),
    };
    let own = format!("../{}", opened.name);
    if rel == own {
        return String::new();
    }
    match rel.strip_prefix(&format!("{own}/")) {
        Some(inside) => inside.to_string(),
        None => rel,
    }
}

/// A variant of a recipe guide: an overlay the README installs (or one beside them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeVariant {
    pub name: String,
    /// The overlay folder, relative to the guide.
    pub dir: String,
    /// The README line naming it; `None`: found beside the README's overlays.
    pub line: Option<usize>,
    /// The overlay's own name, for `default` (accepted by `--variant` too).
    pub alias: Option<String>,
}

/// Kinds that run a model server in a built overlay.
const SERVER_KINDS: &[&str] = &["Deployment", "StatefulSet", "LeaderWorkerSet"];

/// Whether a folder holds an overlay a user applies: a kustomization that is not a
/// Component (monitoring and feature components are not model servers). Only the
/// kustomization file is read, so listing variants fetches little from a remote guide; an
/// overlay that builds no model server fails when converted, with why.
fn is_overlay(src: &dyn Source, dir: &str) -> bool {
    let Ok(listing) = src.list(dir) else {
        return false;
    };
    let Some(file) = kustomize::KUSTOMIZATION_FILES
        .iter()
        .find(|f| listing.iter().any(|e| e == *f))
    else {
        return false;
    };
    let Ok(text) = src.read(&kustomize::join(dir, file)) else {
        // Unreadable: kept, so converting it says why.
        return true;
    };
    match yaml::parse_one(file, &text) {
        Ok(doc) => doc.root.get("kind").and_then(Node::as_str) != Some("Component"),
        Err(_) => true,
    }
}

/// Kustomization folders under `root` of the guide, sorted (not following `../`).
fn kustomizations_under(src: &dyn Source, root: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut queue = vec![(root.to_string(), 0)];
    while let Some((dir, depth)) = queue.pop() {
        let Ok(entries) = src.list(&dir) else {
            continue;
        };
        if kustomize::has_kustomization(&entries) {
            out.push(dir.clone());
        }
        if depth >= OVERLAY_DEPTH || out.len() > 200 {
            continue;
        }
        for folder in entries.iter().filter_map(|e| e.strip_suffix('/')) {
            if !folder.starts_with('.') {
                queue.push((kustomize::join(&dir, folder), depth + 1));
            }
        }
    }
    out.sort();
    out
}

/// The name of an overlay: its path below the folder holding the guide's overlays, without
/// `base` folders (`gpu/vllm/coreweave` -> `gpu-vllm-coreweave`).
fn overlay_name(dir: &str, root: Option<&str>) -> String {
    let below = root
        .and_then(|r| dir.strip_prefix(&format!("{r}/")))
        .unwrap_or(dir);
    let kept: Vec<&str> = below
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".." && *s != "base")
        .collect();
    source::sanitize(&kept.join("-"))
}

/// The variants of a recipe guide: the README's overlays in order (the first is `default`),
/// each option of a variable they use, then the other overlays beside the guide's own (a
/// layout convention, said in each such variant's warnings).
pub fn recipe_variants(opened: &Opened, recipe: &Recipe) -> Vec<RecipeVariant> {
    let src = opened.source.as_ref();
    let exists = |dir: &str| {
        src.list(dir)
            .is_ok_and(|l| kustomize::has_kustomization(&l))
    };
    // (dir, README line): the named overlays must be there (missing ones fail, reported);
    // an option of a comment is kept only where it names an overlay.
    let mut named: Vec<(String, usize)> = Vec::new();
    for a in &recipe.applies {
        let dir = guide_path(opened, &a.dir);
        if !named.iter().any(|(d, _)| *d == dir) && (!exists(&dir) || is_overlay(src, &dir)) {
            named.push((dir, a.line));
        }
        for alt in &a.alternatives {
            let dir = guide_path(opened, alt);
            if !named.iter().any(|(d, _)| *d == dir) && exists(&dir) && is_overlay(src, &dir) {
                named.push((dir, a.line));
            }
        }
    }
    // The guide's own folders holding the README's overlays (`modelserver`).
    let mut roots: Vec<String> = Vec::new();
    for (dir, _) in &named {
        if dir.starts_with("..") || dir.is_empty() {
            continue;
        }
        let top = dir.split('/').next().unwrap_or_default().to_string();
        if !roots.contains(&top) {
            roots.push(top);
        }
    }
    let mut out: Vec<RecipeVariant> = Vec::new();
    let add = |dir: &str, line: Option<usize>, out: &mut Vec<RecipeVariant>| {
        let root = roots.iter().find(|r| dir.starts_with(&format!("{r}/")));
        let mut name = overlay_name(dir, root.map(String::as_str));
        if name.is_empty()
            || out
                .iter()
                .any(|v| v.name == name || v.alias.as_deref() == Some(&name))
        {
            name = source::sanitize(dir);
        }
        if out.is_empty() {
            out.push(RecipeVariant {
                name: DEFAULT_VARIANT.to_string(),
                dir: dir.to_string(),
                line,
                alias: Some(name),
            });
        } else {
            out.push(RecipeVariant {
                name,
                dir: dir.to_string(),
                line,
                alias: None,
            });
        }
    };
    for (dir, line) in &named {
        add(dir, Some(*line), &mut out);
    }
    for root in roots.clone() {
        for dir in kustomizations_under(src, &root) {
            if out.iter().any(|v| v.dir == dir) || !is_overlay(src, &dir) {
                continue;
            }
            add(&dir, None, &mut out);
        }
    }
    out
}

/// Whether a built overlay runs SGLang: where it says so (file, line).
fn sglang(build: &kustomize::Build) -> Option<String> {
    for r in &build.resources {
        if !SERVER_KINDS.contains(&r.id().kind.as_str()) {
            continue;
        }
        let mut at = None;
        r.node.walk(|n| {
            if at.is_none() && n.as_str().is_some_and(|s| s.contains("sglang")) {
                let file = build.sources.get(n.src).map_or("?", |d| d.file.as_str());
                at = Some(format!("{file}:{}", n.line));
            }
        });
        if at.is_some() {
            return at;
        }
    }
    None
}

/// A scalar node citing `line` of source `src`.
fn scalar_at(value: &str, src: usize, line: usize, id: usize) -> Node {
    Node {
        id,
        src,
        line,
        end_line: line,
        column: 1,
        kind: Kind::Scalar(crate::yaml::Scalar {
            value: value.to_string(),
            plain: true,
        }),
    }
}

fn from_recipe(
    opened: &Opened,
    recipe: &Recipe,
    variant: Option<&str>,
    fetch: Option<&Fetch<'_>>,
) -> Result<Model> {
    let src = opened.source.as_ref();
    let variants = recipe_variants(opened, recipe);
    let names = || {
        variants
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wanted = variant.unwrap_or(DEFAULT_VARIANT);
    let Some(chosen) = variants
        .iter()
        .find(|v| v.name == wanted || v.alias.as_deref() == Some(wanted))
    else {
        if variants.is_empty() {
            return Err(Error::NoValues {
                path: std::path::PathBuf::from(src.origin()),
                looked_for: format!(
                    "a model-server overlay among those its {} installs (kubectl apply -k)",
                    recipe::README
                ),
            });
        }
        return Err(Error::Usage(format!(
            "variant {wanted:?}: this guide's overlays are {}",
            names()
        )));
    };
    let mut warnings: Vec<String> = recipe.warnings.clone();
    for a in recipe.applies.iter().filter(|a| a.listed) {
        for alt in &a.alternatives {
            let dir = guide_path(opened, alt);
            if src
                .list(&dir)
                .map_or(true, |l| !kustomize::has_kustomization(&l))
            {
                warnings.push(format!(
                    "{}:{}: an option of the recipe names overlay {dir}, which this copy of the guide does not have (not a variant)",
                    recipe::README,
                    a.line
                ));
            }
        }
    }
    if chosen.line.is_none() {
        warnings.push(format!(
            "overlay {} is not in {}'s recipe: found beside the overlays it installs (layout convention)",
            chosen.dir,
            recipe::README
        ));
    }
    if src.list(&chosen.dir).is_err() {
        return Err(Error::Usage(format!(
            "variant {}: {}:{} installs overlay {}, which this copy of the guide does not have",
            chosen.name,
            recipe::README,
            chosen.line.unwrap_or(0),
            chosen.dir
        )));
    }
    let mut build = kustomize::build(src, &chosen.dir, kustomize::Options { fetch })?;
    if let Some(at) = sglang(&build) {
        return Err(Error::Usage(format!(
            "variant {}: overlay {} runs SGLang ({at}); llm-d-benchmark's bash scenarios deploy vLLM only, so this variant is not converted (the guide's vLLM variants are)",
            chosen.name, chosen.dir
        )));
    }
    let extracted = kustomize::values::extract(&mut build);
    warnings.extend(build.warnings.iter().cloned());
    warnings.extend(extracted.warnings.iter().cloned());
    let mut model = Model {
        variant: Some(chosen.name.clone()),
        sources: std::mem::take(&mut build.sources),
        roots: vec![extracted.root],
        overridden: build.overridden,
        warnings,
        used: vec![(Chart::ModelService, chosen.dir.clone())],
        overlay: Some(chosen.dir.clone()),
    };
    router_values(opened, recipe, &mut model, build.next_id)?;
    Ok(model)
}

/// The router (GAIE chart) values: the recipe's first install of a router chart, its `-f`
/// files merged in order with Helm's semantics, then its `--set` entries. Other installs of
/// the same release (gateway mode) are alternatives, said in a warning.
fn router_values(
    opened: &Opened,
    recipe: &Recipe,
    model: &mut Model,
    first_id: usize,
) -> Result<()> {
    let src = opened.source.as_ref();
    let is_router = |chart: &str| Chart::of(chart) == Chart::Gaie || chart.ends_with("/standalone");
    let Some(install) = recipe.helm.iter().find(|h| is_router(&h.chart)) else {
        model.warnings.push(format!(
            "{} installs no router chart (inferencepool, standalone): the GAIE keeps llm-d-benchmark's settings",
            recipe::README
        ));
        return Ok(());
    };
    for other in recipe
        .helm
        .iter()
        .filter(|h| h.release == install.release && h.line != install.line)
    {
        model.warnings.push(format!(
            "{}:{}: {} installs release {} another way ({}); converted the first, {}:{} ({})",
            recipe::README,
            other.line,
            if other.section.is_empty() {
                "the recipe"
            } else {
                other.section.as_str()
            },
            other.release,
            other.chart,
            recipe::README,
            install.line,
            if install.section.is_empty() {
                "the recipe"
            } else {
                install.section.as_str()
            },
        ));
    }
    let readme_text = src.read(recipe::README)?;
    let readme_src = model.sources.len();
    let mut readme = Doc::new(
        recipe::README,
        &readme_text,
        scalar_at("", readme_src, 1, 0),
    );
    readme.root.set_src(readme_src);
    model.sources.push(readme);
    let mut next_id = first_id.max(1 << 29);
    let mut id = || {
        next_id += 1;
        next_id
    };
    let release = helmfile::Release {
        name: install.release.clone(),
        chart: Chart::Gaie,
        version: None,
        values: install
            .values
            .iter()
            .map(|(f, _)| helmfile::ReleaseValue::File(guide_path(opened, f)))
            .collect(),
        sets: install
            .sets
            .iter()
            .map(|(k, v, line)| (k.clone(), scalar_at(v, readme_src, *line, id()), *line))
            .collect(),
    };
    let lines: Vec<(String, usize)> = install
        .values
        .iter()
        .map(|(f, l)| (guide_path(opened, f), *l))
        .collect();
    let sources = &mut model.sources;
    let used = &mut model.used;
    let root = helmfile::release_values(
        &release,
        |rel| {
            let text = src.read(rel).map_err(|e| {
                let line = lines.iter().find(|(f, _)| f == rel).map_or(0, |(_, l)| *l);
                Error::Usage(format!(
                    "{}:{line}: the router install names values file {rel}, which cannot be read ({e})",
                    recipe::README
                ))
            })?;
            let mut doc = yaml::parse_one(rel, &text)?;
            doc.root.set_src(sources.len());
            used.push((Chart::Gaie, rel.to_string()));
            let root = doc.root.clone();
            sources.push(doc);
            Ok(root)
        },
        &mut model.overridden,
    )?;
    model.roots.push(root);
    if let Some((version, line)) = &install.version {
        model.roots.push(versions_root(
            vec![YamlEntry {
                key: Chart::Gaie.key().into(),
                line: *line,
                value: scalar_at(version, readme_src, *line, id()),
            }],
            readme_src,
        ));
    }
    Ok(())
}
