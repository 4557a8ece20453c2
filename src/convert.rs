//! The driver: runs the pipeline stages in order, so "where does X happen" has one answer.
//!
//! 1. benchmark context: defaults, harness catalog, GAIE presets (checkout or built in);
//! 2. source: read the guide;
//! 3. guide model: parse each file into a tree with lines;
//! 4. workload: validate harness/profile, resolve variations into factors;
//! 5. mapping: guide values -> exports (factors forced so e2e.sh can rewrite them);
//! 6. workload and control exports, sweep checks;
//! 7. render: scenario and experiment text.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::bench::catalog::Catalog;
use crate::bench::defaults::{DefaultValue, Defaults, find_bench_dir};
use crate::diag::Diagnostic;
use crate::emit::v2::{self, V2Defaults};
use crate::error::{Error, Result};
use crate::experiment::{self, Experiment, Variation};
use crate::load::remote::{self, RemoteOptions};
use crate::load::source::{self, Opened, Source};
use crate::map::bash::Options;
use crate::model::scenario::{Export, Scenario, Value};
use crate::read::guide;
use crate::read::helmfile::Chart;

pub const DEFAULT_HARNESS: &str = "inference-perf";
pub const DEFAULT_PROFILE: &str = "sanity_random.yaml";

/// GAIE presets of llm-d-benchmark as of 2026-02-05 (`setup/presets/gaie/`), used when no
/// checkout is found.
pub const BUILTIN_GAIE_PRESETS: &[&str] = &[
    "default.yaml",
    "inf-sche-kv.yaml",
    "inf-sche-none.yaml",
    "inf-sche-prefix-kv-queue.yaml",
    "inf-sche-prefix-kv.yaml",
    "inf-sche-prefix.yaml",
    "inf-sche-queue.yaml",
    "pd-config.yaml",
    "precise-prefix-cache-aware.yaml",
    "prefix-cache-estimate-config.yaml",
    "prefix-cache-tracking-config.yaml",
];

/// What to convert and how.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A guide folder or a values file, or its URL (`http://`, `https://`).
    pub input: PathBuf,
    /// How a guide given by URL is fetched.
    pub remote: RemoteOptions,
    /// The llm-d-benchmark checkout; searched upward from `cwd` when absent.
    pub bench_dir: Option<PathBuf>,
    pub cwd: PathBuf,
    pub harness: Option<String>,
    pub profile: Option<String>,
    /// Run the guide's own benchmark (`with guide`): its harness, the closest profile and
    /// its workload parameters as profile overrides.
    pub guide_workload: bool,
    pub variations: Vec<Variation>,
    /// Overrides the name derived from the input.
    pub name: Option<String>,
    /// The helmfile environment to convert (default: `default`).
    pub variant: Option<String>,
    /// How the experiment's treatments are chosen (default: full factorial).
    pub design: experiment::Design,
    /// The scenario format to write (default: by the checkout found).
    pub target: Target,
}

/// The scenario format: llm-d-benchmark's bash scenario (up to 2026-03-30) or its v2 YAML
/// scenario (`config/scenarios/...`, read by the `llmdbenchmark` package).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Target {
    /// v2 when the checkout found has `config/templates/values/defaults.yaml`, else bash.
    #[default]
    Auto,
    Bash,
    V2,
}

/// llm-d-benchmark as seen from here: its defaults, harnesses, presets.
pub struct Bench {
    pub dir: Option<PathBuf>,
    /// The checkout's v2 defaults (`config/templates/values/defaults.yaml`), if it has them.
    pub v2_defaults: Option<V2Defaults>,
    pub defaults: Defaults,
    pub catalog: Catalog,
    pub presets: Vec<String>,
}

