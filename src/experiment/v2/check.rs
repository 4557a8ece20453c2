//! Validation of a v2 experiment, generated or hand-written: what the package reads, what
//! it ignores, and levels outside a parameter's type or range.

use std::collections::{HashMap, HashSet};

use super::Workload;
use crate::bench::catalog::Catalog;
use crate::experiment::Section;
use crate::experiment::check::{Finding, Report, Severity};
use crate::experiment::params::{self};
use crate::experiment::variation::short;
use crate::read::yaml::{self, Node};

/// Keys the package reads at the top level of an experiment.
const TOP: &[&str] = &[
    "experiment",
    "design",
    "setup",
    "treatments",
    "run",
    "constants",
];

/// Whether a parsed experiment is in the v2 format: it has `experiment:`, `design:` or a
/// top-level `treatments:`, or its `setup.treatments` / `run` is a list of maps.
pub fn is_v2(root: &Node) -> bool {
    let Some(entries) = root.as_map() else {
        return false;
    };
    let list_of_maps = |n: &Node| {
        n.as_seq()
            .is_some_and(|s| s.first().is_some_and(|i| i.as_map().is_some()))
    };
    entries.iter().any(|e| match e.key.as_str() {
        "experiment" | "design" | "treatments" => true,
        "setup" => e.value.get("treatments").is_some_and(list_of_maps),
        "run" => e.value.as_seq().is_some(),
        _ => false,
    })
}

/// Check a v2 experiment (already parsed). Every rule is one pass over the file, with hash
/// lookups: cost is linear in its size.
pub fn check(file: &str, root: &Node, catalog: &Catalog) -> Report {
    let mut c = V2Checker {
        file,
        findings: Vec::new(),
        maps: None,
    };
    let mut report = Report {
        file: file.to_string(),
        ..Report::default()
    };
    let Some(entries) = root.as_map() else {
        c.push(
            root.line,
            Severity::Error,
            "not an experiment: expected a mapping".into(),
        );
        report.findings = c.findings;
        return report;
    };
    let meta = c.top_level(root, entries);
    let (harness, profile) = (
        meta.and_then(|m| m.get("harness")).and_then(Node::as_str),
        meta.and_then(|m| m.get("profile")).and_then(Node::as_str),
    );
    if let Some(setup) = root.entry("setup") {
        report.setup_treatments = c.setup(setup);
    }
    let (run_keys, maps) = profile_keys(&mut c, catalog, meta, harness, profile);
    // The run phase reads `treatments`, else (when that is missing or empty) `run`.
    let run = root
        .entry("treatments")
        .filter(|e| e.value.as_seq().is_some_and(|s| !s.is_empty()))
        .or_else(|| root.entry("run"));
    if let (Some(t), Some(r)) = (root.entry("treatments"), root.entry("run"))
        && !std::ptr::eq(run.map_or(t, |x| x), r)
    {
        c.push(
            r.line,
            Severity::Warning,
            format!(
                "`run` is ignored: `treatments` (line {}) is read instead",
                t.line
            ),
        );
    }
    c.maps = maps;
    if let Some(constants) = root.entry("constants") {
        c.constants(constants, "constants", Section::Run, run_keys.as_ref());
    }
    if let Some(run) = run {
        report.run_treatments = c.run(run, run_keys.as_ref());
    }
    if let Some(d) = root.get("design") {
        c.totals(d, report.setup_treatments, report.run_treatments);
    }
    c.findings.sort_by_key(|f| f.line);
    report.findings = c.findings;
    report
}

impl V2Checker<'_> {
    /// Unknown top-level keys and the shape of `experiment:`; returns `experiment:`.
    fn top_level<'n>(
        &mut self,
        root: &'n Node,
        entries: &[crate::read::yaml::Entry],
    ) -> Option<&'n Node> {
        for e in entries {
            if !TOP.contains(&e.key.as_str()) {
                self.push(
                    e.line,
                    Severity::Warning,
                    format!(
                        "unknown key `{}`: llm-d-benchmark reads experiment, design, setup, treatments (or run) and constants",
                        short(&e.key)
                    ),
                );
            }
        }
        let meta = root.get("experiment");
        if let Some(m) = meta
            && m.as_map().is_none()
        {
            self.push(
                m.line,
                Severity::Warning,
                "`experiment` should be a map of name, harness and profile; llm-d-benchmark ignores it"
                    .into(),
            );
        }
        meta
    }
}

