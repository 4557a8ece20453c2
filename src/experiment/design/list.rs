//! The treatment-list design: the user's own treatments, read from a file
//! (`--treatments FILE`) and checked against the factors before anything is written.
//! Problems are in the file, so they are [`Error::Invalid`] at `file:line` (exit 4).

use std::collections::{HashMap, HashSet};

use super::super::variation::{MAX_TREATMENTS, level_problem, short};
use super::super::{Chosen, Experiment, Factor, Section};
use crate::{Error, Result};

/// Treatments the user lists: one a line, `[name:] v1,v2,...`, values in the order the
/// factors were given (setup and run factors alike), `NA` where a factor does not apply;
/// blank lines and `#` comments are ignored.
///
/// Stored compactly (a file of many short rows is most of the input): the rows' names and
/// values live in one text, each row is a few offsets into it, so memory stays a small
/// multiple of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentList {
    /// The file as shown in messages.
    pub file: String,
    /// Every row's name and values, trimmed, values joined by `,`.
    text: String,
    rows: Vec<Row>,
}

/// One row: its line and where its name and values are in the list's text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    line: u32,
    name: (u32, u32),
    values: (u32, u32),
}

impl TreatmentList {
    pub fn parse(file: &str, text: &str) -> Result<TreatmentList> {
        let mut list = TreatmentList {
            file: file.to_string(),
            text: String::new(),
            rows: Vec::new(),
        };
        let offset = |s: &String| -> Result<u32> {
            u32::try_from(s.len()).map_err(|_| Error::Invalid(format!("{file}: too large")))
        };
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let at = |msg: String| Error::Invalid(format!("{file}:{line}: {msg}"));
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let (name, values) = match content.split_once(':') {
                Some((name, values)) => {
                    let name = name.trim();
                    let ok = !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                    if !ok {
                        return Err(at(format!(
                            "treatment name {} is not valid; use letters, digits, `_`, `-` and `.`",
                            crate::error::excerpt(name, 60)
                        )));
                    }
                    (Some(name), values)
                }
                None => (None, content),
            };
            let n0 = offset(&list.text)?;
            list.text.push_str(name.unwrap_or_default());
            let n1 = offset(&list.text)?;
            for (k, v) in values.split(',').enumerate() {
                let v = v.trim();
                if v.is_empty() {
                    return Err(at(format!(
                        "{} has an empty value; give one value per factor, NA where one does not apply",
                        crate::error::excerpt(content, 60)
                    )));
                }
                if v != "NA"
                    && let Some(why) = level_problem(v)
                {
                    return Err(at(format!("value {} {why}", crate::error::excerpt(v, 60))));
                }
                if k > 0 {
                    list.text.push(',');
                }
                list.text.push_str(v);
            }
            let v1 = offset(&list.text)?;
            list.rows.push(Row {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                name: (n0, n1),
                values: (n1, v1),
            });
        }
        if list.rows.is_empty() {
            return Err(Error::Invalid(format!(
                "{file}: no treatments; write one a line, `v1,v2,...` in the order of the factors"
            )));
        }
        Ok(list)
    }

    /// Number of treatments listed.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Never true: a list has at least one treatment.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn slice(&self, (a, b): (u32, u32)) -> &str {
        self.text.get(a as usize..b as usize).unwrap_or_default()
    }

    fn name(&self, r: &Row) -> Option<&str> {
        Some(self.slice(r.name)).filter(|n| !n.is_empty())
    }

    /// A row's values joined by `,` (trimmed).
    fn values_text(&self, r: &Row) -> &str {
        self.slice(r.values)
    }
}

/// Rows read so far: distinct setup and run parts, and which (setup, run) pair each row is.
#[derive(Default)]
struct Read<'t> {
    setup: Parts<'t>,
    run: Parts<'t>,
    /// (setup part, run part) -> line: a row repeats exactly when its pair does.
    combos: HashMap<(u32, u32), u32>,
}

fn pair(s: usize, r: usize) -> (u32, u32) {
    (
        u32::try_from(s).unwrap_or(u32::MAX),
        u32::try_from(r).unwrap_or(u32::MAX),
    )
}

impl Experiment {
    /// The treatments of `list`, split into the setup and run treatments e2e.sh crosses.
    pub(super) fn list(&mut self, list: &TreatmentList) -> Result<()> {
        let all: Vec<&Factor> = self
            .order
            .iter()
            .filter_map(|n| self.setup.iter().chain(&self.run).find(|f| f.name == *n))
            .collect();
        check_naming(list, !self.setup.is_empty() && !self.run.is_empty())?;
        let read = read_rows(list, &all)?;
        check_cross_product(&list.file, &all, &read)?;
        self.setup_treatments = to_chosen(read.setup, !self.setup.is_empty());
        self.run_treatments = to_chosen(read.run, !self.run.is_empty());
        Ok(())
    }
}

/// Every row named or none; names only when the rows set one section.
fn check_naming(list: &TreatmentList, both_sections: bool) -> Result<()> {
    let file = &list.file;
    let named = list.rows.iter().filter(|r| list.name(r).is_some()).count();
    if named != 0 && named != list.rows.len() {
        return Err(Error::Invalid(format!(
            "{file}: name every treatment (`name: v1,v2`) or none"
        )));
    }
    if both_sections && named != 0 {
        return Err(Error::Invalid(format!(
            "{file}: treatment names apply to one section, and these treatments set both setup and run factors; drop the names"
        )));
    }
    Ok(())
}