impl Bench {
    /// The checkout at `dir`, or found upward from `cwd`, or the built-in tables.
    pub fn locate(dir: Option<&Path>, cwd: &Path) -> Result<Bench> {
        let dir = match dir {
            Some(d) => {
                if !d.join("setup/env.sh").is_file() && !d.join(v2::DEFAULTS_FILE).is_file() {
                    return Err(Error::request(
                        "option",
                        format!(
                            "{}: not an llm-d-benchmark checkout (no setup/env.sh), nor a v2 one (no {})",
                            d.display(),
                            v2::DEFAULTS_FILE
                        ),
                    ));
                }
                Some(d.to_path_buf())
            }
            None => find_bench_dir(cwd).or_else(|| find_v2_dir(cwd)),
        };
        let Some(dir) = dir else {
            return Ok(Bench::builtin());
        };
        let catalog = if dir.join("workload/profiles").is_dir() {
            Catalog::from_checkout(&dir)?
        } else {
            Catalog::builtin()
        };
        let presets = match std::fs::read_dir(dir.join("setup/presets/gaie")) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect();
                names.sort();
                names
            }
            Err(_) => BUILTIN_GAIE_PRESETS.iter().map(|s| s.to_string()).collect(),
        };
        let v2_defaults = if dir.join(v2::DEFAULTS_FILE).is_file() {
            Some(V2Defaults::load(&dir)?)
        } else {
            None
        };
        // A v2 checkout has no setup/env.sh: the bash defaults are then the built-in ones.
        let defaults = if dir.join("setup/env.sh").is_file() {
            Defaults::load(&dir)?
        } else {
            Defaults::builtin()
        };
        Ok(Bench {
            v2_defaults,
            defaults,
            catalog,
            presets,
            dir: Some(dir),
        })
    }

    pub fn builtin() -> Bench {
        Bench {
            dir: None,
            v2_defaults: None,
            defaults: Defaults::builtin(),
            catalog: Catalog::builtin(),
            presets: BUILTIN_GAIE_PRESETS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The result of a conversion: both files' text and what the user should hear about it.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub name: String,
    pub scenario: Scenario,
    pub scenario_text: String,
    pub experiment: Experiment,
    /// `None` when no variations were given: no experiment file then.
    pub experiment_text: Option<String>,
    /// What the user should hear about: the guide model's warnings with their places, then
    /// those of the mapping and the writers.
    pub warnings: Vec<Diagnostic>,
    /// The llm-d-benchmark checkout used, if one was found.
    pub bench_dir: Option<PathBuf>,
    /// The format written; for v2, `scenario_text` is the YAML scenario.
    pub target: Target,
    /// For v2: the specification file's text (`config/specification/guides/<name>.yaml.j2`).
    pub specification_text: Option<String>,
}

impl Target {
    /// The target a conversion against `bench` writes.
    pub fn resolve(self, bench: &Bench) -> Target {
        match self {
            Target::Auto if bench.v2_defaults.is_some() => Target::V2,
            Target::Auto => Target::Bash,
            t => t,
        }
    }
}

/// Search `start` and its ancestors for a v2 checkout (`config/templates/values/defaults.yaml`).
fn find_v2_dir(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find(|dir| dir.join(v2::DEFAULTS_FILE).is_file())
        .map(Path::to_path_buf)
}

pub fn convert(req: &Request) -> Result<Conversion> {
    let bench = Bench::locate(req.bench_dir.as_deref(), &req.cwd)?;
    let opened = open(req)?;
    convert_guide(&opened, &bench, req)
}

/// Open the request's input: a URL through the remote sources, else a local path.
pub fn open(req: &Request) -> Result<Opened> {
    match req.input.to_str().filter(|s| remote::is_url(s)) {
        Some(url) => remote::open(url, &req.remote),
        None => source::open_local(&req.input),
    }
}

/// Convert an opened guide (any source) against a benchmark context.
pub fn convert_guide(opened: &Opened, bench: &Bench, req: &Request) -> Result<Conversion> {
    let remote = req.remote.clone();
    let fetch = move |url: &str| remote::open(url, &remote);
    let model = guide::build_with(opened, req.variant.as_deref(), Some(&fetch))?;
    let name = match &req.name {
        Some(n) => checked_name(n)?,
        None => output_name(&opened.name, model.variant.as_deref()),
    };
    let (harness, profile, workload_note, guide_workload) = workload(opened, bench, req)?;
    if req.target.resolve(bench) == Target::V2 {
        return convert_v2(opened, bench, req, &model, &name, (&harness, &profile));
    }
    let keys = bench.catalog.workload_keys(&harness, &profile);
    let factors = req
        .variations
        .iter()
        .map(|v| experiment::resolve(v, &|var| bench.defaults.is_known(var), keys))
        .collect::<Result<Vec<_>>>()?;
    let experiment = Experiment::from_factors(factors)?;
    let force: BTreeSet<String> = experiment.setup.iter().map(|f| f.name.clone()).collect();
    let options = Options {
        force: force.clone(),
        gaie_presets: bench.presets.clone(),
    };

    let deployment = crate::model::from_guide(&model)?;
    let mut scenario = bash_scenario(opened, bench, &model, &deployment, &name, &options);
    scenario.benchmark = crate::read::benchmark::header(opened);
    add_workload(&mut scenario, &harness, &profile, &name, workload_note);
    if let Some(w) = guide_workload {
        add_guide_workload(&mut scenario, &unswept(w, &experiment), &bench.defaults);
    }
    // The guide's own values, read before swept variables are forced in: the center of a
    // one-factor-at-a-time design, marked in the experiment.
    let centers = experiment::design::centers(
        &experiment,
        &scenario,
        &bench.defaults,
        &bench.catalog,
        &harness,
        &profile,
    );
    let (experiment, design_notes) = experiment.apply(&req.design, centers)?;
    force_exports(&mut scenario, &force, &bench.defaults);
    let scenario_text = crate::emit::bash::scenario(&scenario);
    check_sweepable(&scenario_text, &force)?;
    let experiment_text = (!experiment.is_empty()).then(|| experiment.render());
    let mut warnings = scenario.warnings.clone();
    if let Some(text) = &experiment_text {
        // A generated experiment passes the validator, or nothing is written.
        warnings.extend(notes("experiment", design_notes));
        let checked = experiment::check_generated(
            &name,
            text,
            &scenario_text,
            &bench.defaults,
            &bench.catalog,
        )?;
        warnings.extend(notes("experiment", checked));
    }
    Ok(Conversion {
        name,
        scenario,
        scenario_text,
        experiment,
        experiment_text,
        warnings,
        bench_dir: bench.dir.clone(),
        target: Target::Bash,
        specification_text: None,
    })
}

/// The guide's workload without the keys the experiment sweeps: a run factor's key (as
/// resolved, not as typed) is the sweep's, not an override's.
fn unswept(
    mut w: crate::read::benchmark::GuideWorkload,
    experiment: &Experiment,
) -> crate::read::benchmark::GuideWorkload {
    for f in &experiment.run {
        if let Some(i) = w.overrides.iter().position(|(k, _, _)| *k == f.name) {
            let (k, v, _) = w.overrides.remove(i);
            w.not_carried
                .push(format!("{k} = {v} (swept by the experiment)"));
        }
    }
    w
}

/// The bash scenario of a deployment, with what the conversion knows of the guide: name,
/// source, variant, the reader's warnings and the values a later source replaced.
fn bash_scenario(
    opened: &Opened,
    bench: &Bench,
    model: &guide::Model,
    deployment: &crate::model::Deployment,
    name: &str,
    options: &Options,
) -> Scenario {
    let mut scenario = crate::map::bash::map(deployment, &bench.defaults, options, name);
    scenario.name = name.to_string();
    scenario.origin = opened.source.origin();
    scenario.variant = model.variant.clone();
    scenario.variant_kind = model.overlay.as_ref().map(|dir| {
        let shown = if dir.is_empty() { "." } else { dir.as_str() };
        format!("kustomize overlay {shown}")
    });
    scenario.defaults = bench.defaults.describe();
    scenario
        .warnings
        .splice(0..0, model.warnings.iter().cloned());
    scenario.overridden = crate::map::bash::overridden_notes(&model.overridden, &model.sources);
    if scenario.export("LLMDBENCH_DEPLOY_MODEL_LIST").is_none()
        && !scenario
            .defaulted
            .iter()
            .any(|(v, _, _)| v == "LLMDBENCH_DEPLOY_MODEL_LIST")
        && model
            .roots
            .iter()
            .any(|r| r.get("modelArtifacts").is_some() || r.get("decode").is_some())
    {
        scenario.warnings.push(Diagnostic::warning("model", format!(
            "the guide names no model (modelArtifacts.name): llm-d-benchmark will deploy its default, {}",
            default_text(&bench.defaults, "LLMDBENCH_DEPLOY_MODEL_LIST")
        )));
    }
    scenario
}

/// Every swept variable exported (at the benchmark's default when the guide has none), so
/// that e2e.sh finds its line to rewrite.
fn force_exports(scenario: &mut Scenario, force: &BTreeSet<String>, defaults: &Defaults) {
    for var in force {
        if scenario.export(var).is_none() {
            let value = default_text(defaults, var);
            scenario.exports.push(Export {
                var: var.clone(),
                value: Value::Text(value),
                origins: Vec::new(),
                note: Some("swept by the experiment; this is the llm-d-benchmark default".into()),
            });
        }
    }
}

/// The v2 target: the deployment model, written as a v2 scenario (and specification).
fn convert_v2(
    opened: &Opened,
    bench: &Bench,
    req: &Request,
    model: &guide::Model,
    name: &str,
    (harness, profile): (&str, &str),
) -> Result<Conversion> {
    let deployment = crate::model::from_guide(model)?;
    let builtin = V2Defaults::builtin();
    let defaults = bench.v2_defaults.as_ref().unwrap_or(&builtin);
    let origin = opened.source.origin();
    let variant = model.variant.clone().or_else(|| model.overlay.clone());
    let meta = v2::Meta {
        name,
        origin: &origin,
        variant: variant.as_deref(),
        harness,
        profile,
    };
    let written = v2::scenario(&deployment, defaults, &meta);
    let mut warnings = model.warnings.clone();
    warnings.extend(written.warnings.iter().cloned());
    let (experiment, experiment_text) = if req.variations.is_empty() {
        (Experiment::default(), None)
    } else {
        let workload = match &bench.dir {
            Some(dir) => experiment::v2::Workload::from_checkout(dir, harness, profile)?,
            None => experiment::v2::Workload::default(),
        };
        let e = experiment::v2::experiment_with_centers(
            name,
            &req.variations,
            &req.design,
            &workload,
            &written.values,
        )?;
        warnings.extend(notes("experiment", e.notes.iter().cloned()));
        // A generated experiment passes the v2 rules, or nothing is written.
        let (text, checked) = e.render_checked(&bench.catalog)?;
        warnings.extend(notes("experiment", checked));
        (e.experiment, Some(text))
    };
    let scenario = Scenario {
        name: name.to_string(),
        origin,
        variant: model.variant.clone(),
        counts: written.counts,
        warnings: warnings.clone(),
        ..Scenario::default()
    };
    Ok(Conversion {
        name: name.to_string(),
        scenario,
        scenario_text: written.text,
        experiment,
        experiment_text,
        warnings,
        bench_dir: bench.dir.clone(),
        target: Target::V2,
        specification_text: Some(written.specification),
    })
}

/// `guide` for the default variant, `guide.variant` for the others.
pub fn output_name(guide: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) if v != guide::DEFAULT_VARIANT => format!("{guide}.{}", source::sanitize(v)),
        _ => guide.to_string(),
    }
}