/// The workload profile's keys run paths may address, and (with a checkout) the paths of
/// its maps: a run path is set only under one of them.
fn profile_keys<'c>(
    c: &mut V2Checker<'_>,
    catalog: &'c Catalog,
    meta: Option<&Node>,
    harness: Option<&str>,
    profile: Option<&str>,
) -> (Option<HashSet<&'c str>>, Option<HashSet<String>>) {
    let mut maps: Option<HashSet<String>> = None;
    let run_keys: Option<HashSet<&str>> = match (harness, profile) {
        (Some(h), Some(p)) => match catalog.resolve(h, p) {
            Ok((h, p)) => {
                if let crate::bench::catalog::CatalogOrigin::Checkout(dir) = catalog.origin()
                    && let Ok(w) = Workload::from_checkout(dir, &h, &p)
                {
                    let mut set = HashSet::new();
                    for path in &w.paths {
                        let mut at = 0;
                        while let Some(dot) = path[at..].find('.') {
                            set.insert(path[..at + dot].to_string());
                            at += dot + 1;
                        }
                    }
                    maps = Some(set);
                }
                Some(
                    catalog
                        .workload_keys(&h, &p)
                        .iter()
                        .map(String::as_str)
                        .collect(),
                )
            }
            Err(e) => {
                let line = meta.map_or(1, |m| m.line);
                c.push(
                    line,
                    Severity::Error,
                    format!("the experiment's workload profile cannot be checked: {e}"),
                );
                None
            }
        },
        _ => None,
    };
    (run_keys, maps)
}

struct V2Checker<'a> {
    file: &'a str,
    findings: Vec<Finding>,
    /// Paths of the maps of the experiment's profile (read from a checkout), if known.
    maps: Option<HashSet<String>>,
}

