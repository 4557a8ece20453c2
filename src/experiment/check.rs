//! The experiment validator: what `convert-guide check-experiment` reports, and what every
//! generated experiment must pass.
//!
//! Rules, each finding at the file:line it is about:
//! - shape: YAML, sections, keys, lists and maps where e2e.sh expects them (see [`model`]);
//! - treatments: one value per factor, each among that factor's levels or `NA`; every factor
//!   has levels; setup values survive e2e.sh's unquoted `export VAR=value`;
//! - names: setup factors and constants are `LLMDBENCH_*` variables setup/env.sh defines; run
//!   factors and constants are keys of the scenario's workload profile (without a scenario:
//!   of any profile of the catalog);
//! - scenario (with `--scenario`): each setup factor is on exactly one line containing
//!   `VAR=`, and that line assigns it; vLLM commands the scenario writes carry the swept
//!   variable's `REPLACE_ENV_` token, not a copy of a value; a factor whose value
//!   llm-d-benchmark only reads through variables env.sh derived from it before the
//!   scenario ran is flagged;
//! - marks: levels equal to the scenario's (or default, or profile) value are noted.
//!
//! [`model`]: super::model

use std::collections::{BTreeMap, BTreeSet};

use super::Section;
use super::model::{Block, ExperimentFile, NA, section_name};
use super::scenario_text::ScenarioText;
use super::variation::level_problem;
use crate::bench::catalog::{Catalog, CatalogOrigin};
use crate::bench::defaults::{DefaultValue, Defaults};
use crate::error::{Error, Result};
use crate::map::bash::rules::{BENCH_ENV, FLAGS};

// Moved to `crate::diag` (it broke the import cycle model <-> check); re-exported so every
// existing path keeps working.
pub use crate::diag::{Finding, Severity};

mod levels;
mod scenario;

#[cfg(test)]
use scenario::flag_values;
pub use scenario::{coupling_findings, flags_of, followers, token_files};

/// What the experiment is checked against.
pub struct Context<'a> {
    pub defaults: &'a Defaults,
    pub catalog: &'a Catalog,
    /// The scenario the experiment runs with; without one the scenario rules are skipped.
    pub scenario: Option<ScenarioText<'a>>,
}

/// The findings about one experiment file.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub file: String,
    pub findings: Vec<Finding>,
    /// Treatments of each section (`None` without the section): e2e.sh runs every run
    /// treatment for every setup treatment.
    pub setup_treatments: Option<usize>,
    pub run_treatments: Option<usize>,
    /// The file is in the v2 format (llm-d-benchmark 2026-03-30 and later), see [`super::v2`].
    pub v2: bool,
}

impl Report {
    /// The verdict on an experiment this tool generated: any error refuses it (nothing is
    /// written); otherwise its warnings, each prefixed `experiment: `, for the user.
    pub fn generated(&self) -> Result<Vec<String>> {
        let errors: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("  {f}"))
            .collect();
        if !errors.is_empty() {
            return Err(Error::request(
                "experiment",
                format!(
                    "the experiment cannot run as asked; nothing written:\n{}",
                    errors.join("\n")
                ),
            ));
        }
        Ok(self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| format!("experiment: {}", f.message))
            .collect())
    }
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// No errors.
    pub fn is_ok(&self) -> bool {
        self.count(Severity::Error) == 0
    }

    /// `e.yaml: 2 errors, 1 warning, 3 notes; 9 setup x 6 run treatments (54 runs)`.
    pub fn summary(&self) -> String {
        let n = |count: usize, what: &str| {
            format!("{count} {what}{}", if count == 1 { "" } else { "s" })
        };
        let mut s = format!(
            "{}: {}, {}, {}",
            self.file,
            n(self.count(Severity::Error), "error"),
            n(self.count(Severity::Warning), "warning"),
            n(self.count(Severity::Note), "note")
        );
        let (setup, run) = (self.setup_treatments, self.run_treatments);
        if setup.is_some() || run.is_some() {
            let total = setup.unwrap_or(1).saturating_mul(run.unwrap_or(1));
            s.push_str(&format!(
                "; {} setup x {} run treatments ({})",
                setup.map_or("no".to_string(), |c| c.to_string()),
                run.map_or("no".to_string(), |c| c.to_string()),
                n(total, "run")
            ));
        }
        s
    }
}

