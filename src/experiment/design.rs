//! Designs: which combinations of the factors' levels an experiment runs.
//!
//! - **full factorial** (default): every combination, first factor slowest;
//! - **one factor at a time**: a center treatment with every factor at the guide's own value
//!   (the scenario's export, else the llm-d-benchmark default; for run factors the profile's
//!   value), then each other level of each factor with the rest at the center. Cheap when
//!   stand-ups are the cost: 1 + sum(levels - 1) instead of the product;
//! - **treatment list**: the combinations the user lists in a file, one a line.
//!
//! e2e.sh runs every run treatment under every setup treatment, so a design chooses the
//! treatments of each section on its own.

use std::collections::BTreeMap;

use super::{Chosen, Experiment, Factor, Section};
use crate::bench::catalog::Catalog;
use crate::bench::defaults::{DefaultValue, Defaults};
use crate::model::scenario::{Scenario, Value};
use crate::{Error, Result};

mod list;

pub use list::TreatmentList;

pub const FULL: &str = "full factorial";
pub const OFAT: &str = "one factor at a time";
pub const LIST: &str = "treatment list";

/// How treatments are chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Design {
    #[default]
    Full,
    /// One factor at a time around the guide's values.
    Ofat,
    /// The user's own treatments.
    List(TreatmentList),
}

impl Design {
    /// The design named on the command line (`full`, `ofat`, `list`); `list` needs the
    /// treatments, and treatments imply `list`.
    pub fn from_args(name: Option<&str>, treatments: Option<TreatmentList>) -> Result<Design> {
        match (
            name.map(|n| n.trim().to_ascii_lowercase()).as_deref(),
            treatments,
        ) {
            (None | Some("list"), Some(list)) => Ok(Design::List(list)),
            (Some("list"), None) => Err(Error::request(
                "design",
                "--design list needs --treatments FILE: the treatments to run, one a line",
            )),
            (Some(other), Some(_)) => Err(Error::request(
                "design",
                format!(
                    "--treatments gives the treatments, so the design is `list`, not {other:?}; drop --design or use --design list"
                ),
            )),
            (None | Some("full" | "full-factorial" | "factorial"), None) => Ok(Design::Full),
            (Some("ofat" | "one-factor-at-a-time"), None) => Ok(Design::Ofat),
            (Some(other), None) => Err(Error::request(
                "design",
                format!(
                    "unknown design {other:?}; valid: full (every combination), ofat (one factor at a time around the guide's values), list (with --treatments FILE)"
                ),
            )),
        }
    }
}

/// Where a factor's value without the experiment comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CenterSource {
    /// The guide sets it (the converted scenario exports it, or it equals the default).
    Guide,
    /// The guide does not set it: llm-d-benchmark's default.
    Default,
    /// A run factor: the value in the workload profile's template.
    Profile,
}

/// The value a factor has when the experiment does not set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Center {
    pub value: String,
    pub source: CenterSource,
}

impl Center {
    /// The comment on the factor's levels line: `guide value: 2`.
    pub fn comment(&self, levels: &[String]) -> String {
        let what = match self.source {
            CenterSource::Guide => "guide value",
            CenterSource::Default => "llm-d-benchmark default",
            CenterSource::Profile => "profile value",
        };
        let not = if levels.contains(&self.value) {
            ""
        } else {
            " (not a level)"
        };
        format!("{what}: {}{not}", self.value)
    }
}

/// The value each factor has without the experiment: for setup factors the converted
/// scenario's export (or the guide's value equal to the default), else the default; for run
/// factors the profile template's value when the catalog knows it (read from a checkout).
/// Call before swept variables are forced into the scenario.
pub fn centers(
    exp: &Experiment,
    scenario: &Scenario,
    defaults: &Defaults,
    catalog: &Catalog,
    harness: &str,
    profile: &str,
) -> BTreeMap<String, Center> {
    let mut out = BTreeMap::new();
    for f in &exp.setup {
        let guide = match scenario.export(&f.name).map(|e| &e.value) {
            Some(Value::Text(v)) => Some(v.clone()),
            Some(_) => None,
            None => scenario
                .defaulted
                .iter()
                .find(|(v, _, _)| *v == f.name)
                .map(|(_, value, _)| value.clone()),
        };
        let center = match (guide, defaults.get(&f.name)) {
            (Some(v), _) => Some(Center {
                value: v,
                source: CenterSource::Guide,
            }),
            (None, Some(DefaultValue::Value(v))) => Some(Center {
                value: v.clone(),
                source: CenterSource::Default,
            }),
            _ => None,
        };
        if let Some(c) = center {
            out.insert(f.name.clone(), c);
        }
    }
    for f in &exp.run {
        if let Some(v) = catalog.workload_value(harness, profile, &f.name) {
            out.insert(
                f.name.clone(),
                Center {
                    value: v.to_string(),
                    source: CenterSource::Profile,
                },
            );
        }
    }
    out
}

