//! Experiments for llm-d-benchmark since 2026-03-30 (the `llmdbenchmark` package):
//! `workload/experiments/<name>.yaml`, read by `llmdbenchmark/experiment/parser.py` (setup
//! treatments) and by the run phase's profile step (run treatments).
//!
//! What the package reads (its code is the reference, not `docs/doe.md`):
//! - `experiment:` `name`, `harness`, `profile` (harness and profile are used when the
//!   command line gives none);
//! - `setup.constants` (a map of dotted config paths) and `setup.treatments` (a list of maps:
//!   `name` and dotted config paths such as `decode.replicas: 2`); per treatment the
//!   constants, then the treatment's paths, become a nested map deep-merged over the scenario
//!   stack. Each setup treatment is one stand-up, run and teardown, in a folder named
//!   `setup-treatment-<name>`;
//! - `treatments:` (or `run:`) a list of maps, `name` and dotted paths into the workload
//!   profile; top-level `constants:` go into every one. Each value is turned into a string
//!   and read back as a bool, int, float or string, and set only where the profile already
//!   has the path's parent map. Each run treatment renders `<profile>-<name>.yaml`;
//! - `design:` is description only: factors (`name`, `key`, `levels`), its type and totals.
//!
//! [`experiment`] builds one from variations; [`V2Experiment::render`] writes it;
//! [`check`] validates any such file (generated or hand-written).

mod check;

pub use check::{check, is_v2};

use std::collections::{BTreeMap, HashSet};

use super::design::{self, Center, CenterSource, Design};
use super::params::{self, Kind, Parameter};
use super::variation::short;
use super::{Chosen, Experiment, Factor, Section, Variation};
use crate::bench::catalog::Catalog;
use crate::read::yaml::{self, Node};
use crate::{Error, Result};

/// The workload profile run factors address, and the config roots setup paths may start
/// with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workload {
    /// Harness and profile (`shared_prefix_synthetic.yaml`); empty when unknown.
    pub harness: String,
    pub profile: String,
    /// Dotted paths of the profile's scalar leaves (`data.shared_prefix.question_len`).
    pub paths: Vec<String>,
    /// Leaf path -> the template's value there (the center of a one-factor-at-a-time run).
    pub values: BTreeMap<String, String>,
    /// Top-level keys of the checkout's `defaults.yaml` (`decode`, `model`, ...): a setup
    /// factor may be any dotted path under one of them. Empty: only known parameters.
    pub config_roots: Vec<String>,
}

impl Workload {
    /// From a profile template's text (`workload/profiles/<harness>/<profile>.yaml.in`).
    pub fn from_profile(harness: &str, profile: &str, file: &str, text: &str) -> Result<Workload> {
        let doc = yaml::parse_one(file, text)?;
        let mut w = Workload {
            harness: harness.to_string(),
            profile: profile.to_string(),
            ..Workload::default()
        };
        // Iterative walk over maps (lists are not addressable by the profile step).
        let mut stack: Vec<(String, &Node)> = vec![(String::new(), &doc.root)];
        while let Some((prefix, node)) = stack.pop() {
            let Some(entries) = node.as_map() else {
                continue;
            };
            for e in entries.iter().rev() {
                let path = if prefix.is_empty() {
                    e.key.clone()
                } else {
                    format!("{prefix}.{}", e.key)
                };
                match e.value.as_scalar() {
                    Some(s) => {
                        w.values.insert(path.clone(), s.value.clone());
                        w.paths.push(path);
                    }
                    None => {
                        if e.value.as_seq().is_some() {
                            w.paths.push(path.clone());
                        }
                        stack.push((path, &e.value));
                    }
                }
            }
        }
        Ok(w)
    }

    /// From an llm-d-benchmark checkout (2026-03-30 or later): the profile and the config
    /// roots of `config/templates/values/defaults.yaml`.
    pub fn from_checkout(
        bench_dir: &std::path::Path,
        harness: &str,
        profile: &str,
    ) -> Result<Workload> {
        let stem = profile
            .strip_suffix(".yaml.in")
            .or_else(|| profile.strip_suffix(".yaml"))
            .unwrap_or(profile);
        let path = bench_dir
            .join("workload/profiles")
            .join(harness)
            .join(format!("{stem}.yaml.in"));
        let bytes = crate::load::source::read_bytes(&path)?;
        let text = String::from_utf8_lossy(&bytes);
        let mut w = Workload::from_profile(
            harness,
            &format!("{stem}.yaml"),
            &path.display().to_string(),
            &text,
        )?;
        let defaults = bench_dir.join("config/templates/values/defaults.yaml");
        if let Ok(bytes) = crate::load::source::read_bytes(&defaults) {
            let text = String::from_utf8_lossy(&bytes);
            let doc = yaml::parse_one(&defaults.display().to_string(), &text)?;
            w.config_roots = doc
                .root
                .as_map()
                .unwrap_or_default()
                .iter()
                .filter(|e| !e.key.starts_with('_'))
                .map(|e| e.key.clone())
                .collect();
        }
        Ok(w)
    }

