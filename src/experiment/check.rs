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
use crate::catalog::{Catalog, CatalogOrigin};
use crate::defaults::{DefaultValue, Defaults};
use crate::error::{Error, Result};
use crate::mapping::rules::{BENCH_ENV, FLAGS};

// Moved to `crate::diag` (it broke the import cycle model <-> check); re-exported so every
// existing path keeps working.
pub use crate::diag::{Finding, Severity};

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
            return Err(Error::Usage(format!(
                "the experiment cannot run as asked; nothing written:\n{}",
                errors.join("\n")
            )));
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
    if let Ok(doc) = crate::yaml::parse_one(file, text)
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

    /// Every factor has levels; levels belong to factors; no empty or repeated level.
    fn levels(&mut self, b: &Block) {
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let with_levels: BTreeSet<&str> = b.levels.iter().map(|l| l.factor.as_str()).collect();
        let missing: Vec<usize> = (0..b.factors.len())
            .filter(|i| !with_levels.contains(b.factors[*i].name.as_str()))
            .collect();
        // The values of the columns without levels, from one split of each treatment.
        let mut used_of: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        if !missing.is_empty() {
            for t in &b.treatments {
                let values = t.values();
                for &i in &missing {
                    if let Some(v) = values.get(i) {
                        let used = used_of.entry(i).or_default();
                        // A few distinct values are enough to show.
                        if used.len() < 10 && !used.iter().any(|u| u == v.trim()) {
                            used.push(v.trim().to_string());
                        }
                    }
                }
            }
        }
        for (i, f) in b.factors.iter().enumerate() {
            if !with_levels.contains(f.name.as_str()) {
                let used: Vec<String> = used_of
                    .get(&i)
                    .map(|u| u.iter().map(|v| super::variation::short(v)).collect())
                    .unwrap_or_default();
                let used = if used.is_empty() {
                    String::new()
                } else {
                    format!(" (its treatments use {})", used.join(", "))
                };
                self.push(
                    f.line,
                    Severity::Error,
                    format!(
                        "factor {} has no levels{used}: add `{}: \"...\"` under levels",
                        f.name, f.name
                    ),
                );
            }
        }
        for l in &b.levels {
            if l.raw.is_empty() {
                continue; // reported when read
            }
            if !factors.contains(l.factor.as_str()) {
                self.push(
                    l.line,
                    Severity::Warning,
                    format!("levels are given for {}, which is not among the factors: e2e.sh ignores them", l.factor),
                );
                continue;
            }
            let values = l.values();
            if values.iter().any(String::is_empty) {
                self.push(
                    l.line,
                    Severity::Error,
                    format!(
                        "levels of {} include an empty one: {}",
                        l.factor,
                        crate::error::excerpt(&l.raw, 60)
                    ),
                );
            }
            // Known parameters: each level of the parameter's type and range.
            let set: Vec<String> = values.iter().filter(|v| !v.is_empty()).cloned().collect();
            if let Some((p, bad)) = super::params::bad_levels(&l.factor, &set) {
                let shown: Vec<String> = bad
                    .iter()
                    .take(5)
                    .map(|v| crate::error::excerpt(v, 60))
                    .collect();
                self.push(
                    l.line,
                    Severity::Error,
                    format!(
                        "level{} {}{} of {} {} not valid: {} takes {}",
                        if bad.len() == 1 { "" } else { "s" },
                        shown.join(", "),
                        if bad.len() > 5 { " ..." } else { "" },
                        l.factor,
                        if bad.len() == 1 { "is" } else { "are" },
                        p.name,
                        p.kind.describe()
                    ),
                );
            }
            let mut seen = BTreeSet::new();
            for v in values.iter().filter(|v| !v.is_empty()) {
                if !seen.insert(v) {
                    self.push(
                        l.line,
                        Severity::Warning,
                        format!("level {v} of {} is given twice", l.factor),
                    );
                }
            }
        }
    }

    /// One value per factor, each a level or NA; values e2e.sh can write; no repeats.
    fn treatments(&mut self, b: &Block) {
        let title = section_name(b.section);
        if b.treatments_line.is_none() && !b.factors.is_empty() {
            self.push(
                b.line,
                Severity::Error,
                format!("`{title}` has factors but no treatments: e2e.sh runs the treatments, so nothing would vary"),
            );
            return;
        }
        if b.treatments.is_empty() && !b.factors.is_empty() {
            self.push(
                b.treatments_line.unwrap_or(b.line),
                Severity::Error,
                format!("`{title}.treatments` is empty: nothing would run"),
            );
            return;
        }
        if b.factors.is_empty() {
            return;
        }
        let by_factor: BTreeMap<&str, &super::model::Levels> = b
            .levels
            .iter()
            .filter(|l| !l.raw.is_empty())
            .map(|l| (l.factor.as_str(), l))
            .collect();
        let levels: Vec<Option<Vec<String>>> = b
            .factors
            .iter()
            .map(|f| by_factor.get(f.name.as_str()).map(|l| l.values()))
            .collect();
        let level_sets: Vec<Option<BTreeSet<&str>>> = levels
            .iter()
            .map(|lv| {
                lv.as_ref()
                    .map(|lv| lv.iter().map(String::as_str).collect())
            })
            .collect();
        // Each treatment split once; the rules below index these rows.
        let rows: Vec<Vec<&str>> = b.treatments.iter().map(|t| t.values()).collect();
        let mut seen: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
        for (t, values) in b.treatments.iter().zip(&rows) {
            let named = t.name.as_ref().map_or(String::new(), |n| format!(" {n}"));
            let prefix = t
                .name
                .as_ref()
                .map_or(String::new(), |n| format!("treatment {n}: "));
            if values.len() != b.factors.len() {
                let names: Vec<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
                self.push(
                    t.line,
                    Severity::Error,
                    format!(
                        "treatment{named} {} has {} value{} for {} factor{} ({}): give one value per factor, NA where one does not apply",
                        crate::error::excerpt(&t.raw, 60),
                        values.len(),
                        if values.len() == 1 { "" } else { "s" },
                        names.len(),
                        if names.len() == 1 { "" } else { "s" },
                        few(&names)
                    ),
                );
                continue;
            }
            for (((v, f), lv), set) in values.iter().zip(&b.factors).zip(&levels).zip(&level_sets) {
                let trimmed = v.trim();
                if trimmed.is_empty() {
                    self.push(
                        t.line,
                        Severity::Error,
                        format!(
                            "treatment{named} {} has an empty value for {}",
                            crate::error::excerpt(&t.raw, 60),
                            f.name
                        ),
                    );
                    continue;
                }
                if trimmed != *v {
                    let (sev, why) = match b.section {
                        Section::Setup => (
                            Severity::Error,
                            "e2e.sh would write them into `export VAR=value`",
                        ),
                        Section::Run => {
                            (Severity::Warning, "e2e.sh may write them into the profile")
                        }
                    };
                    self.push(
                        t.line,
                        sev,
                        format!(
                            "value {} of {} has blanks around it: {why}",
                            crate::error::excerpt(v, 60),
                            f.name
                        ),
                    );
                }
                if trimmed == NA {
                    continue;
                }
                if b.section == Section::Setup
                    && let Some(why) = level_problem(trimmed)
                {
                    self.push(
                        t.line,
                        Severity::Error,
                        format!(
                            "value {} of {} {why}",
                            crate::error::excerpt(trimmed, 60),
                            f.name
                        ),
                    );
                }
                if let (Some(lv), Some(set)) = (lv, set)
                    && !set.contains(trimmed)
                {
                    let mut msg = format!(
                        "{prefix}value {} of {} is not among its levels {}",
                        crate::error::printable(&super::variation::short(trimmed)),
                        f.name,
                        super::variation::short(&lv.join(","))
                    );
                    if let Some(close) = closest(trimmed, lv.iter().map(String::as_str)) {
                        msg.push_str(&format!("; did you mean {close}?"));
                    }
                    self.push(t.line, Severity::Error, msg);
                }
            }
            let key: Vec<&str> = values.iter().map(|v| v.trim()).collect();
            if let Some(first) = seen.insert(key, t.line) {
                self.push(
                    t.line,
                    Severity::Warning,
                    format!(
                        "treatment{named} {} repeats the one at line {first}: it would run twice",
                        crate::error::excerpt(&t.raw, 60)
                    ),
                );
            }
        }
        // Levels no treatment uses (one pass over the rows).
        let all_complete = rows.iter().all(|r| r.len() == b.factors.len());
        let mut used: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); b.factors.len()];
        for r in &rows {
            for (i, v) in r.iter().enumerate().take(b.factors.len()) {
                used[i].insert(v.trim());
            }
        }
        for (i, f) in b.factors.iter().enumerate() {
            let Some(l) = by_factor.get(f.name.as_str()) else {
                continue;
            };
            let unused: Vec<String> = l
                .values()
                .into_iter()
                .filter(|v| !v.is_empty() && !used[i].contains(v.as_str()))
                .collect();
            if !unused.is_empty() && all_complete {
                self.push(
                    l.line,
                    Severity::Note,
                    format!(
                        "level{} {} of {} {} used by no treatment",
                        if unused.len() == 1 { "" } else { "s" },
                        super::variation::short(&unused.join(",")),
                        f.name,
                        if unused.len() == 1 { "is" } else { "are" }
                    ),
                );
            }
        }
    }

    /// The value each factor takes when the experiment does not set it.
    fn baseline(&self, section: Section, name: &str, profile: &Profile) -> Option<Baseline> {
        match section {
            Section::Setup => {
                if let Some(s) = &self.ctx.scenario {
                    match s.value_of(name) {
                        Some((n, Some(v))) => {
                            return Some(Baseline {
                                value: v,
                                what: format!("the scenario's value ({}:{n})", s.name),
                                from_scenario: true,
                            });
                        }
                        Some((_, None)) => return None,
                        None if !s.lines_containing_assignment(name).is_empty() => return None,
                        None => {}
                    }
                }
                match self.ctx.defaults.get(name) {
                    Some(DefaultValue::Value(v)) => Some(Baseline {
                        value: v.clone(),
                        what: "the llm-d-benchmark default".into(),
                        from_scenario: false,
                    }),
                    _ => None,
                }
            }
            Section::Run => match profile {
                Profile::Known {
                    harness, profile, ..
                } => self
                    .ctx
                    .catalog
                    .workload_value(harness, profile, name)
                    .map(|v| Baseline {
                        value: v.to_string(),
                        what: format!("the value in {harness}/{profile}"),
                        from_scenario: false,
                    }),
                _ => None,
            },
        }
    }

    /// Notes: levels equal to the value the factor has without the experiment; constants
    /// that change nothing.
    fn marks(&mut self, b: &Block, profile: &Profile) {
        for f in &b.factors {
            let Some(l) = b.levels_of(&f.name).filter(|l| !l.raw.is_empty()) else {
                continue;
            };
            let Some(base) = self.baseline(b.section, &f.name, profile) else {
                continue;
            };
            if l.values().contains(&base.value) {
                self.push(
                    l.line,
                    Severity::Note,
                    format!("level {} of {} is {}", base.value, f.name, base.what),
                );
            } else if base.from_scenario {
                self.push(
                    l.line,
                    Severity::Note,
                    format!(
                        "{} of {} is {}, which is not among its levels: no treatment runs the scenario as it is",
                        base.what, f.name, base.value
                    ),
                );
            }
        }
        for c in &b.constants {
            if let Some(base) = self.baseline(b.section, &c.name, profile)
                && base.value == c.value
            {
                self.push(
                    c.line,
                    Severity::Note,
                    format!(
                        "constant {} = {} is already {}: it changes nothing",
                        c.name, c.value, base.what
                    ),
                );
            }
        }
    }

    /// Each setup factor on exactly one line containing `VAR=`, which assigns it.
    fn scenario_lines(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let items = b
            .factors
            .iter()
            .map(|f| (f.name.as_str(), f.line, false))
            .chain(b.constants.iter().map(|c| (c.name.as_str(), c.line, true)));
        let mut found = Vec::new();
        for (var, line, constant) in items {
            // Constants: assumed applied like factors, reported as warnings.
            let bad = if constant {
                Severity::Warning
            } else {
                Severity::Error
            };
            let what = if constant { "constant" } else { "factor" };
            let lines = s.lines_containing_assignment(var);
            let at = |n: usize| format!("{}:{n}", s.name);
            match lines.as_slice() {
                [] => {
                    let used = s.expansions(var);
                    if let Some(first) = used.first() {
                        found.push((line, bad, format!(
                            "setup {what} {var} is used by the scenario ({}) but not set by it: e2e.sh appends `export {var}=value` at the end, after that use; export it once, before it is used",
                            at(*first)
                        )));
                    } else {
                        found.push((line, Severity::Warning, format!(
                            "setup {what} {var} is not set by the scenario: e2e.sh appends `export {var}=value` at its end; an export line in the scenario would show the value a treatment with NA keeps"
                        )));
                    }
                }
                [n] if s.assigns(*n, var) => {}
                [n] => {
                    let why = match s.heredoc_of(*n) {
                        Some(h) => format!(
                            "is inside the file the scenario writes for {} (from {})",
                            h.var.as_deref().unwrap_or("a heredoc"),
                            at(h.line)
                        ),
                        None => "does not assign it".to_string(),
                    };
                    found.push((line, bad, format!(
                        "the only line of the scenario containing `{var}=` ({}) {why}: e2e.sh would replace that whole line with `export {var}=value`",
                        at(*n)
                    )));
                }
                many => {
                    let list: Vec<String> = many.iter().map(|n| at(*n)).collect();
                    found.push((line, bad, format!(
                        "{} lines of the scenario contain `{var}=` ({}): e2e.sh replaces every one of them with `export {var}=value`; keep exactly one export line",
                        many.len(),
                        list.join(", ")
                    )));
                }
            }
        }
        for (line, sev, msg) in found {
            self.push(line, sev, msg);
        }
    }

    /// vLLM commands the scenario writes must carry a swept flag variable's token.
    fn commands(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let mut found = Vec::new();
        for f in &b.factors {
            for (stage, flag) in flags_of(&f.name) {
                let up = stage.to_ascii_uppercase();
                let args_var = format!("LLMDBENCH_VLLM_MODELSERVICE_{up}_EXTRA_ARGS");
                let Some(h) = s.file_of(&args_var) else {
                    continue;
                };
                let words = s.heredoc_words(h);
                let values = flag_values(&words, flag);
                let at = format!("{}:{}", s.name, h.line);
                if values.is_empty() {
                    found.push((f.line, format!(
                        "the {stage} vLLM command the scenario writes ({at}) has no {flag}: the sweep of {} does not reach vLLM there; add `{flag} REPLACE_ENV_{}`",
                        f.name, f.name
                    )));
                    continue;
                }
                for v in values {
                    let token = v
                        .strip_prefix("REPLACE_ENV_")
                        .map(|t| t.split("++++").next().unwrap_or(t));
                    match token {
                        Some(t) if t == f.name || factors.contains(t) => {}
                        Some(t) => found.push((f.line, format!(
                            "the {stage} vLLM command the scenario writes ({at}) passes {flag} REPLACE_ENV_{t}, not {}: the sweep does not reach vLLM there",
                            f.name
                        ))),
                        None => found.push((f.line, format!(
                            "the {stage} vLLM command the scenario writes ({at}) passes {flag} {v} literally: the sweep of {} does not reach vLLM there; write REPLACE_ENV_{} instead",
                            f.name, f.name
                        ))),
                    }
                }
            }
        }
        for (line, msg) in found {
            self.push(line, Severity::Error, msg);
        }
    }

    /// Files the scenario writes in place of llm-d-benchmark's own (volumes, env list) must
    /// carry the swept variable's token, as the benchmark's own files do.
    fn files(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let mut found = Vec::new();
        for f in &b.factors {
            for file_var in token_files(&f.name) {
                let Some(h) = s.file_of(&file_var) else {
                    continue;
                };
                let has_token = (h.first..=h.last).any(|n| {
                    s.lines
                        .get(n - 1)
                        .is_some_and(|l| l.contains(&format!("REPLACE_ENV_{}", f.name)))
                });
                if !has_token {
                    found.push((f.line, format!(
                        "the file the scenario writes for {file_var} ({}:{}) replaces llm-d-benchmark's own and has no REPLACE_ENV_{}: the sweep of {} does not reach the pod",
                        s.name, h.line, f.name, f.name
                    )));
                }
            }
        }
        for (line, msg) in found {
            self.push(line, Severity::Error, msg);
        }
    }

    /// Sweeping parallelism while the scenario fixes the accelerator count.
    fn accelerators(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let mut found = Vec::new();
        for f in &b.factors {
            for stage in ["DECODE", "PREFILL"] {
                let prefix = format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_");
                let Some(suffix) = f.name.strip_prefix(&prefix) else {
                    continue;
                };
                if !matches!(suffix, "TENSOR_PARALLELISM" | "DATA_LOCAL_PARALLELISM") {
                    continue;
                }
                let nr = format!("{prefix}ACCELERATOR_NR");
                if factors.contains(nr.as_str()) {
                    continue;
                }
                if let Some((n, Some(v))) = s.value_of(&nr)
                    && v != "auto"
                {
                    found.push((f.line, format!(
                        "the scenario fixes {nr} at {v} ({}:{n}): every treatment's {} pods request {v} accelerators whatever {} is; `auto` follows tensor x data-local parallelism",
                        s.name,
                        stage.to_ascii_lowercase(),
                        f.name
                    )));
                }
            }
        }
        for (line, msg) in found {
            self.push(line, Severity::Warning, msg);
        }
    }

    /// A factor llm-d-benchmark reads only through variables env.sh derived from it before
    /// the scenario was sourced (or through the stages' own variables) does not sweep them.
    fn derived(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        let modelservice_only = self.modelservice_only(b);
        let mut found = Vec::new();
        for f in &b.factors {
            if !s.references(&f.name).is_empty() {
                continue;
            }
            let followers: Vec<String> = followers(self.ctx.defaults, &f.name)
                .into_iter()
                .filter(|y| !factors.contains(y.as_str()))
                .collect();
            if followers.is_empty() {
                continue;
            }
            let sev = if modelservice_only {
                Severity::Error
            } else {
                Severity::Warning
            };
            let named: Vec<String> = followers
                .iter()
                .map(
                    |y| match super::params::PARAMETERS.iter().find(|p| p.variable == y) {
                        Some(p) => format!("{y} ({})", p.name),
                        None => y.clone(),
                    },
                )
                .collect();
            found.push((f.line, sev, format!(
                "the sweep of {} does not reach {}: with modelservice llm-d-benchmark deploys from {}, which setup/env.sh sets before the scenario is sourced, and the scenario does not refer to {}; sweep {} instead",
                f.name,
                followers.join(" and "),
                if followers.len() == 1 { "it" } else { "them" },
                f.name,
                named.join(" and/or "),
            )));
        }
        for (line, sev, msg) in found {
            self.push(line, sev, msg);
        }
    }

    /// True when every deployment of the experiment is modelservice.
    fn modelservice_only(&self, b: &Block) -> bool {
        const VAR: &str = "LLMDBENCH_DEPLOY_METHODS";
        let mut methods: BTreeSet<String> = BTreeSet::new();
        if let Some(i) = b.factors.iter().position(|f| f.name == VAR) {
            for t in &b.treatments {
                if let Some(v) = t.values().get(i).map(|v| v.trim()).filter(|v| *v != NA) {
                    methods.insert(v.to_string());
                }
            }
        } else if let Some(c) = b.constants.iter().find(|c| c.name == VAR) {
            methods.insert(c.value.clone());
        } else if let Some((_, Some(v))) = self.ctx.scenario.as_ref().and_then(|s| s.value_of(VAR))
        {
            methods.insert(v);
        } else if let Some(DefaultValue::Value(v)) = self.ctx.defaults.get(VAR) {
            methods.insert(v.clone());
        }
        !methods.is_empty() && methods.iter().all(|m| m == "modelservice")
    }
}