/// The harness and profile: the user's, or the guide's own benchmark (`with guide`), else
/// the seed's default (inference-perf sanity_random). The guide's benchmark, when chosen,
/// comes back too: its overrides are exported.
fn workload(
    opened: &Opened,
    bench: &Bench,
    req: &Request,
) -> Result<(
    String,
    String,
    Option<String>,
    Option<crate::read::benchmark::GuideWorkload>,
)> {
    if req.guide_workload {
        if req.harness.is_some() || req.profile.is_some() {
            return Err(Error::request(
                "workload",
                "`with guide` runs the guide's own benchmark: give no harness or profile with it",
            ));
        }
        let run_factors: Vec<String> = req.variations.iter().map(|v| v.parameter.clone()).collect();
        let w = crate::read::benchmark::guide_workload(opened, &bench.catalog, &run_factors)?;
        let note = format!(
            "the guide's own benchmark, {} (harness {}, workload {}, as profile {})",
            w.file, w.harness, w.workload, w.profile
        );
        return Ok((w.harness.clone(), w.profile.clone(), Some(note), Some(w)));
    }
    let (h, p) = bench.catalog.resolve(
        req.harness.as_deref().unwrap_or(DEFAULT_HARNESS),
        req.profile.as_deref().unwrap_or(DEFAULT_PROFILE),
    )?;
    Ok((h, p, None, None))
}

