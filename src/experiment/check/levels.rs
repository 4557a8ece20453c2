//! The levels and treatments rules: every factor has levels, each treatment gives one
//! known level per factor, and levels equal to the guide's own value are marked.

use super::*;

impl Checker<'_> {
    /// Every factor has levels; levels belong to factors; no empty or repeated level.
    pub(super) fn levels(&mut self, b: &Block) {
        let factors: BTreeSet<&str> = b.factors.iter().map(|f| f.name.as_str()).collect();
        self.factors_without_levels(b);
        for l in &b.levels {
            self.level_list(l, &factors);
        }
    }

    /// A factor without levels is an error, shown with a few values its treatments use.
    fn factors_without_levels(&mut self, b: &Block) {
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
                    .map(|u| {
                        u.iter()
                            .map(|v| crate::experiment::variation::short(v))
                            .collect()
                    })
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
    }

    /// One `levels` entry: of a factor, no empty or repeated level, each of a known
    /// parameter's type and range.
    fn level_list(&mut self, l: &crate::experiment::model::Levels, factors: &BTreeSet<&str>) {
        if l.raw.is_empty() {
            return; // reported when read
        }
        if !factors.contains(l.factor.as_str()) {
            self.push(
                l.line,
                Severity::Warning,
                format!(
                    "levels are given for {}, which is not among the factors: e2e.sh ignores them",
                    l.factor
                ),
            );
            return;
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
        if let Some((p, bad)) = crate::experiment::params::bad_levels(&l.factor, &set) {
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

    /// One value per factor, each a level or NA; values e2e.sh can write; no repeats.
    pub(super) fn treatments(&mut self, b: &Block) {
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
        let by_factor: BTreeMap<&str, &crate::experiment::model::Levels> = b
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
            self.treatment_values(b, t, values, &levels, &level_sets);
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
        self.unused_levels(b, &rows, &by_factor);
    }

    /// The values of one treatment of the right length: not empty, no blanks around them
    /// (e2e.sh writes them), writable by e2e.sh (setup), among the factor's levels or NA.
    fn treatment_values(
        &mut self,
        b: &Block,
        t: &crate::experiment::model::Treatment,
        values: &[&str],
        levels: &[Option<Vec<String>>],
        level_sets: &[Option<BTreeSet<&str>>],
    ) {
        let named = t.name.as_ref().map_or(String::new(), |n| format!(" {n}"));
        let prefix = t
            .name
            .as_ref()
            .map_or(String::new(), |n| format!("treatment {n}: "));
        for (((v, f), lv), set) in values.iter().zip(&b.factors).zip(levels).zip(level_sets) {
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
                    Section::Run => (Severity::Warning, "e2e.sh may write them into the profile"),
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
                    crate::error::printable(&crate::experiment::variation::short(trimmed)),
                    f.name,
                    crate::experiment::variation::short(&lv.join(","))
                );
                if let Some(close) = closest(trimmed, lv.iter().map(String::as_str)) {
                    msg.push_str(&format!("; did you mean {close}?"));
                }
                self.push(t.line, Severity::Error, msg);
            }
        }
    }

    /// Levels no treatment uses (one pass over the rows): a note, when every row is complete.
    fn unused_levels(
        &mut self,
        b: &Block,
        rows: &[Vec<&str>],
        by_factor: &BTreeMap<&str, &crate::experiment::model::Levels>,
    ) {
        let all_complete = rows.iter().all(|r| r.len() == b.factors.len());
        let mut used: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); b.factors.len()];
        for r in rows {
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
                        crate::experiment::variation::short(&unused.join(",")),
                        f.name,
                        if unused.len() == 1 { "is" } else { "are" }
                    ),
                );
            }
        }
    }

    /// The value each factor takes when the experiment does not set it.
    pub(super) fn baseline(
        &self,
        section: Section,
        name: &str,
        profile: &Profile,
    ) -> Option<Baseline> {
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
    pub(super) fn marks(&mut self, b: &Block, profile: &Profile) {
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
}