/// Check an experiment's text against the context.
/// The format is told by content: a v2 experiment (see [`super::v2::is_v2`]) gets the v2
/// rules, any other the e2e.sh rules.
pub fn check(file: &str, text: &str, ctx: &Context) -> Report {
    if let Ok(doc) = crate::read::yaml::parse_one(file, text)
        && super::v2::is_v2(&doc.root)
    {
        let mut report = super::v2::check(file, &doc.root, ctx.catalog);
        report.v2 = true;
        return report;
    }
    let (exp, mut findings) = ExperimentFile::read(file, text);
    let mut report = Report {
        file: file.to_string(),
        ..Report::default()
    };
    if let Some(exp) = exp {
        let mut c = Checker {
            keys: std::cell::OnceCell::new(),
            file,
            ctx,
            exp: &exp,
            findings: Vec::new(),
        };
        c.run();
        findings.extend(c.findings);
        report.setup_treatments = exp.block(Section::Setup).map(|b| b.treatments.len());
        report.run_treatments = exp.block(Section::Run).map(|b| b.treatments.len());
    }
    // Stable: findings of one line keep the order the rules produced them in.
    findings.sort_by_key(|f| f.line);
    report.findings = findings;
    report
}

/// Where the run factors' keys come from.
enum Profile {
    /// The scenario's (or the default) harness and profile, and the keys of that profile.
    Known {
        harness: String,
        profile: String,
        keys: Vec<String>,
    },
    /// No scenario: any key of any profile.
    Any,
    /// The scenario names a harness or profile the catalog does not have.
    Unknown,
}

/// A value a level may equal: the scenario's, the default's or the profile's.
struct Baseline {
    value: String,
    /// "the scenario's value (s.sh:12)", "the llm-d-benchmark default", ...
    what: String,
    from_scenario: bool,
}