/// `LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES` from the guide's benchmark, citing the
/// template lines, and a warning naming what the profile cannot carry.
fn add_guide_workload(
    s: &mut Scenario,
    w: &crate::read::benchmark::GuideWorkload,
    defaults: &Defaults,
) {
    const VAR: &str = "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES";
    if !w.not_carried.is_empty() {
        s.warnings.push(Diagnostic::warning(
            "workload",
            format!(
                "{}: not carried into profile {}: {}",
                w.file,
                w.profile,
                w.not_carried.join("; ")
            ),
        ));
    }
    if w.overrides.is_empty() {
        return;
    }
    if !defaults.is_known(VAR) {
        s.warnings.push(Diagnostic::warning(
            "workload",
            format!(
                "{}: the workload parameters are not carried: {} defines no {VAR}",
                w.file,
                defaults.describe()
            ),
        ));
        return;
    }
    let value = w
        .overrides
        .iter()
        .map(|(k, v, _)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    s.exports.push(Export {
        var: VAR.into(),
        value: Value::Text(value),
        origins: w.overrides.iter().map(|(_, _, o)| o.clone()).collect(),
        note: Some(format!(
            "the workload parameters of {} that profile {} can take",
            w.file, w.profile
        )),
    });
}

fn add_workload(s: &mut Scenario, harness: &str, profile: &str, name: &str, note: Option<String>) {
    let text = |var: &str, value: &str, note: Option<String>| Export {
        var: var.into(),
        value: Value::Text(value.into()),
        origins: Vec::new(),
        note,
    };
    s.exports
        .push(text("LLMDBENCH_HARNESS_NAME", harness, note));
    s.exports
        .push(text("LLMDBENCH_HARNESS_EXPERIMENT_PROFILE", profile, None));
    s.exports.push(Export {
        var: "LLMDBENCH_CONTROL_WORK_DIR".into(),
        value: Value::Home(format!("data/{name}")),
        origins: Vec::new(),
        note: None,
    });
}

fn default_text(defaults: &Defaults, var: &str) -> String {
    match defaults.get(var) {
        Some(DefaultValue::Value(v)) => v.clone(),
        Some(DefaultValue::Dynamic(raw)) => raw.clone(),
        None => String::new(),
    }
}

impl Conversion {
    /// The warnings as the user reads them (`file:line: message`), one a string.
    pub fn warning_texts(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|w| w.plain().to_string())
            .collect()
    }
}