    /// The profile path a run parameter names: the path itself, else the one leaf whose
    /// last key matches (`-` and `_` taken as equal).
    fn run_path(&self, p: &str) -> Option<String> {
        if self.paths.iter().any(|k| k == p) {
            return Some(p.to_string());
        }
        let loose = |s: &str| s.replace('-', "_");
        let matches: Vec<&String> = self
            .paths
            .iter()
            .filter(|k| loose(k.rsplit('.').next().unwrap_or(k)) == loose(p))
            .collect();
        match matches.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }
}

/// A factor of a v2 experiment: where its levels go and how they are written.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Factor {
    /// The parameter as the user wrote it.
    pub requested_as: String,
    /// `decode_replicas`: the design's factor name.
    pub name: String,
    /// Dotted paths one level sets (several for `decode_cpu_nr`: limits and requests).
    pub keys: Vec<String>,
    pub section: Section,
    /// The kind of a known parameter (levels are checked and typed by it).
    pub kind: Option<Kind>,
}

/// An experiment in the v2 format, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Experiment {
    pub name: String,
    pub harness: String,
    pub profile: String,
    pub factors: Vec<V2Factor>,
    /// Factors, levels and the treatments the design chose (factor names are first keys).
    pub experiment: Experiment,
    /// What the user should be told (a center added to the levels, ...).
    pub notes: Vec<String>,
}

/// Build a v2 experiment from variations: see [`experiment_with_centers`] (no centers).
pub fn experiment(
    name: &str,
    variations: &[Variation],
    design: &Design,
    workload: &Workload,
) -> Result<V2Experiment> {
    experiment_with_centers(name, variations, design, workload, &BTreeMap::new())
}

/// Build a v2 experiment. Each variation resolves to: a known parameter (its friendly
/// name, bash variable or v2 key; levels are checked against its type and range), a dotted
/// config path under one of `workload.config_roots` (setup), or a path/key of the workload
/// profile (run). `centers` maps a setup key path (`decode.replicas`) to the scenario's
/// value there; with the profile's own values they centre a one-factor-at-a-time design.
pub fn experiment_with_centers(
    name: &str,
    variations: &[Variation],
    design: &Design,
    workload: &Workload,
    centers: &BTreeMap<String, String>,
) -> Result<V2Experiment> {
    let mut factors = Vec::new();
    let mut v2 = Vec::new();
    for v in variations {
        let f = resolve(v, workload)?;
        if let Some(kind) = f.kind
            && let Some(bad) = v.levels.iter().find(|l| !kind.accepts(l))
        {
            return Err(Error::request(
                "variation",
                format!(
                    "level {} of {} is not valid: it takes {}",
                    crate::error::excerpt(bad, 60),
                    short(&v.parameter),
                    kind.describe()
                ),
            ));
        }
        factors.push(Factor {
            name: f.keys[0].clone(),
            section: f.section,
            levels: v.levels.clone(),
            requested_as: v.parameter.clone(),
        });
        v2.push(f);
    }
    let exp = Experiment::from_factors(factors)?;
    let mut c = BTreeMap::new();
    for f in exp.setup.iter().chain(&exp.run) {
        let (value, source) = match f.section {
            Section::Setup => (centers.get(&f.name), CenterSource::Guide),
            Section::Run => (workload.values.get(&f.name), CenterSource::Profile),
        };
        if let Some(value) = value {
            c.insert(
                f.name.clone(),
                Center {
                    value: value.clone(),
                    source,
                },
            );
        }
    }
    let (experiment, notes) = exp.apply(design, c)?;
    let run = !experiment.run.is_empty();
    Ok(V2Experiment {
        name: name.to_string(),
        harness: if run {
            workload.harness.clone()
        } else {
            String::new()
        },
        profile: if run {
            workload.profile.clone()
        } else {
            String::new()
        },
        factors: v2,
        experiment,
        notes,
    })
}