/// Every combination of the factors' levels, first factor slowest; empty without factors.
pub(super) fn full_factorial(factors: &[Factor]) -> Vec<Chosen> {
    if factors.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for f in factors {
        out = out
            .iter()
            .flat_map(|prefix| {
                f.levels.iter().map(move |l| {
                    let mut t = prefix.clone();
                    t.push(l.clone());
                    t
                })
            })
            .collect();
    }
    out.into_iter()
        .map(|values| Chosen {
            name: None,
            values,
            comment: None,
        })
        .collect()
}

impl Experiment {
    /// Choose the treatments with `design`, marking levels with `centers`. Returns the
    /// experiment and what the user should be told (a center added to the levels, ...).
    pub fn apply(
        mut self,
        design: &Design,
        centers: BTreeMap<String, Center>,
    ) -> Result<(Experiment, Vec<String>)> {
        self.centers = centers;
        let mut notes = Vec::new();
        match design {
            Design::Full => {}
            Design::Ofat => {
                self.design = OFAT;
                for section in [Section::Setup, Section::Run] {
                    self.ofat(section, &mut notes);
                }
            }
            Design::List(list) => {
                self.design = LIST;
                self.list(list)?;
            }
        }
        Ok((self, notes))
    }

    fn ofat(&mut self, section: Section, notes: &mut Vec<String>) {
        let mut factors = self.factors(section).to_vec();
        if factors.is_empty() {
            return;
        }
        let mut center = Vec::new();
        for f in &mut factors {
            let value = match self.centers.get(&f.name) {
                Some(c) => {
                    if !f.levels.contains(&c.value) {
                        let at = insert_position(&f.levels, &c.value);
                        f.levels.insert(at, c.value.clone());
                        let what = match c.source {
                            CenterSource::Guide => "the guide's value",
                            CenterSource::Default => "the llm-d-benchmark default",
                            CenterSource::Profile => "the profile's value",
                        };
                        notes.push(format!(
                            "one factor at a time: {what} {} of {} is not among the levels given; added as the center",
                            c.value, f.requested_as
                        ));
                    }
                    c.value.clone()
                }
                None => {
                    let first = f.levels.first().cloned().unwrap_or_default();
                    notes.push(format!(
                        "one factor at a time: no value of {} is known without the experiment; its first level {first} is the center",
                        f.requested_as
                    ));
                    first
                }
            };
            center.push(value);
        }
        let mut chosen = vec![Chosen {
            name: None,
            values: center.clone(),
            comment: Some("center".into()),
        }];
        for (i, f) in factors.iter().enumerate() {
            for l in f.levels.iter().filter(|l| **l != center[i]) {
                let mut values = center.clone();
                values[i] = l.clone();
                chosen.push(Chosen {
                    name: None,
                    values,
                    comment: Some(format!("{}={l}", f.requested_as)),
                });
            }
        }
        match section {
            Section::Setup => {
                self.setup = factors;
                self.setup_treatments = chosen;
            }
            Section::Run => {
                self.run = factors;
                self.run_treatments = chosen;
            }
        }
    }
}