/// Notes of a stage that reports in text (the v2 writer, the experiment designer and
/// checker), as warnings under its code.
fn notes(code: &'static str, texts: impl IntoIterator<Item = String>) -> Vec<Diagnostic> {
    texts
        .into_iter()
        .map(|t| Diagnostic::warning(code, t))
        .collect()
}

/// e2e.sh rewrites every line containing `VAR=` for a setup factor: there must be exactly one.
fn check_sweepable(text: &str, factors: &BTreeSet<String>) -> Result<()> {
    for var in factors {
        let needle = format!("{var}=");
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(&needle)).collect();
        if lines.len() != 1 || !lines[0].starts_with(&format!("export {needle}")) {
            return Err(Error::request(
                "variation",
                format!(
                    "cannot sweep {var}: the scenario has {} lines containing {needle}, and e2e.sh needs exactly one export line",
                    lines.len()
                ),
            ));
        }
    }
    Ok(())
}

/// A user-given name must be a plain file name.
fn checked_name(name: &str) -> Result<String> {
    if name.contains(['/', '\\']) || name.contains("..") || name.trim().is_empty() {
        return Err(Error::request(
            "option",
            format!(
                "invalid name {name:?}: a name is a file name, without path separators or `..`"
            ),
        ));
    }
    Ok(source::sanitize(name))
}

/// What happened to one guide variant in a batch (`--all`).
#[derive(Debug)]
pub enum Outcome {
    Converted(Box<Conversion>),
    Failed(Error),
    /// Not a guide this version converts (kustomize-based), with the reason.
    Skipped(String),
}

#[derive(Debug)]
pub struct BatchItem {
    pub guide: String,
    pub variant: String,
    pub outcome: Outcome,
}