fn resolve(v: &Variation, workload: &Workload) -> Result<V2Factor> {
    let p = v.parameter.trim();
    if let Some(param) = params::lookup(p) {
        return known(v, param);
    }
    if let Some(path) = workload.run_path(p) {
        return Ok(V2Factor {
            requested_as: v.parameter.clone(),
            name: p.to_string(),
            keys: vec![path],
            section: Section::Run,
            kind: None,
        });
    }
    let root = p.split('.').next().unwrap_or_default();
    if p.contains('.') && workload.config_roots.iter().any(|r| r == root) {
        return Ok(V2Factor {
            requested_as: v.parameter.clone(),
            name: p.to_string(),
            keys: vec![p.to_string()],
            section: Section::Setup,
            kind: None,
        });
    }
    let names: Vec<&str> = params::PARAMETERS
        .iter()
        .filter(|p| !p.keys.is_empty())
        .map(|p| p.name)
        .collect();
    let profile = if workload.profile.is_empty() {
        "no workload profile known".to_string()
    } else {
        format!(
            "a key of {}/{} ({})",
            workload.harness,
            workload.profile,
            short(&workload.paths.join(", "))
        )
    };
    Err(Error::request(
        "variation",
        format!(
            "unknown parameter {}; valid: a setup name ({}), a dotted config path (`decode.replicas`), or {profile}",
            crate::error::excerpt(&v.parameter, 60),
            names.join(", ")
        ),
    ))
}

fn known(v: &Variation, param: &Parameter) -> Result<V2Factor> {
    if param.keys.is_empty() {
        return Err(Error::request(
            "variation",
            format!(
                "{} cannot be swept in a v2 experiment: {}",
                param.name, param.no_key
            ),
        ));
    }
    Ok(V2Factor {
        requested_as: v.parameter.clone(),
        name: param.name.to_string(),
        keys: param.keys.iter().map(|k| k.to_string()).collect(),
        section: Section::Setup,
        kind: Some(param.kind),
    })
}

impl V2Experiment {
    /// `workload/experiments/<name>.yaml`.
    pub fn file_name(&self) -> String {
        format!("workload/experiments/{}.yaml", self.name)
    }

    /// `4 treatments (4 setup x no run), full factorial`.
    pub fn describe_count(&self) -> String {
        self.experiment.describe_count()
    }

    /// Render and validate: errors refuse the experiment (a generated one always passes
    /// [`check`]); warnings are returned for the user.
    pub fn render_checked(&self, catalog: &Catalog) -> Result<(String, Vec<String>)> {
        let text = self.render();
        let file = self.file_name();
        let doc = yaml::parse_one(&file, &text)?;
        let warnings = check(&file, &doc.root, catalog).generated()?;
        Ok((text, warnings))
    }

    fn factor(&self, key: &str) -> Option<&V2Factor> {
        self.factors.iter().find(|f| f.keys[0] == key)
    }