impl Checker<'_> {
    /// Sweeping a vLLM value the scheduler keeps a copy of (see [`coupling_findings`]).
    fn couplings(&mut self, b: &Block) {
        let Some(s) = &self.ctx.scenario else {
            return;
        };
        let factors: Vec<(&str, usize)> = b
            .factors
            .iter()
            .map(|f| (f.name.as_str(), f.line))
            .collect();
        for (line, msg) in coupling_findings(s, &factors) {
            self.push(line, Severity::Error, msg);
        }
    }
}

/// Values the EPP's scheduler must share with vLLM: (variable that sets vLLM's, key in the
/// plugin configuration, what vLLM calls it). A sweep of the variable reaches the scheduler
/// only where the plugin file holds the variable's token.
const COUPLED: &[(&str, &str, &str)] = &[
    (
        "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE",
        "blockSize",
        "--block-size",
    ),
    (
        "LLMDBENCH_DEPLOY_MODEL_LIST",
        "modelName",
        "the served model",
    ),
];

/// Setup factors that would break a coupling between vLLM and the scheduler: the plugin file
/// the scenario writes (LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS) gives the coupled
/// key a literal value (or another variable's token), so the sweep changes vLLM alone.
/// `factors` are (name, line in the experiment); the findings are (line, message).
pub fn coupling_findings(s: &ScenarioText, factors: &[(&str, usize)]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let Some(h) = s.file_of("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS") else {
        return out;
    };
    for (factor, line) in factors {
        for (var, key, vllm) in COUPLED.iter().filter(|(v, _, _)| v == factor) {
            for n in h.first..=h.last {
                let Some(text) = s.lines.get(n - 1) else {
                    continue;
                };
                let Some(value) = text.trim_start().strip_prefix(&format!("{key}:")) else {
                    continue;
                };
                let value = value
                    .split(" #")
                    .next()
                    .unwrap_or(value)
                    .trim()
                    .trim_matches(['"', '\'']);
                if value == format!("REPLACE_ENV_{var}") {
                    continue;
                }
                out.push((
                    *line,
                    format!(
                        "the scheduler's {key} in the plugin file the scenario writes ({}:{n}) is {value}, not REPLACE_ENV_{var}: sweeping {var} changes {vllm} of vLLM but not the scheduler's copy, and its prefix-cache scores stop matching; write REPLACE_ENV_{var} there",
                        s.name
                    ),
                ));
            }
        }
    }
    out
}

