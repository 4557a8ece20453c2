//! Guides whose README is the install recipe (llm-d since April 2026): the recipe's
//! variants (the overlays its options name, and those beside them), and the model of one:
//! its overlay's build plus the router values of the recipe's helm install.

use super::*;

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

pub(super) fn recipe_guide(opened: &Opened) -> Option<Recipe> {
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
pub(super) fn guide_path(opened: &Opened, repo: &str) -> String {
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
pub(super) const SERVER_KINDS: &[&str] = &["Deployment", "StatefulSet", "LeaderWorkerSet"];

/// Whether a folder holds an overlay a user applies: a kustomization that is not a
/// Component (monitoring and feature components are not model servers). Only the
/// kustomization file is read, so listing variants fetches little from a remote guide; an
/// overlay that builds no model server fails when converted, with why.
pub(super) fn is_overlay(src: &dyn Source, dir: &str) -> bool {
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
pub(super) fn kustomizations_under(src: &dyn Source, root: &str) -> Vec<String> {
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
pub(super) fn overlay_name(dir: &str, root: Option<&str>) -> String {
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
pub(super) fn sglang(build: &kustomize::Build) -> Option<String> {
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
pub(super) fn scalar_at(value: &str, src: usize, line: usize, id: usize) -> Node {
    Node {
        id,
        src,
        line,
        end_line: line,
        column: 1,
        kind: Kind::Scalar(crate::read::yaml::Scalar {
            value: value.to_string(),
            plain: true,
        }),
    }
}

pub(super) fn from_recipe(
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
        return Err(Error::request(
            "variant",
            format!("variant {wanted:?}: this guide's overlays are {}", names()),
        ));
    };
    let mut warnings = recipe.warnings.clone();
    warnings.extend(missing_options(opened, recipe));
    if chosen.line.is_none() {
        warnings.push(Diagnostic::warning("recipe-layout", format!(
            "overlay {} is not in {}'s recipe: found beside the overlays it installs (layout convention)",
            chosen.dir,
            recipe::README
        )));
    }
    if src.list(&chosen.dir).is_err() {
        return Err(Error::Invalid(format!(
            "variant {}: {}:{} installs overlay {}, which this copy of the guide does not have",
            chosen.name,
            recipe::README,
            chosen.line.unwrap_or(0),
            chosen.dir
        )));
    }
    let mut build = kustomize::build(src, &chosen.dir, kustomize::Options { fetch })?;
    if let Some(at) = sglang(&build) {
        return Err(Error::request(
            "variant",
            format!(
                "variant {}: overlay {} runs SGLang ({at}); llm-d-benchmark's bash scenarios deploy vLLM only, so this variant is not converted (the guide's vLLM variants are)",
                chosen.name, chosen.dir
            ),
        ));
    }
    let extracted = kustomize::values::extract(&mut build);
    warnings.extend(kustomize_warnings(&build.warnings, &extracted.warnings));
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

/// Overlays an option of the recipe names (`# options: gpu, tpu`) that this copy of the
/// guide does not have: said at the option's README line; they are no variants.
fn missing_options(opened: &Opened, recipe: &Recipe) -> Vec<Diagnostic> {
    let src = opened.source.as_ref();
    let mut warnings = Vec::new();
    for a in recipe.applies.iter().filter(|a| a.listed) {
        for alt in &a.alternatives {
            let dir = guide_path(opened, alt);
            if src
                .list(&dir)
                .map_or(true, |l| !kustomize::has_kustomization(&l))
            {
                warnings.push(
                    Diagnostic::warning(
                        "recipe-overlay",
                        format!(
                            "an option of the recipe names overlay {dir}, which this copy of the guide does not have (not a variant)"
                        ),
                    )
                    .at(recipe::README, a.line, None),
                );
            }
        }
    }
    warnings
}

/// The kustomize reader's warnings (still text: the reader is not ours to change), as
/// diagnostics; their place, when they have one, is in the text.
pub(super) fn kustomize_warnings(build: &[String], extracted: &[String]) -> Vec<Diagnostic> {
    build
        .iter()
        .chain(extracted)
        .map(|w| Diagnostic::warning("kustomize", w.clone()))
        .collect()
}

/// Other installs of the router's release (gateway mode next to standalone): said, at
/// their README line, and not converted.
fn alternatives(recipe: &Recipe, install: &recipe::HelmInstall, model: &mut Model) {
    for other in recipe
        .helm
        .iter()
        .filter(|h| h.release == install.release && h.line != install.line)
    {
        model.warnings.push(
            Diagnostic::warning(
                "recipe-router",
                format!(
                    "{} installs release {} another way ({}); converted the first, {}:{} ({})",
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
                ),
            )
            .at(recipe::README, other.line, None),
        );
    }
}

/// The README as a source of the model (the place of `--set` values and chart versions);
/// returns its index.
fn readme_source(src: &dyn Source, model: &mut Model) -> Result<usize> {
    let readme_text = src.read(recipe::README)?;
    let readme_src = model.sources.len();
    let mut readme = Doc::new(
        recipe::README,
        &readme_text,
        scalar_at("", readme_src, 1, 0),
    );
    readme.root.set_src(readme_src);
    model.sources.push(readme);
    Ok(readme_src)
}

/// The router (GAIE chart) values: the recipe's first install of a router chart, its `-f`
/// files merged in order with Helm's semantics, then its `--set` entries. Other installs of
/// the same release (gateway mode) are alternatives, said in a warning.
pub(super) fn router_values(
    opened: &Opened,
    recipe: &Recipe,
    model: &mut Model,
    first_id: usize,
) -> Result<()> {
    let src = opened.source.as_ref();
    let is_router = |chart: &str| Chart::of(chart) == Chart::Gaie || chart.ends_with("/standalone");
    let Some(install) = recipe.helm.iter().find(|h| is_router(&h.chart)) else {
        model.warnings.push(Diagnostic::warning("recipe-router", format!(
            "{} installs no router chart (inferencepool, standalone): the GAIE keeps llm-d-benchmark's settings",
            recipe::README
        )));
        return Ok(());
    };
    alternatives(recipe, install, model);
    let readme_src = readme_source(src, model)?;
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
                Error::Invalid(format!(
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