    /// The experiment file. Setup values of numeric parameters are YAML numbers, other
    /// known parameters strings; paths of unknown type are written as YAML reads them.
    pub fn render(&self) -> String {
        let exp = &self.experiment;
        let mut o = String::new();
        o.push_str(&format!(
            "# Experiment {}: written by convert-guide for llm-d-benchmark's DoE runner:\n",
            self.name
        ));
        o.push_str(&format!(
            "#   llmdbenchmark --spec <spec> experiment --experiments {}\n",
            self.file_name()
        ));
        o.push_str("# `design:` describes the sweep (llm-d-benchmark does not read it); each\n");
        o.push_str("# `setup.treatments` entry is one stand-up, and every `treatments` entry runs on each.\n");
        o.push_str("experiment:\n");
        o.push_str(&format!("  name: {}\n", quote_str(&self.name)));
        if !self.harness.is_empty() {
            o.push_str(&format!("  harness: {}\n", quote_str(&self.harness)));
            o.push_str(&format!("  profile: {}\n", quote_str(&self.profile)));
        }
        o.push_str("design:\n");
        let kind = match exp.design {
            design::OFAT => "one_factor_at_a_time",
            design::LIST => "treatment_list",
            _ => "full_factorial",
        };
        o.push_str(&format!("  type: {kind}\n"));
        for (section, title) in [(Section::Setup, "setup"), (Section::Run, "run")] {
            let factors = exp.factors(section);
            if factors.is_empty() {
                continue;
            }
            o.push_str(&format!("  {title}:\n    factors:\n"));
            for f in factors {
                let v2 = self.factor(&f.name);
                let name = v2.map_or(f.requested_as.as_str(), |v| v.name.as_str());
                o.push_str(&format!("      - name: {}\n", quote_str(name)));
                let keys = v2.map_or(vec![f.name.clone()], |v| v.keys.clone());
                if let [one] = keys.as_slice() {
                    o.push_str(&format!("        key: {}\n", quote_str(one)));
                } else {
                    o.push_str(&format!("        key: {}\n", quote_str(&keys[0])));
                    let all: Vec<String> = keys.iter().map(|k| quote_str(k)).collect();
                    o.push_str(&format!("        keys: [{}]\n", all.join(", ")));
                }
                let kind = v2.and_then(|v| v.kind);
                let levels: Vec<String> =
                    f.levels.iter().map(|l| value(l, section, kind)).collect();
                o.push_str(&format!("        levels: [{}]\n", levels.join(", ")));
                if let Some(c) = exp.centers.get(&f.name) {
                    o.push_str(&format!(
                        "        description: {}\n",
                        quote_str(&c.comment(&f.levels))
                    ));
                }
            }
        }
        let count = |s: Section| {
            if exp.factors(s).is_empty() {
                0
            } else {
                exp.chosen(s).len()
            }
        };
        let (ns, nr) = (count(Section::Setup), count(Section::Run));
        o.push_str(&format!("  total_setup_treatments: {ns}\n"));
        o.push_str(&format!("  total_run_treatments: {nr}\n"));
        o.push_str(&format!(
            "  total_matrix: {}\n",
            ns.max(1).saturating_mul(nr.max(1))
        ));
        if ns > 0 {
            o.push_str("setup:\n  treatments:\n");
            self.treatments(&mut o, Section::Setup, "    ");
        }
        if nr > 0 {
            o.push_str("treatments:\n");
            self.treatments(&mut o, Section::Run, "  ");
        }
        o
    }

    fn treatments(&self, o: &mut String, section: Section, indent: &str) {
        let exp = &self.experiment;
        let factors = exp.factors(section);
        let chosen = exp.chosen(section);
        let names = treatment_names(section, factors, chosen, |key| {
            self.factor(key).map(|f| f.name.clone())
        });
        for (t, name) in chosen.iter().zip(&names) {
            let comment = t.comment.as_deref().map_or(String::new(), |c| {
                format!("  # {}", c.replace(['\n', '\r'], " "))
            });
            o.push_str(&format!("{indent}- name: {}{comment}\n", quote_str(name)));
            for (v, f) in t.values.iter().zip(factors) {
                if v == super::model::NA {
                    continue;
                }
                let v2 = self.factor(&f.name);
                let kind = v2.and_then(|f| f.kind);
                let keys = v2.map_or(vec![f.name.clone()], |f| f.keys.clone());
                for k in keys {
                    o.push_str(&format!(
                        "{indent}  {}: {}\n",
                        quote_str(&k),
                        value(v, section, kind)
                    ));
                }
            }
        }
    }
}

/// Treatment names: the user's, else `decode_replicas-2_max_model_len-8192` (file-name
/// safe), else (too long or not unique) `setup-3` / `run-3`.
fn treatment_names(
    section: Section,
    factors: &[Factor],
    chosen: &[Chosen],
    short_name: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let prefix = match section {
        Section::Setup => "setup",
        Section::Run => "run",
    };
    let generated: Vec<String> = chosen
        .iter()
        .map(|t| match &t.name {
            Some(n) => safe(n),
            None => t
                .values
                .iter()
                .zip(factors)
                .filter(|(v, _)| *v != super::model::NA)
                .map(|(v, f)| {
                    let n = short_name(&f.name).unwrap_or_else(|| f.name.clone());
                    let n = n.rsplit('.').next().unwrap_or(&n);
                    format!("{}-{}", safe(n), safe(v))
                })
                .collect::<Vec<_>>()
                .join("_"),
        })
        .collect();
    let mut seen = HashSet::new();
    let ok = generated
        .iter()
        .all(|n| !n.is_empty() && n.len() <= 100 && n != "." && n != ".." && seen.insert(n));
    if ok {
        generated
    } else {
        (1..=chosen.len())
            .map(|i| format!("{prefix}-{i}"))
            .collect()
    }
}

/// A level as YAML: numbers of numeric parameters plain, other known parameters quoted,
/// paths of unknown type plain when YAML reads them back unchanged.
fn value(v: &str, section: Section, kind: Option<Kind>) -> String {
    match kind {
        Some(k) if k.numeric() => v.to_string(),
        Some(_) => yaml::double_quoted(v),
        None if section == Section::Run || yaml::plain_ok(v) => {
            if yaml::plain_ok(v) {
                v.to_string()
            } else {
                yaml::double_quoted(v)
            }
        }
        None => yaml::double_quoted(v),
    }
}