/// Each row checked (one known level or NA per factor, a name used once, not repeated) and
/// split into its setup and run parts. Hash maps throughout: one pass, linear in the list.
fn read_rows<'t>(list: &'t TreatmentList, all: &[&Factor]) -> Result<Read<'t>> {
    let names: Vec<&str> = all.iter().map(|f| f.requested_as.as_str()).collect();
    let level_sets: Vec<HashSet<&str>> = all
        .iter()
        .map(|f| f.levels.iter().map(String::as_str).collect())
        .collect();
    let mut seen_names: HashMap<&str, u32> = HashMap::new();
    let mut read = Read::default();
    for row in &list.rows {
        let at = |msg: String| Error::Invalid(format!("{}:{}: {msg}", list.file, row.line));
        let values: Vec<&str> = list.values_text(row).split(',').collect();
        check_values(&values, all, &names, &level_sets).map_err(at)?;
        let name = list.name(row);
        if let Some(name) = name
            && let Some(first) = seen_names.insert(name, row.line)
        {
            return Err(at(format!(
                "the name {name} is already used on line {first}"
            )));
        }
        let part = |section: Section| -> Vec<&str> {
            values
                .iter()
                .zip(all)
                .filter(|(_, f)| f.section == section)
                .map(|(v, _)| *v)
                .collect()
        };
        let s = read.setup.add(name, part(Section::Setup));
        let r = read.run.add(name, part(Section::Run));
        for (p, what) in [(&read.setup, "setup"), (&read.run, "run")] {
            if p.order.len() > MAX_TREATMENTS {
                return Err(at(format!(
                    "more than {MAX_TREATMENTS} distinct {what} treatments; at most {MAX_TREATMENTS} are allowed"
                )));
            }
        }
        if let Some(first) = read.combos.insert(pair(s, r), row.line) {
            return Err(at(format!("repeats the treatment of line {first}")));
        }
    }
    Ok(read)
}

/// One value per factor, each among the factor's levels or NA; the message without a place.
fn check_values(
    values: &[&str],
    all: &[&Factor],
    names: &[&str],
    level_sets: &[HashSet<&str>],
) -> Result<(), String> {
    if values.len() != all.len() {
        return Err(format!(
            "{} value{} for {} factor{} ({}): give one value per factor, in that order, NA where one does not apply",
            values.len(),
            if values.len() == 1 { "" } else { "s" },
            all.len(),
            if all.len() == 1 { "" } else { "s" },
            short(&names.join(", "))
        ));
    }
    for ((v, f), set) in values.iter().zip(all).zip(level_sets) {
        if *v != "NA" && !set.contains(v) {
            return Err(format!(
                "value {} of {} is not among its levels {}; add it to the levels (`varying {} over ...`)",
                short(v),
                f.requested_as,
                short(&f.levels.join(",")),
                f.requested_as
            ));
        }
    }
    Ok(())
}

/// e2e.sh crosses the sections: the list must be that cross product.
fn check_cross_product(file: &str, all: &[&Factor], read: &Read) -> Result<()> {
    let (setup, run, combos) = (&read.setup, &read.run, &read.combos);
    let product = setup.order.len() * run.order.len();
    if combos.len() == product {
        return Ok(());
    }
    let missing: Vec<String> = (0..setup.order.len())
        .flat_map(|s| (0..run.order.len()).map(move |r| (s, r)))
        .filter(|(s, r)| !combos.contains_key(&pair(*s, *r)))
        .take(5)
        .map(|(s, r)| {
            // Show the combination in the user's factor order.
            let (mut si, mut ri) = (setup.order[s].1.iter(), run.order[r].1.iter());
            let shown = all
                .iter()
                .map(|f| match f.section {
                    Section::Setup => si.next().copied().unwrap_or_default(),
                    Section::Run => ri.next().copied().unwrap_or_default(),
                })
                .collect::<Vec<_>>()
                .join(",");
            short(&shown)
        })
        .collect();
    Err(Error::Invalid(format!(
        "{file}: e2e.sh runs every run treatment under every setup treatment, so these {} treatments would run as {} ({} setup x {} run); missing: {}{}. List every combination, or vary only setup or only run factors",
        combos.len(),
        product,
        setup.order.len(),
        run.order.len(),
        missing.join(" "),
        if product - combos.len() > missing.len() {
            " ..."
        } else {
            ""
        }
    )))
}

fn to_chosen(parts: Parts, has: bool) -> Vec<Chosen> {
    if !has {
        return Vec::new();
    }
    parts
        .order
        .into_iter()
        .map(|(name, values)| Chosen {
            name: name.map(str::to_string),
            values: values.into_iter().map(str::to_string).collect(),
            comment: None,
        })
        .collect()
}

/// Distinct value tuples of one section, in first-seen order, each with the name of the
/// first row that had it.
#[derive(Default)]
struct Parts<'t> {
    index: HashMap<Vec<&'t str>, usize>,
    order: Vec<(Option<&'t str>, Vec<&'t str>)>,
}

impl<'t> Parts<'t> {
    /// The index of `values`, added if new.
    fn add(&mut self, name: Option<&'t str>, values: Vec<&'t str>) -> usize {
        if let Some(i) = self.index.get(&values) {
            return *i;
        }
        let i = self.order.len();
        self.index.insert(values.clone(), i);
        self.order.push((name, values));
        i
    }
}