/// Where a new level goes: its sorted place when the levels are numbers in order, else first.
fn insert_position(levels: &[String], value: &str) -> usize {
    let nums: Option<Vec<f64>> = levels.iter().map(|l| l.parse::<f64>().ok()).collect();
    let (Some(nums), Ok(v)) = (nums, value.parse::<f64>()) else {
        return 0;
    };
    let ascending = nums.windows(2).all(|w| w[0] <= w[1]);
    let descending = nums.windows(2).all(|w| w[0] >= w[1]);
    if ascending {
        nums.iter().position(|n| *n > v).unwrap_or(nums.len())
    } else if descending {
        nums.iter().position(|n| *n < v).unwrap_or(nums.len())
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Section;

    fn factor(name: &str, section: Section, levels: &[&str]) -> Factor {
        Factor {
            name: name.into(),
            section,
            levels: levels.iter().map(|s| s.to_string()).collect(),
            requested_as: name.to_ascii_lowercase(),
        }
    }

    fn center(v: &str, source: CenterSource) -> Center {
        Center {
            value: v.into(),
            source,
        }
    }

    fn rows(exp: &Experiment, s: Section) -> Vec<String> {
        exp.chosen(s)
            .iter()
            .map(|t| {
                let mut r = t.values.join(",");
                if let Some(n) = &t.name {
                    r = format!("{n}: {r}");
                }
                r
            })
            .collect()
    }

    fn two_by_three() -> Experiment {
        Experiment::from_factors(vec![
            factor("A", Section::Setup, &["1", "2", "4"]),
            factor("q", Section::Run, &["100", "300"]),
            factor("B", Section::Setup, &["0.80", "0.90"]),
        ])
        .unwrap()
    }

    #[test]
    fn design_names() {
        assert_eq!(Design::from_args(None, None).unwrap(), Design::Full);
        assert_eq!(Design::from_args(Some("full"), None).unwrap(), Design::Full);
        assert_eq!(Design::from_args(Some("OFAT"), None).unwrap(), Design::Ofat);
        let list = TreatmentList::parse("t", "1\n").unwrap();
        assert!(matches!(
            Design::from_args(None, Some(list.clone())),
            Ok(Design::List(_))
        ));
        assert!(matches!(
            Design::from_args(Some("list"), Some(list.clone())),
            Ok(Design::List(_))
        ));
        for (name, t, want) in [
            ("list", None, "needs --treatments"),
            ("ofat", Some(list), "not \"ofat\""),
            ("random", None, "unknown design \"random\""),
        ] {
            let err = Design::from_args(Some(name), t).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn full_factorial_is_the_default() {
        let exp = two_by_three();
        assert_eq!(exp.design, FULL);
        assert_eq!(
            rows(&exp, Section::Setup),
            ["1,0.80", "1,0.90", "2,0.80", "2,0.90", "4,0.80", "4,0.90"]
        );
        assert_eq!(rows(&exp, Section::Run), ["100", "300"]);
        assert_eq!(exp.treatment_count(), 12);
        assert_eq!(
            exp.describe_count(),
            "12 treatments (6 setup x 2 run), full factorial"
        );
    }

    #[test]
    fn ofat_moves_one_factor_from_the_guide_values() {
        let centers = BTreeMap::from([
            ("A".to_string(), center("2", CenterSource::Guide)),
            ("B".to_string(), center("0.85", CenterSource::Default)),
            ("q".to_string(), center("300", CenterSource::Profile)),
        ]);
        let (exp, notes) = two_by_three().apply(&Design::Ofat, centers).unwrap();
        assert_eq!(exp.design, OFAT);
        // 0.85 was not a level: added in its sorted place.
        assert_eq!(exp.setup[1].levels, ["0.80", "0.85", "0.90"]);
        assert_eq!(
            rows(&exp, Section::Setup),
            ["2,0.85", "1,0.85", "4,0.85", "2,0.80", "2,0.90"]
        );
        let comments: Vec<Option<&str>> = exp
            .chosen(Section::Setup)
            .iter()
            .map(|t| t.comment.as_deref())
            .collect();
        assert_eq!(
            comments,
            [
                Some("center"),
                Some("a=1"),
                Some("a=4"),
                Some("b=0.80"),
                Some("b=0.90")
            ]
        );
        assert_eq!(rows(&exp, Section::Run), ["300", "100"]);
        assert_eq!(exp.treatment_count(), 10);
        assert_eq!(
            notes,
            [
                "one factor at a time: the llm-d-benchmark default 0.85 of b is not among the levels given; added as the center"
            ]
        );
        let text = exp.render();
        assert!(
            text.contains("    B: \"0.80,0.85,0.90\"  # llm-d-benchmark default: 0.85\n"),
            "{text}"
        );
        assert!(text.contains("    - \"2,0.85\"  # center\n"), "{text}");
        assert!(text.contains("    - \"1,0.85\"  # a=1\n"), "{text}");
    }

    #[test]
    fn ofat_without_a_known_value_centers_on_the_first_level() {
        let (exp, notes) = two_by_three()
            .apply(&Design::Ofat, BTreeMap::new())
            .unwrap();
        assert_eq!(
            rows(&exp, Section::Setup),
            ["1,0.80", "2,0.80", "4,0.80", "1,0.90"]
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes[0].contains("its first level 1 is the center"),
            "{notes:?}"
        );
    }

    #[test]
    fn insert_positions() {
        let l = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(insert_position(&l(&["1", "4", "8"]), "2"), 1);
        assert_eq!(insert_position(&l(&["1", "4", "8"]), "16"), 3);
        assert_eq!(insert_position(&l(&["8", "4", "1"]), "2"), 2);
        assert_eq!(insert_position(&l(&["a", "b"]), "c"), 0);
        assert_eq!(insert_position(&l(&["4", "1", "8"]), "2"), 0);
    }

    #[test]
    fn treatment_list_one_section_keeps_names() {
        let exp = Experiment::from_factors(vec![
            factor("A", Section::Setup, &["1", "2", "4"]),
            factor("B", Section::Setup, &["x", "y"]),
        ])
        .unwrap();
        let list =
            TreatmentList::parse("t.txt", "# mine\nsmall: 1,x\n\nbig: 4, NA  # no B\n").unwrap();
        let (exp, _) = exp.apply(&Design::List(list), BTreeMap::new()).unwrap();
        assert_eq!(exp.design, LIST);
        assert_eq!(rows(&exp, Section::Setup), ["small: 1,x", "big: 4,NA"]);
        let text = exp.render();
        assert!(
            text.contains("    small: \"1,x\"\n    big: \"4,NA\"\n"),
            "{text}"
        );
    }

    #[test]
    fn treatment_list_across_sections_must_be_a_cross_product() {
        let list =
            TreatmentList::parse("t", "1,100,0.80\n2,100,0.80\n1,300,0.80\n2,300,0.80\n").unwrap();
        let (exp, _) = two_by_three()
            .apply(&Design::List(list), BTreeMap::new())
            .unwrap();
        assert_eq!(rows(&exp, Section::Setup), ["1,0.80", "2,0.80"]);
        assert_eq!(rows(&exp, Section::Run), ["100", "300"]);
        assert_eq!(exp.treatment_count(), 4);

        let list = TreatmentList::parse("t", "1,100,0.80\n2,300,0.80\n").unwrap();
        let err = two_by_three()
            .apply(&Design::List(list), BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("these 2 treatments would run as 4 (2 setup x 2 run); missing: 1,300,0.80 2,100,0.80."),
            "{err}"
        );
    }

    #[test]
    fn treatment_list_errors_name_file_and_line() {
        let cases = [
            ("1,100\n", "t:1: 2 values for 3 factors (a, q, b)"),
            (
                "3,100,0.80\n",
                "t:1: value 3 of a is not among its levels 1,2,4",
            ),
            (
                "1,100,0.80\n1,100,0.80\n",
                "t:2: repeats the treatment of line 1",
            ),
            ("x: 1,100,0.80\n", "t: treatment names apply to one section"),
            ("x: 1,100,0.80\n2,100,0.80\n", "t: name every treatment"),
        ];
        for (text, want) in cases {
            let list = TreatmentList::parse("t", text).unwrap();
            let err = two_by_three()
                .apply(&Design::List(list), BTreeMap::new())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
        for (text, want) in [
            ("", "t: no treatments"),
            ("1,,2\n", "t:1: \"1,,2\" has an empty value"),
            ("a b: 1\n", "t:1: treatment name \"a b\" is not valid"),
            ("1,$(x)\n", "t:1: value \"$(x)\" contains '$'"),
        ] {
            let err = TreatmentList::parse("t", text).unwrap_err().to_string();
            assert!(err.starts_with(want), "{text:?}: {err}");
        }
    }
}