/// A string that YAML reads back as the same string.
fn quote_str(s: &str) -> String {
    yaml::scalar(s, yaml::Reading::Name { also: "_-./" })
}
#[cfg(test)]
mod tests {
    use super::*;

    fn shared_prefix() -> Workload {
        let text = "data:\n  type: shared_prefix\n  shared_prefix:\n    num_groups: 32\n    question_len: 256\n    output_len: 256\napi:\n  streaming: true\n";
        let mut w =
            Workload::from_profile("inference-perf", "shared_prefix_synthetic.yaml", "p", text)
                .unwrap();
        w.config_roots = vec!["decode".into(), "vllmCommon".into()];
        w
    }

    #[test]
    fn decode_replicas_from_1_to_4() {
        let v = Variation::range("decode_replicas", "1", "4", None).unwrap();
        let exp = experiment("g", &[v], &Design::Full, &Workload::default()).unwrap();
        let want = "\
# Experiment g: written by convert-guide for llm-d-benchmark's DoE runner:
#   llmdbenchmark --spec <spec> experiment --experiments workload/experiments/g.yaml
# `design:` describes the sweep (llm-d-benchmark does not read it); each
# `setup.treatments` entry is one stand-up, and every `treatments` entry runs on each.
experiment:
  name: g
design:
  type: full_factorial
  setup:
    factors:
      - name: decode_replicas
        key: decode.replicas
        levels: [1, 2, 3, 4]
  total_setup_treatments: 4
  total_run_treatments: 0
  total_matrix: 4
setup:
  treatments:
    - name: decode_replicas-1
      decode.replicas: 1
    - name: decode_replicas-2
      decode.replicas: 2
    - name: decode_replicas-3
      decode.replicas: 3
    - name: decode_replicas-4
      decode.replicas: 4
";
        assert_eq!(exp.render(), want);
        let (checked, warnings) = exp.render_checked(&Catalog::builtin()).unwrap();
        assert_eq!((checked.as_str(), warnings.len()), (want, 0));
        let doc = yaml::parse_one("e", &exp.render()).unwrap();
        assert!(is_v2(&doc.root));
        let r = check("e", &doc.root, &Catalog::builtin());
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!((r.setup_treatments, r.run_treatments), (Some(4), None));
    }

    #[test]
    fn run_factors_address_profile_paths_and_centers() {
        let vs = [
            Variation::list("question_len", "100,300").unwrap(),
            Variation::list("decode_cpu_nr", "4,8").unwrap(),
            Variation::list("vllmCommon.flags.enforceEager", "true,false").unwrap(),
        ];
        let centers =
            BTreeMap::from([("decode.resources.limits.cpu".to_string(), "8".to_string())]);
        let exp =
            experiment_with_centers("g", &vs, &Design::Ofat, &shared_prefix(), &centers).unwrap();
        let text = exp.render();
        assert!(
            text.contains("  harness: inference-perf\n  profile: shared_prefix_synthetic.yaml\n"),
            "{text}"
        );
        assert!(text.contains("        key: decode.resources.limits.cpu\n        keys: [decode.resources.limits.cpu, decode.resources.requests.cpu]\n"), "{text}");
        assert!(text.contains("    - name: decode_cpu_nr-8_enforceEager-true  # center\n      decode.resources.limits.cpu: \"8\"\n      decode.resources.requests.cpu: \"8\"\n      vllmCommon.flags.enforceEager: true\n"), "{text}");
        assert!(text.contains("treatments:\n  - name: question_len-256  # center\n    data.shared_prefix.question_len: 256\n"), "{text}");
        assert!(
            text.contains(
                "        levels: [100, 256, 300]\n        description: \"profile value: 256\"\n"
            ),
            "{text}"
        );
        assert_eq!(exp.notes.len(), 2, "{:?}", exp.notes);
    }

    #[test]
    fn refusals() {
        let err = |v: Variation| {
            experiment("g", &[v], &Design::Full, &shared_prefix())
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(Variation::list("model", "a/b,c/d").unwrap())
                .contains("cannot be swept in a v2 experiment")
        );
        assert!(
            err(Variation::list("nonsense", "1").unwrap())
                .contains("unknown parameter \"nonsense\"")
        );
        assert!(err(Variation::list("LLMDBENCH_X", "1").unwrap()).contains("unknown parameter"));
    }
}