struct Checker<'a> {
    /// Keys of all profiles (filled on first use).
    keys: std::cell::OnceCell<BTreeSet<&'a str>>,
    file: &'a str,
    ctx: &'a Context<'a>,
    exp: &'a ExperimentFile,
    findings: Vec<Finding>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, line: usize, severity: Severity, message: String) {
        self.findings
            .push(Finding::new(self.file, line, severity, message));
    }

    fn run(&mut self) {
        let profile = self.profile();
        for b in &self.exp.blocks {
            self.names(b, &profile);
            self.levels(b);
            self.treatments(b);
            self.marks(b, &profile);
            if b.section == Section::Setup && self.ctx.scenario.is_some() {
                self.scenario_lines(b);
                self.commands(b);
                self.files(b);
                self.accelerators(b);
                self.derived(b);
                self.couplings(b);
            }
        }
        if self.ctx.scenario.is_none()
            && let Some(b) = self.exp.block(Section::Setup)
        {
            self.push(
                b.line,
                Severity::Note,
                "no --scenario: the scenario rules were skipped (one `VAR=` line per setup factor, vLLM commands, the guide's values)".into(),
            );
        }
    }

    /// The profile run factors must be keys of, from the scenario's exports or the defaults.
    fn profile(&mut self) -> Profile {
        let run_line = self.exp.block(Section::Run).map(|b| b.line);
        let Some(scenario) = &self.ctx.scenario else {
            if let Some(line) = run_line {
                let of = match self.ctx.catalog.origin() {
                    CatalogOrigin::Builtin => {
                        "the built-in catalog of llm-d-benchmark as of 2026-02-05".to_string()
                    }
                    CatalogOrigin::Checkout(dir) => format!("{}", dir.display()),
                };
                self.push(
                    line,
                    Severity::Note,
                    format!("no --scenario: run factors are checked against every workload profile of {of}"),
                );
            }
            return Profile::Any;
        };
        let setting = |var: &str| -> (String, String) {
            match scenario.value_of(var) {
                Some((n, Some(v))) => (v, format!("{}:{n}", scenario.name)),
                _ => (
                    match self.ctx.defaults.get(var) {
                        Some(DefaultValue::Value(v)) => v.clone(),
                        _ => String::new(),
                    },
                    "the default".to_string(),
                ),
            }
        };
        let (harness, h_from) = setting("LLMDBENCH_HARNESS_NAME");
        let (profile, p_from) = setting("LLMDBENCH_HARNESS_EXPERIMENT_PROFILE");
        match self.ctx.catalog.resolve(&harness, &profile) {
            Ok((harness, profile)) => {
                let keys = self.ctx.catalog.workload_keys(&harness, &profile).to_vec();
                if let Some(line) = run_line {
                    self.push(
                        line,
                        Severity::Note,
                        format!("run factors are checked against the workload profile {harness}/{profile} (harness from {h_from}, profile from {p_from})"),
                    );
                }
                Profile::Known {
                    harness,
                    profile,
                    keys,
                }
            }
            Err(e) => {
                if let Some(line) = run_line {
                    self.push(
                        line,
                        Severity::Error,
                        format!("the scenario's workload profile cannot be checked: {e} (harness from {h_from}, profile from {p_from})"),
                    );
                }
                Profile::Unknown
            }
        }
    }

    /// Factors and constants: known names of their section, each once.
    fn names(&mut self, b: &Block, profile: &Profile) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &b.factors {
            if let Some(first) = seen.insert(&f.name, f.line) {
                self.push(
                    f.line,
                    Severity::Error,
                    format!("{} is listed twice in factors (first at line {first}): treatments would need two values for it", f.name),
                );
                continue;
            }
            self.name(b.section, &f.name, f.line, profile, "factor");
        }
        let mut seen_c: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &b.constants {
            if let Some(first) = seen_c.insert(&c.name, c.line) {
                self.push(
                    c.line,
                    Severity::Error,
                    format!("constant {} is given twice (first at line {first})", c.name),
                );
                continue;
            }
            if let Some(line) = seen.get(c.name.as_str()) {
                self.push(
                    c.line,
                    Severity::Error,
                    format!(
                        "{} is both a constant and a factor (line {line}): give it once",
                        c.name
                    ),
                );
                continue;
            }
            self.name(b.section, &c.name, c.line, profile, "constant");
        }
        if b.factors.is_empty() && !b.treatments.is_empty() {
            self.push(
                b.treatments_line.unwrap_or(b.line),
                Severity::Error,
                format!(
                    "`{}` has treatments but no factors: their values set nothing",
                    section_name(b.section)
                ),
            );
        }
    }

    fn name(&mut self, section: Section, name: &str, line: usize, profile: &Profile, what: &str) {
        let defaults = self.ctx.defaults;
        match section {
            Section::Setup => {
                if defaults.is_known(name) {
                    return;
                }
                let mut msg = if name.starts_with("LLMDBENCH_") {
                    format!(
                        "setup {what} {name} is not a variable of setup/env.sh ({}): nothing reads it",
                        defaults.describe()
                    )
                } else {
                    format!(
                        "setup {what} {name} is not an LLMDBENCH_* variable: setup factors are variables e2e.sh exports before each stand-up"
                    )
                };
                if let Some(close) = closest(name, defaults.names()) {
                    msg.push_str(&format!("; did you mean {close}?"));
                } else if !name.starts_with("LLMDBENCH_") && self.is_any_key(name) {
                    msg.push_str("; it is a workload key: move it to `run`");
                }
                self.push(line, Severity::Error, msg);
            }
            Section::Run => {
                let ok = match profile {
                    Profile::Known { keys, .. } => keys.iter().any(|k| k == name),
                    Profile::Any => self.is_any_key(name),
                    Profile::Unknown => true,
                };
                if ok {
                    return;
                }
                let mut msg = match profile {
                    Profile::Known {
                        harness, profile, ..
                    } => format!(
                        "run {what} {name} is not a key of the workload profile {harness}/{profile}: e2e.sh would replace nothing"
                    ),
                    _ => format!(
                        "run {what} {name} is not a key of any workload profile: e2e.sh would replace nothing"
                    ),
                };
                let keys: Vec<&str> = match profile {
                    Profile::Known { keys, .. } => keys.iter().map(String::as_str).collect(),
                    _ => self.all_keys(),
                };
                if let Some(close) = closest(name, keys.iter().copied()) {
                    msg.push_str(&format!("; did you mean {close}?"));
                } else if name.starts_with("LLMDBENCH_") {
                    msg.push_str("; it is an LLMDBENCH_* variable: move it to `setup`");
                }
                self.push(line, Severity::Error, msg);
            }
        }
    }

    /// Every key of every profile, built once per check.
    fn all_keys(&self) -> Vec<&'a str> {
        self.any_keys().iter().copied().collect()
    }

    fn any_keys(&self) -> &BTreeSet<&'a str> {
        let cat: &'a Catalog = self.ctx.catalog;
        self.keys.get_or_init(|| {
            let mut keys = BTreeSet::new();
            for h in cat.harnesses() {
                for p in cat.profiles(h) {
                    keys.extend(cat.workload_keys(h, p).iter().map(String::as_str));
                }
            }
            keys
        })
    }

    fn is_any_key(&self, name: &str) -> bool {
        self.any_keys().contains(name)
    }
}

/// The first names of a list, for a message: `a, b, c, ... (4000 in all)`.
fn few(names: &[&str]) -> String {
    const SHOWN: usize = 8;
    if names.len() <= SHOWN {
        return names.join(", ");
    }
    format!(
        "{}, ... ({} in all)",
        names[..SHOWN].join(", "),
        names.len()
    )
}