impl V2Checker<'_> {
    fn push(&mut self, line: usize, severity: Severity, message: String) {
        self.findings
            .push(Finding::new(self.file, line.max(1), severity, message));
    }

    fn setup(&mut self, setup: &yaml::Entry) -> Option<usize> {
        let Some(_) = setup.value.as_map() else {
            if !setup.value.is_null() {
                self.push(
                    setup.line,
                    Severity::Error,
                    "`setup` must be a map of constants and treatments".into(),
                );
            }
            return None;
        };
        if let Some(k) = setup.value.entry("constants") {
            self.constants(k, "setup.constants", Section::Setup, None);
        }
        for e in setup.value.as_map().unwrap_or_default() {
            if !matches!(
                e.key.as_str(),
                "constants" | "treatments" | "factors" | "levels"
            ) {
                self.push(e.line, Severity::Warning, format!("unknown key `{}` in `setup`: llm-d-benchmark reads constants and treatments", short(&e.key)));
            }
            if matches!(e.key.as_str(), "factors" | "levels") {
                self.push(e.line, Severity::Error, format!("`setup.{}` is the bash-era form, which llm-d-benchmark 2026-03-30 and later ignore: give `setup.treatments` as a list of maps of config paths (`- name: t1` / `decode.replicas: 2`)", e.key));
            }
        }
        let t = setup.value.entry("treatments")?;
        let Some(items) = t.value.as_seq() else {
            self.push(t.line, Severity::Error, "`setup.treatments` must be a list of maps (`- name: t1` then `decode.replicas: 2`); llm-d-benchmark ignores anything else".into());
            return Some(0);
        };
        if items.is_empty() {
            self.push(
                t.line,
                Severity::Warning,
                "`setup.treatments` is empty: one stand-up with the scenario as it is".into(),
            );
        }
        let constants: Vec<&str> = setup
            .value
            .get("constants")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        let treatments = self.treatments(items, "setup");
        let count = treatments.len();
        for (item, map, name) in treatments {
            let keys = constants.iter().copied().chain(
                map.iter()
                    .filter(|e| e.key != "name")
                    .map(|e| e.key.as_str()),
            );
            self.conflicts(keys, item.line, &name);
            let mut any = false;
            for e in map.iter().filter(|e| e.key != "name") {
                any = true;
                self.setup_value(e, &name);
            }
            if !any && constants.is_empty() {
                self.push(
                    item.line,
                    Severity::Note,
                    format!("setup treatment {name} sets nothing: the scenario as it is"),
                );
            }
        }
        Some(count)
    }

    /// The treatments llm-d-benchmark runs, each with its map and name: an item that is not a
    /// map is reported (it skips it) and left out.
    fn treatments<'n>(
        &mut self,
        items: &'n [Node],
        what: &str,
    ) -> Vec<(&'n Node, &'n [yaml::Entry], String)> {
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(map) = item.as_map() else {
                self.push(
                    item.line,
                    Severity::Error,
                    format!(
                        "{what} treatment {} is not a map: llm-d-benchmark skips it",
                        i + 1
                    ),
                );
                continue;
            };
            let name = self.name(item, i, what, &mut names);
            out.push((item, map, name));
        }
        out
    }

    /// A treatment's name: a string, unique, usable as a folder or file name part.
    fn name(
        &mut self,
        item: &Node,
        i: usize,
        what: &str,
        names: &mut HashMap<String, usize>,
    ) -> String {
        let Some(n) = item.get("name") else {
            let fallback = match what {
                "setup" => format!("setup-{i}"),
                _ => format!("t{i}"),
            };
            self.push(
                item.line,
                Severity::Warning,
                format!(
                    "{what} treatment {} has no name: llm-d-benchmark calls it {fallback}",
                    i + 1
                ),
            );
            return fallback;
        };
        let line = item.entry("name").map_or(item.line, |e| e.line);
        let Some(s) = n.as_scalar().filter(|s| !s.is_null()) else {
            self.push(
                line,
                Severity::Error,
                format!("{what} treatment {} has a name that is not a string", i + 1),
            );
            return format!("#{}", i + 1);
        };
        let v = &s.value;
        let ok = !v.is_empty()
            && v != "."
            && v != ".."
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok {
            self.push(line, Severity::Error, format!("{what} treatment name {} is not a plain name: it becomes part of a folder or file name; use letters, digits, `.`, `_` and `-`", crate::error::excerpt(v, 60)));
        }
        if let Some(first) = names.insert(v.clone(), line) {
            let why = match what {
                "setup" => "both would stand up in the same workspace folder",
                _ => "both would render the same profile file, the second overwriting the first",
            };
            self.push(
                line,
                Severity::Error,
                format!(
                    "{what} treatment name {} is already used at line {first}: {why}",
                    crate::error::excerpt(v, 60)
                ),
            );
        }
        short(v)
    }

    /// Dotted keys that `dotted_to_nested` refuses: a path that is both a value and a map.
    fn conflicts<'k>(&mut self, keys: impl Iterator<Item = &'k str>, line: usize, name: &str) {
        let keys: Vec<&str> = keys.collect();
        let set: HashSet<&str> = keys.iter().copied().collect();
        for k in &keys {
            let mut at = 0;
            while let Some(dot) = k[at..].find('.') {
                let prefix = &k[..at + dot];
                if set.contains(prefix) {
                    self.push(line, Severity::Error, format!(
                        "setup treatment {name} sets both {} and {}: llm-d-benchmark cannot nest one under the other and the treatment fails",
                        short(prefix), short(k)
                    ));
                }
                at += dot + 1;
            }
        }
    }

    fn setup_value(&mut self, e: &yaml::Entry, name: &str) {
        let key = e.key.as_str();
        if key.starts_with("LLMDBENCH_") {
            self.push(e.line, Severity::Error, format!(
                "{} is a bash-era variable: llm-d-benchmark 2026-03-30 and later merge dotted config paths{}",
                short(key),
                params::lookup(key)
                    .filter(|p| !p.keys.is_empty())
                    .map_or(String::new(), |p| format!("; use {}", p.keys.join(" and ")))
            ));
            return;
        }
        if key.split('.').any(str::is_empty) {
            self.push(
                e.line,
                Severity::Error,
                format!(
                    "config path {} has an empty part",
                    crate::error::excerpt(key, 60)
                ),
            );
            return;
        }
        if e.value.is_null() {
            self.push(e.line, Severity::Warning, format!("setup treatment {name} sets {} to nothing: llm-d-benchmark skips empty values, so the scenario's value stays", short(key)));
            return;
        }
        if let Some(p) = params::lookup(key) {
            match e.value.as_scalar() {
                Some(s) if !p.kind.accepts(&s.value) => self.push(e.line, Severity::Error, format!(
                    "setup treatment {name}: level {} of {} is not valid: {} takes {}",
                    crate::error::excerpt(&s.value, 60), key, p.name, p.kind.describe()
                )),
                Some(s) if p.kind.numeric() && !s.plain => self.push(e.line, Severity::Warning, format!(
                    "setup treatment {name}: {} is quoted ({}): the templates receive a string where a number belongs",
                    key, crate::error::excerpt(&s.value, 60)
                )),
                Some(_) => {}
                None => self.push(e.line, Severity::Error, format!("setup treatment {name}: {key} must be a single value")),
            }
        } else {
            let keys = params::PARAMETERS
                .iter()
                .flat_map(|p| p.keys.iter().copied());
            if let Some(close) = closest_key(key, keys) {
                self.push(
                    e.line,
                    Severity::Warning,
                    format!(
                        "config path {} is not one convert-guide knows; did you mean {close}?",
                        short(key)
                    ),
                );
            }
        }
    }

    fn constants(
        &mut self,
        e: &yaml::Entry,
        title: &str,
        section: Section,
        run_keys: Option<&HashSet<&str>>,
    ) {
        let Some(map) = e.value.as_map() else {
            if !e.value.is_null() {
                self.push(e.line, Severity::Error, format!("`{title}` must be a map of dotted paths to values; llm-d-benchmark ignores anything else"));
            }
            return;
        };
        for c in map {
            match section {
                Section::Setup => self.setup_value(c, "constants"),
                Section::Run => self.run_value(c, "constants", run_keys),
            }
        }
    }

    fn run(&mut self, e: &yaml::Entry, run_keys: Option<&HashSet<&str>>) -> Option<usize> {
        let Some(items) = e.value.as_seq() else {
            if !e.value.is_null() {
                self.push(e.line, Severity::Error, format!("`{}` must be a list of maps (`- name: t1` then `key: value`); llm-d-benchmark ignores anything else", e.key));
            }
            return Some(0);
        };
        let treatments = self.treatments(items, "run");
        let count = treatments.len();
        for (_, map, name) in treatments {
            for v in map.iter().filter(|v| v.key != "name") {
                self.run_value(v, &name, run_keys);
            }
        }
        Some(count)
    }

    fn run_value(&mut self, e: &yaml::Entry, name: &str, run_keys: Option<&HashSet<&str>>) {
        if e.value.as_scalar().is_none() {
            self.push(e.line, Severity::Error, format!("{name}: {} must be a single value: llm-d-benchmark writes the text of a list or map into the profile", short(&e.key)));
            return;
        }
        if let Some(maps) = &self.maps {
            if let Some((parent, _)) = e.key.rsplit_once('.')
                && !maps.contains(parent)
            {
                self.push(e.line, Severity::Error, format!("{name}: {} is not under a map of the experiment's workload profile: llm-d-benchmark sets nothing", short(&e.key)));
            }
            return;
        }
        if let Some(keys) = run_keys {
            let leaf = e.key.rsplit('.').next().unwrap_or(&e.key);
            if !keys.contains(leaf) {
                self.push(e.line, Severity::Error, format!("{name}: {} is not a key of the experiment's workload profile: nothing would change", short(&e.key)));
            }
        }
    }

    /// `design.total_*` against the treatments counted.
    fn totals(&mut self, design: &Node, setup: Option<usize>, run: Option<usize>) {
        let Some(map) = design.as_map() else {
            return;
        };
        let (s, r) = (setup.unwrap_or(0), run.unwrap_or(0));
        for (key, want) in [
            ("total_setup_treatments", s),
            ("total_run_treatments", r),
            ("total_matrix", s.max(1).saturating_mul(r.max(1))),
        ] {
            let Some(e) = map.iter().find(|e| e.key == key) else {
                continue;
            };
            if let Some(v) = e.value.as_str()
                && v.parse::<usize>().ok() != Some(want)
            {
                self.push(e.line, Severity::Warning, format!("design.{key} says {}, but the file has {want} (the design is description only)", short(v)));
            }
        }
    }
}

/// The one known key one edit away from `key`, if any.
fn closest_key<'k>(key: &str, keys: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    if key.len() > 200 {
        return None;
    }
    let close: Vec<&str> = keys
        .filter(|k| k.len().abs_diff(key.len()) <= 1 && one_edit(key, k))
        .collect();
    match close.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// `a` and `b` differ by at most one insertion, deletion or substitution (and differ).
fn one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    let p = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let s = a[p..]
        .iter()
        .rev()
        .zip(b[p..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    a.len().max(b.len()) - p - s <= 1 && a.len().abs_diff(b.len()) <= 1
}
