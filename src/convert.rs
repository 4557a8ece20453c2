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

use crate::catalog::Catalog;
use crate::defaults::{DefaultValue, Defaults, find_bench_dir};
use crate::error::{Error, Result};
use crate::experiment::{self, Experiment, Variation};
use crate::mapping::{self, Options};
use crate::remote::{self, RemoteOptions};
use crate::scenario::{Export, Scenario, Value};
use crate::source::{self, Guide, Role};
use crate::{helmfile, render, yaml};

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
    pub variations: Vec<Variation>,
    /// Overrides the name derived from the input.
    pub name: Option<String>,
}

/// llm-d-benchmark as seen from here: its defaults, harnesses, presets.
pub struct Bench {
    pub dir: Option<PathBuf>,
    pub defaults: Defaults,
    pub catalog: Catalog,
    pub presets: Vec<String>,
}

impl Bench {
    /// The checkout at `dir`, or found upward from `cwd`, or the built-in tables.
    pub fn locate(dir: Option<&Path>, cwd: &Path) -> Result<Bench> {
        let dir = match dir {
            Some(d) => {
                if !d.join("setup/env.sh").is_file() {
                    return Err(Error::Usage(format!(
                        "{}: not an llm-d-benchmark checkout (no setup/env.sh)",
                        d.display()
                    )));
                }
                Some(d.to_path_buf())
            }
            None => find_bench_dir(cwd),
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
        Ok(Bench {
            defaults: Defaults::load(&dir)?,
            catalog,
            presets,
            dir: Some(dir),
        })
    }

    pub fn builtin() -> Bench {
        Bench {
            dir: None,
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
    pub warnings: Vec<String>,
    /// The llm-d-benchmark checkout used, if one was found.
    pub bench_dir: Option<PathBuf>,
}

pub fn convert(req: &Request) -> Result<Conversion> {
    let bench = Bench::locate(req.bench_dir.as_deref(), &req.cwd)?;
    let guide = match req.input.to_str().filter(|s| remote::is_url(s)) {
        Some(url) => source::load(&remote::open(url, &req.remote)?)?,
        None => source::load_local(&req.input)?,
    };
    convert_guide(&guide, &bench, req)
}

/// Convert a guide already read (by any source) against a benchmark context.
pub fn convert_guide(guide: &Guide, bench: &Bench, req: &Request) -> Result<Conversion> {
    let name = match &req.name {
        Some(n) => checked_name(n)?,
        None => guide.name.clone(),
    };
    let docs = parse(guide)?;
    let (harness, profile) = bench.catalog.resolve(
        req.harness.as_deref().unwrap_or(DEFAULT_HARNESS),
        req.profile.as_deref().unwrap_or(DEFAULT_PROFILE),
    )?;
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

    let roots: Vec<yaml::Node> = docs.iter().map(|d| d.root.clone()).collect();
    let mut scenario = mapping::map(&roots, &docs, &bench.defaults, &options, &name);
    scenario.name = name.clone();
    scenario.origin = guide.origin.clone();
    scenario.defaults = bench.defaults.describe();
    if !guide.skipped.is_empty() {
        scenario.warnings.push(format!(
            "other values files in the guide were not used (environment variants): {}",
            guide.skipped.join(", ")
        ));
    }
    if scenario.export("LLMDBENCH_DEPLOY_MODEL_LIST").is_none()
        && !scenario
            .defaulted
            .iter()
            .any(|(v, _, _)| v == "LLMDBENCH_DEPLOY_MODEL_LIST")
        && docs
            .iter()
            .any(|d| d.root.get("modelArtifacts").is_some() || d.root.get("decode").is_some())
    {
        scenario.warnings.push(format!(
            "the guide names no model (modelArtifacts.name): llm-d-benchmark will deploy its default, {}",
            default_text(&bench.defaults, "LLMDBENCH_DEPLOY_MODEL_LIST")
        ));
    }
    add_workload(&mut scenario, &harness, &profile, &name);
    for var in &force {
        if scenario.export(var).is_none() {
            let value = default_text(&bench.defaults, var);
            scenario.exports.push(Export {
                var: var.clone(),
                value: Value::Text(value),
                origins: Vec::new(),
                note: Some("swept by the experiment; this is the llm-d-benchmark default".into()),
            });
        }
    }
    let scenario_text = render::scenario(&scenario);
    check_sweepable(&scenario_text, &force)?;
    let experiment_text = (!experiment.is_empty()).then(|| experiment.render());
    let warnings = scenario.warnings.clone();
    Ok(Conversion {
        name,
        scenario,
        scenario_text,
        experiment,
        experiment_text,
        warnings,
        bench_dir: bench.dir.clone(),
    })
}

/// Parse each file; each node remembers its file's index.
fn parse(guide: &Guide) -> Result<Vec<yaml::Doc>> {
    let mut docs = Vec::new();
    for (i, f) in guide.files.iter().enumerate() {
        let mut doc = match f.role {
            Role::Helmfile => helmfile::chart_versions(&f.rel, &f.text),
            _ => yaml::parse_one(&f.rel, &f.text)?,
        };
        doc.root.set_src(i);
        docs.push(doc);
    }
    Ok(docs)
}

fn add_workload(s: &mut Scenario, harness: &str, profile: &str, name: &str) {
    let text = |var: &str, value: &str| Export {
        var: var.into(),
        value: Value::Text(value.into()),
        origins: Vec::new(),
        note: None,
    };
    s.exports.push(text("LLMDBENCH_HARNESS_NAME", harness));
    s.exports
        .push(text("LLMDBENCH_HARNESS_EXPERIMENT_PROFILE", profile));
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

/// e2e.sh rewrites every line containing `VAR=` for a setup factor: there must be exactly one.
fn check_sweepable(text: &str, factors: &BTreeSet<String>) -> Result<()> {
    for var in factors {
        let needle = format!("{var}=");
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(&needle)).collect();
        if lines.len() != 1 || !lines[0].starts_with(&format!("export {needle}")) {
            return Err(Error::Usage(format!(
                "cannot sweep {var}: the scenario has {} lines containing {needle}, and e2e.sh needs exactly one export line",
                lines.len()
            )));
        }
    }
    Ok(())
}

/// A user-given name must be a plain file name.
fn checked_name(name: &str) -> Result<String> {
    if name.contains(['/', '\\']) || name.contains("..") || name.trim().is_empty() {
        return Err(Error::Usage(format!(
            "invalid name {name:?}: a name is a file name, without path separators or `..`"
        )));
    }
    Ok(source::sanitize(name))
}