/// The candidate one edit away (two for long names) from `s`, if exactly one is.
fn closest<'c>(s: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    // One character off a one- or two-character value is no evidence of a typo.
    if s.chars().count() < 3 {
        return None;
    }
    let limit = if s.chars().count() > 12 { 2 } else { 1 };
    let close: Vec<&str> = candidates
        .filter(|c| *c != s && edit_distance(s, c, limit) <= limit)
        .collect();
    // Several at one edit (8000 vs 80000, 5000, 1000): a character too many or too few is
    // the likelier typo.
    let longer_or_shorter: Vec<&str> = close
        .iter()
        .copied()
        .filter(|c| c.chars().count() != s.chars().count())
        .collect();
    match (close.as_slice(), longer_or_shorter.as_slice()) {
        ([one], _) | (_, [one]) => Some(one),
        _ => None,
    }
}

/// Levenshtein distance, giving up (returning `limit + 1`) once it exceeds `limit`.
fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        if cur.iter().min().is_some_and(|m| *m > limit) {
            return limit + 1;
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("8000", "80000", 1), 1);
        assert_eq!(edit_distance("kitten", "sitting", 3), 3);
        assert_eq!(edit_distance("a", "abcd", 1), 2);
        assert_eq!(
            closest("8000", ["80000", "5000", "1000"].into_iter()),
            Some("80000")
        );
        assert_eq!(closest("3", ["1", "2", "4"].into_iter()), None);
    }

    #[test]
    fn flag_spellings() {
        let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            flag_values(
                &w("a --max-model-len 1 --max_model_len=2 --max-model-len"),
                "--max-model-len"
            ),
            ["1", "2", ""]
        );
        assert_eq!(
            flags_of("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"),
            [
                ("decode", "--max-model-len"),
                ("prefill", "--max-model-len")
            ]
        );
        assert_eq!(
            flags_of("LLMDBENCH_VLLM_MODELSERVICE_PREFILL_TENSOR_PARALLELISM"),
            [("prefill", "--tensor-parallel-size")]
        );
        assert!(flags_of("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS").is_empty());
    }

    #[test]
    fn sweeps_that_break_a_scheduler_coupling() {
        let scenario = "export LLMDBENCH_VLLM_COMMON_BLOCK_SIZE=64\n\
export LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS=$(mktemp)\n\
cat << 'EOF' > \"$LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS\"\n\
p.yaml: |\n\
  plugins:\n\
    - parameters:\n\
        blockSize: 64 # vLLM's\n\
        modelName: \"REPLACE_ENV_LLMDBENCH_DEPLOY_MODEL_LIST\"\n\
EOF\n";
        let s = ScenarioText::new("s.sh", scenario);
        let found = coupling_findings(
            &s,
            &[
                ("LLMDBENCH_VLLM_COMMON_BLOCK_SIZE", 7),
                ("LLMDBENCH_DEPLOY_MODEL_LIST", 8),
                ("LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN", 9),
            ],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 7);
        assert!(
            found[0].1.starts_with(
                "the scheduler's blockSize in the plugin file the scenario writes (s.sh:7) is 64, not REPLACE_ENV_LLMDBENCH_VLLM_COMMON_BLOCK_SIZE"
            ),
            "{}",
            found[0].1
        );
        // With the token, the sweep keeps both in step; without a plugin file, nothing to say.
        let tokened = scenario.replace(
            "blockSize: 64",
            "blockSize: REPLACE_ENV_LLMDBENCH_VLLM_COMMON_BLOCK_SIZE",
        );
        let s = ScenarioText::new("s.sh", &tokened);
        assert!(coupling_findings(&s, &[("LLMDBENCH_VLLM_COMMON_BLOCK_SIZE", 7)]).is_empty());
        let s = ScenarioText::new("s.sh", "export LLMDBENCH_VLLM_COMMON_BLOCK_SIZE=64\n");
        assert!(coupling_findings(&s, &[("LLMDBENCH_VLLM_COMMON_BLOCK_SIZE", 7)]).is_empty());
    }

    #[test]
    fn followers_of_common_variables() {
        let d = Defaults::builtin();
        assert_eq!(
            followers(&d, "LLMDBENCH_VLLM_COMMON_TENSOR_PARALLELISM"),
            [
                "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM",
                "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_TENSOR_PARALLELISM"
            ]
        );
        assert!(followers(&d, "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN").is_empty());
    }
}