/// Variables llm-d-benchmark's modelservice deployment reads instead of `var`: those env.sh
/// derives from it, and for `LLMDBENCH_VLLM_COMMON_X` the stages' own `..._{STAGE}_X`.
pub fn followers(defaults: &Defaults, var: &str) -> Vec<String> {
    let mut out: BTreeSet<String> = defaults
        .derived_from(var)
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(suffix) = var.strip_prefix("LLMDBENCH_VLLM_COMMON_") {
        for stage in ["DECODE", "PREFILL"] {
            let own = format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_{suffix}");
            if defaults.is_known(&own) {
                out.insert(own);
            }
        }
    }
    out.into_iter().collect()
}

/// Files whose llm-d-benchmark default carries `var` as a `REPLACE_ENV_` token: a scenario
/// that writes its own must keep the token for a sweep of `var` to reach the pod.
pub fn token_files(var: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stage in ["DECODE", "PREFILL"] {
        if var == format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_SHM_MEM") {
            out.push(format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_EXTRA_VOLUMES"));
        }
        if BENCH_ENV.iter().any(|(_, v)| var == *v) {
            out.push(format!(
                "LLMDBENCH_VLLM_MODELSERVICE_{stage}_ENVVARS_TO_YAML"
            ));
        }
    }
    out
}

/// The (stage, flag) pairs whose value `var` carries in llm-d-benchmark's vLLM commands.
pub fn flags_of(var: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for flag in FLAGS {
        for stage in ["decode", "prefill"] {
            let own = flag.stage.map(|t| crate::mapping::vars::stage(t, stage));
            if flag.common == Some(var) || own.as_deref() == Some(var) {
                out.push((stage, flag.name));
            }
        }
    }
    out
}

/// The values `flag` is given in a command's words (`--flag v`, `--flag=v`, `--flag_x` too).
fn flag_values(words: &[String], flag: &str) -> Vec<String> {
    let canon = |w: &str| {
        let dashes = w.len() - w.trim_start_matches('-').len();
        format!("{}{}", &w[..dashes], w[dashes..].replace('_', "-"))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w.starts_with("--") {
            match w.split_once('=') {
                Some((f, v)) if canon(f) == flag => out.push(v.to_string()),
                None if canon(w) == flag => {
                    out.push(words.get(i + 1).cloned().unwrap_or_default());
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    out
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