/// Every guide under `root` (or `root` itself, when it is a guide) and every variant each
/// declares, converted; failures are recorded and the rest go on: an entry that cannot be
/// read (unreadable, or a symbolic link out of the repository) is one failed item, and
/// variants whose output names collide (`GKE` and `gke`, `My Guide` and `my-guide`) all
/// fail, so none overwrites another.
pub fn convert_tree(root: &Path, bench: &Bench, req: &Request) -> Result<Vec<BatchItem>> {
    let opened = source::open_local(root)?;
    let mut items = Vec::new();
    let failed = |guide: String, e: Error| BatchItem {
        guide,
        variant: "-".into(),
        outcome: Outcome::Failed(e),
    };
    // A folder that cannot be read inside `root` (a link out of the repository) makes
    // `root` a folder of guides: that entry is then reported below, and the rest convert.
    let src = opened.source.as_ref();
    let root_is_guide =
        guide::is_helm_guide(src, "")? || guide::is_kustomize_guide(src, "").unwrap_or(false);
    let guides = if root_is_guide {
        vec![(opened.name.clone(), root.to_path_buf())]
    } else {
        let mut found = Vec::new();
        for entry in opened.source.list("")? {
            let Some(dir) = entry.strip_suffix('/') else {
                continue;
            };
            match is_guide(opened.source.as_ref(), dir) {
                Ok(true) => found.push((source::sanitize(dir), root.join(dir))),
                Ok(false) if !dir.starts_with('.') => items.push(BatchItem {
                    guide: source::sanitize(dir),
                    variant: "-".into(),
                    outcome: Outcome::Skipped(not_a_guide(opened.source.as_ref(), dir)),
                }),
                Ok(false) => {}
                Err(e) => items.push(failed(source::sanitize(dir), e)),
            }
        }
        found
    };
    for (name, path) in guides {
        let opened = match source::open_local(&path) {
            Ok(o) => o,
            Err(e) => {
                items.push(failed(name, e));
                continue;
            }
        };
        let variants = match guide::variants(&opened) {
            Ok(v) => v,
            Err(e) => {
                items.push(failed(name, e));
                continue;
            }
        };
        for variant in variants {
            let req = Request {
                variant: Some(variant.clone()),
                name: None,
                // Each conversion has its own network budget and deadline.
                remote: RemoteOptions {
                    budget: remote::Budget::new(),
                    ..req.remote.clone()
                },
                ..req.clone()
            };
            let outcome = match convert_guide(&opened, bench, &req) {
                Ok(c) => Outcome::Converted(Box::new(c)),
                Err(e) => Outcome::Failed(e),
            };
            items.push(BatchItem {
                guide: name.clone(),
                variant,
                outcome,
            });
        }
    }
    items.sort_by(|a, b| a.guide.cmp(&b.guide));
    refuse_collisions(&mut items);
    Ok(items)
}

/// Items converted to the same output name all fail, naming each other: writing one over
/// the other would lose a variant without a word.
fn refuse_collisions(items: &mut [BatchItem]) {
    let mut by_name: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, item) in items.iter().enumerate() {
        if let Outcome::Converted(c) = &item.outcome {
            by_name.entry(c.name.clone()).or_default().push(i);
        }
    }
    for (name, at) in by_name.into_iter().filter(|(_, at)| at.len() > 1) {
        let who: Vec<String> = at
            .iter()
            .map(|&i| match &items[i].outcome {
                Outcome::Converted(c) => {
                    format!("{} (variant {})", c.scenario.origin, items[i].variant)
                }
                _ => items[i].guide.clone(),
            })
            .collect();
        for &i in &at {
            items[i].outcome = Outcome::Failed(Error::Batch(format!(
                "output name {name:?} is shared by {}: neither is written\n  hint: rename a guide folder or variant so their names differ (names are lowercased, other characters become `-`)",
                who.join(" and ")
            )));
        }
    }
}

/// A guide folder: Helm (a helmfile, `ms-*`/`gaie-*` folders), kustomize (manifests), or a
/// README whose install recipe applies a model-server overlay.
fn is_guide(src: &dyn Source, dir: &str) -> Result<bool> {
    Ok(guide::is_helm_guide(src, dir)?
        || guide::is_kustomize_guide(src, dir)?
        || guide::is_recipe_guide(src, dir)?)
}

/// Why a folder under the guides root is not a guide this version deploys.
fn not_a_guide(src: &dyn Source, dir: &str) -> String {
    if let Some(recipe) = guide::recipe_of(src, dir) {
        let mut charts: Vec<&str> = recipe
            .helm
            .iter()
            .map(|h| h.chart.rsplit('/').next().unwrap_or(&h.chart))
            .collect();
        charts.dedup();
        return if charts.is_empty() {
            "not a deployable guide: its README's recipe applies no model-server overlay".into()
        } else {
            format!(
                "not a deployable guide: its README's recipe installs no model server (only {})",
                charts.join(", ")
            )
        };
    }
    let has_readme = src
        .list(dir)
        .is_ok_and(|l| l.iter().any(|e| e == crate::read::recipe::README));
    if has_readme {
        "not a deployable guide: its README installs nothing (no helm install, no kubectl apply -k): prerequisites or shared recipes".into()
    } else {
        "not a deployable guide: no README recipe, helmfile, values or kustomization (a library of shared files)".into()
    }
}

/// A variant and the values files its releases use, or why it cannot be built.
pub type VariantFiles = (String, Result<Vec<(Chart, String)>>);

/// Per variant of a guide: the values files its releases use, or why it cannot be built.
pub fn list_variants(opened: &Opened) -> Result<Vec<VariantFiles>> {
    Ok(guide::variants(opened)?
        .into_iter()
        .map(|v| {
            let used = guide::build(opened, Some(&v)).map(|m| m.used);
            (v, used)
        })
        .collect())
}
