//! Experiments: variations become setup/run factors, levels and treatments.
//!
//! A [`Variation`] is what the user asked for (`decode_replicas=1..4`, `varying question_len
//! over 100,300`). [`resolve`] turns it into a [`Factor`]: a setup factor is an `LLMDBENCH_*`
//! variable that e2e.sh exports per stand-up; a run factor is a key of the workload profile.
//! A [`Design`] chooses the treatments (full factorial, one factor at a time around the
//! guide's values, or a list the user gives). [`Experiment::render`] writes the file e2e.sh
//! reads with `--experiments`, through the file [`model`]; [`check`] validates any
//! experiment file, generated or hand-written.

pub mod check;
pub mod design;
pub mod grammar;
pub mod model;
pub mod params;
pub mod scenario_text;
pub mod v2;
pub mod variation;

use std::collections::BTreeMap;

pub use design::{Center, CenterSource, Design, TreatmentList};
pub use variation::{MAX_LEVELS, MAX_TREATMENTS, Variation};

use crate::bench::catalog::Catalog;
use crate::bench::defaults::Defaults;
use crate::{Error, Result};
use model::{Block, ExperimentFile, Levels, Named, Treatment};

/// Which part of the experiment a factor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Stand-up factors: `LLMDBENCH_*` variables, one deployment per treatment.
    Setup,
    /// Workload factors: keys of the workload profile, one run per treatment.
    Run,
}

/// A resolved variation: the variable or workload key it sets, and its levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub name: String,
    pub section: Section,
    pub levels: Vec<String>,
    /// The parameter as the user wrote it, for messages.
    pub requested_as: String,
}

/// The LLMDBENCH variable of a friendly name (`decode-replicas` and `Decode_Replicas` too).
pub fn friendly_variable(name: &str) -> Option<&'static str> {
    let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
    params::PARAMETERS
        .iter()
        .find(|p| p.name == wanted)
        .map(|p| p.variable)
}

/// Resolve a variation. In order: a friendly name -> setup factor on its variable; a raw
/// `LLMDBENCH_*` name -> setup factor, if `is_known_var` accepts it; a key of the workload
/// profile (exact, else with `-` and `_` taken as equal) -> run factor. Anything else is a
/// usage error listing what is valid.
pub fn resolve(
    v: &Variation,
    is_known_var: &dyn Fn(&str) -> bool,
    workload_keys: &[String],
) -> Result<Factor> {
    let p = v.parameter.trim();
    let factor = |name: &str, section| Factor {
        name: name.to_string(),
        section,
        levels: v.levels.clone(),
        requested_as: v.parameter.clone(),
    };
    if let Some(var) = friendly_variable(p) {
        return Ok(factor(var, Section::Setup));
    }
    if p.starts_with("LLMDBENCH_") {
        if is_known_var(p) {
            return Ok(factor(p, Section::Setup));
        }
        return Err(Error::request(
            "variation",
            format!("{p} is not a variable of setup/env.sh; nothing would read it"),
        ));
    }
    if let Some(key) = workload_keys.iter().find(|k| k.as_str() == p) {
        return Ok(factor(key, Section::Run));
    }
    let loose = |s: &str| s.replace('-', "_");
    let matches: Vec<&String> = workload_keys
        .iter()
        .filter(|k| loose(k) == loose(p))
        .collect();
    if let [key] = matches.as_slice() {
        return Ok(factor(key, Section::Run));
    }
    let friendly: Vec<&str> = params::PARAMETERS.iter().map(|p| p.name).collect();
    let keys = if workload_keys.is_empty() {
        "(none)".to_string()
    } else {
        workload_keys.join(", ")
    };
    Err(Error::request(
        "variation",
        format!(
            "unknown parameter {:?}; valid: a setup name ({}), an LLMDBENCH_* variable of setup/env.sh, or a workload key of the profile ({keys})",
            v.parameter,
            friendly.join(", ")
        ),
    ))
}

/// One treatment of a section: a value per factor (in factor order), maybe a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub name: Option<String>,
    pub values: Vec<String>,
    /// Written after the treatment (`# decode_replicas=4` in a one-factor-at-a-time design).
    pub comment: Option<String>,
}

/// Setup and run factors and the treatments a [`Design`] chose for each section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Experiment {
    pub setup: Vec<Factor>,
    pub run: Vec<Factor>,
    /// Factor names in the order the user gave them (a treatment list follows it).
    pub order: Vec<String>,
    /// Which design chose the treatments: `full factorial`, `one factor at a time`, `list`.
    pub design: &'static str,
    setup_treatments: Vec<Chosen>,
    run_treatments: Vec<Chosen>,
    /// The value each factor has without the experiment, marked in the file.
    pub centers: BTreeMap<String, Center>,
}

impl Experiment {
    /// Sort factors into their sections, keeping their order, and choose the full factorial.
    /// The same variable twice, or a section with more than [`MAX_TREATMENTS`] treatments,
    /// is a usage error.
    pub fn from_factors(factors: Vec<Factor>) -> Result<Experiment> {
        let mut exp = Experiment {
            design: design::FULL,
            ..Experiment::default()
        };
        for f in factors {
            let all = exp.setup.iter().chain(exp.run.iter());
            if let Some(prev) = all.clone().find(|g| g.name == f.name) {
                let how = if prev.requested_as == f.requested_as {
                    format!("{:?} is varied twice", f.requested_as)
                } else {
                    format!(
                        "{:?} and {:?} both vary {}",
                        prev.requested_as, f.requested_as, f.name
                    )
                };
                return Err(Error::request(
                    "variation",
                    format!("{how}; vary each parameter once, with all its values"),
                ));
            }
            if f.levels.is_empty() {
                return Err(Error::request(
                    "variation",
                    format!("{:?} has no values; give at least one", f.requested_as),
                ));
            }
            exp.order.push(f.name.clone());
            match f.section {
                Section::Setup => exp.setup.push(f),
                Section::Run => exp.run.push(f),
            }
        }
        for (factors, what) in [(&exp.setup, "setup"), (&exp.run, "run")] {
            let n = count(factors);
            if n > MAX_TREATMENTS {
                return Err(Error::request(
                    "variation",
                    format!(
                        "the {what} factors combine into {} treatments; at most {MAX_TREATMENTS} are allowed",
                        if n == usize::MAX {
                            "too many".to_string()
                        } else {
                            n.to_string()
                        }
                    ),
                ));
            }
        }
        exp.setup_treatments = design::full_factorial(&exp.setup);
        exp.run_treatments = design::full_factorial(&exp.run);
        Ok(exp)
    }

    /// No factor at all.
    pub fn is_empty(&self) -> bool {
        self.setup.is_empty() && self.run.is_empty()
    }

    pub fn factors(&self, section: Section) -> &[Factor] {
        match section {
            Section::Setup => &self.setup,
            Section::Run => &self.run,
        }
    }

    /// The chosen treatments of a section, with names and comments.
    pub fn chosen(&self, section: Section) -> &[Chosen] {
        match section {
            Section::Setup => &self.setup_treatments,
            Section::Run => &self.run_treatments,
        }
    }

    /// The values of each chosen treatment of a section, in factor order (for the full
    /// factorial: the cartesian product, first factor slowest). Empty without factors.
    pub fn treatments(&self, section: Section) -> Vec<Vec<String>> {
        self.chosen(section)
            .iter()
            .map(|t| t.values.clone())
            .collect()
    }

    /// Setup treatments x run treatments (e2e.sh runs every run treatment for every setup
    /// treatment); a section without factors counts 1.
    pub fn treatment_count(&self) -> usize {
        let n = |s: Section| {
            if self.factors(s).is_empty() {
                1
            } else {
                self.chosen(s).len()
            }
        };
        n(Section::Setup).saturating_mul(n(Section::Run))
    }

    /// `18 treatments (6 setup x 3 run), full factorial`.
    pub fn describe_count(&self) -> String {
        let n = |s: Section| {
            if self.factors(s).is_empty() {
                "no".to_string()
            } else {
                self.chosen(s).len().to_string()
            }
        };
        format!(
            "{} treatments ({} setup x {} run), {}",
            self.treatment_count(),
            n(Section::Setup),
            n(Section::Run),
            self.design
        )
    }

    /// The experiment as the file model: a section per non-empty factor list, levels marked
    /// with the value the factor has without the experiment.
    pub fn to_file(&self) -> ExperimentFile {
        let mut file = ExperimentFile::default();
        for section in [Section::Setup, Section::Run] {
            let factors = self.factors(section);
            if factors.is_empty() {
                continue;
            }
            let mut b = Block::new(section);
            if section == Section::Run {
                b.comments
                    .push("Harness and workload profile are defined on scenarios/guides".into());
            }
            b.factors = factors
                .iter()
                .map(|f| Named {
                    name: f.name.clone(),
                    line: 0,
                })
                .collect();
            b.levels = factors
                .iter()
                .map(|f| Levels {
                    factor: f.name.clone(),
                    raw: f.levels.join(","),
                    plain: false,
                    line: 0,
                    comment: self.centers.get(&f.name).map(|c| c.comment(&f.levels)),
                })
                .collect();
            b.treatments_line = Some(0);
            b.treatments = self
                .chosen(section)
                .iter()
                .map(|t| Treatment {
                    name: t.name.clone(),
                    raw: t.values.join(","),
                    plain: false,
                    line: 0,
                    comment: t.comment.clone(),
                })
                .collect();
            file.blocks.push(b);
        }
        file
    }

    /// The experiment file e2e.sh reads, in the layout of llm-d-benchmark's experiments:
    /// `setup:` then `run:` (a section without factors is left out), each with `factors:`,
    /// `levels:` and `treatments:`. Values are double-quoted, so YAML 1.1 readers see
    /// strings. Empty text for an empty experiment.
    pub fn render(&self) -> String {
        self.to_file().render()
    }
}

/// Treatments of a full factorial of a section; 1 without factors, saturating.
fn count(factors: &[Factor]) -> usize {
    factors
        .iter()
        .fold(1usize, |n, f| n.saturating_mul(f.levels.len()))
}

/// Check a generated experiment against the generated scenario it runs with. Errors refuse
/// the conversion (a generated experiment always passes the validator); the warnings are
/// returned for the user.
pub fn check_generated(
    name: &str,
    experiment_text: &str,
    scenario_text: &str,
    defaults: &Defaults,
    catalog: &Catalog,
) -> Result<Vec<String>> {
    let exp_file = format!("experiments/{name}.yaml");
    let scenario_file = format!("scenarios/guides/{name}.sh");
    let ctx = check::Context {
        defaults,
        catalog,
        scenario: Some(scenario_text::ScenarioText::new(
            &scenario_file,
            scenario_text,
        )),
    };
    check::check(&exp_file, experiment_text, &ctx).generated()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(v: &str) -> bool {
        v == "LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQS_TEST"
            || params::PARAMETERS.iter().any(|p| p.variable == v)
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    fn example() -> Experiment {
        let wk = keys(&["num_groups", "question_len", "output_len"]);
        let a = resolve(
            &Variation::parse_flag("decode_replicas=1..4").unwrap(),
            &known,
            &wk,
        )
        .unwrap();
        let b = resolve(
            &Variation::parse_flag("question_len=100,300").unwrap(),
            &known,
            &wk,
        )
        .unwrap();
        Experiment::from_factors(vec![a, b]).unwrap()
    }

    #[test]
    fn resolve_sections() {
        let wk = keys(&["max-concurrency", "num-prompts", "model"]);
        let r = |spec: &str| resolve(&Variation::parse_flag(spec).unwrap(), &known, &wk);
        let f = r("decode-replicas=1,2").unwrap();
        assert_eq!(
            f,
            Factor {
                name: "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS".into(),
                section: Section::Setup,
                levels: keys(&["1", "2"]),
                requested_as: "decode-replicas".into(),
            }
        );
        assert_eq!(r("model=a,b").unwrap().name, "LLMDBENCH_DEPLOY_MODEL_LIST");
        assert_eq!(
            r("LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQS_TEST=1")
                .unwrap()
                .section,
            Section::Setup
        );
        let run = r("max-concurrency=1,8").unwrap();
        assert_eq!(
            (run.name.as_str(), run.section),
            ("max-concurrency", Section::Run)
        );
        assert_eq!(r("num_prompts=10").unwrap().name, "num-prompts");
        let err = r("LLMDBENCH_MADE_UP=1").unwrap_err().to_string();
        assert_eq!(
            err,
            "LLMDBENCH_MADE_UP is not a variable of setup/env.sh; nothing would read it"
        );
        let err = r("question_len=1").unwrap_err();
        assert!(matches!(err, Error::Request(_)));
        let msg = err.to_string();
        assert!(
            msg.starts_with(r#"unknown parameter "question_len"; valid:"#),
            "{msg}"
        );
        assert!(
            msg.contains("decode_replicas") && msg.contains("max-concurrency, num-prompts"),
            "{msg}"
        );
    }

    #[test]
    fn friendly_names_are_real_variables() {
        let tsv =
            std::fs::read_to_string("../shared/corpus/llm-d-benchmark/2026-02-05/env-defaults.tsv")
                .unwrap();
        for p in params::PARAMETERS {
            let (name, var) = (&p.name, &p.variable);
            assert!(
                tsv.lines().any(|l| l.split('\t').next() == Some(var)),
                "{name} -> {var} not in env-defaults"
            );
            assert_eq!(friendly_variable(&name.replace('_', "-")), Some(*var));
        }
    }

    #[test]
    fn duplicate_variable_is_refused() {
        let wk = keys(&[]);
        let a = resolve(
            &Variation::parse_flag("decode_replicas=1,2").unwrap(),
            &known,
            &wk,
        )
        .unwrap();
        let b = resolve(
            &Variation::parse_flag("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS=3").unwrap(),
            &known,
            &wk,
        )
        .unwrap();
        let err = Experiment::from_factors(vec![a.clone(), b])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                r#""decode_replicas" and "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS" both vary"#
            ),
            "{err}"
        );
        let err = Experiment::from_factors(vec![a.clone(), a])
            .unwrap_err()
            .to_string();
        assert!(err.contains("varied twice"), "{err}");
    }

    #[test]
    fn too_many_treatments_is_refused() {
        let f = |n: &str| Factor {
            name: n.into(),
            section: Section::Run,
            levels: (0..101).map(|i| i.to_string()).collect(),
            requested_as: n.into(),
        };
        let err = Experiment::from_factors(vec![f("a"), f("b")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("10201 treatments"), "{err}");
    }

    #[test]
    fn treatments_order_and_count() {
        let f = |n: &str, s, l: &[&str]| Factor {
            name: n.into(),
            section: s,
            levels: keys(l),
            requested_as: n.into(),
        };
        let exp = Experiment::from_factors(vec![
            f("A", Section::Setup, &["1", "2"]),
            f("x", Section::Run, &["p", "q", "r"]),
            f("B", Section::Setup, &["a", "b", "c"]),
        ])
        .unwrap();
        let t: Vec<String> = exp
            .treatments(Section::Setup)
            .iter()
            .map(|t| t.join(","))
            .collect();
        assert_eq!(t, ["1,a", "1,b", "1,c", "2,a", "2,b", "2,c"]);
        assert_eq!(exp.treatments(Section::Run).len(), 3);
        assert_eq!(exp.treatment_count(), 18);
        let only_run = Experiment::from_factors(vec![f("x", Section::Run, &["p", "q"])]).unwrap();
        assert_eq!(only_run.treatment_count(), 2);
        assert!(only_run.treatments(Section::Setup).is_empty());
        let empty = Experiment::from_factors(vec![]).unwrap();
        assert!(empty.is_empty() && !only_run.is_empty());
        assert_eq!(empty.treatment_count(), 1);
        assert_eq!(empty.render(), "");
    }

    #[test]
    fn render_example() {
        let want = r#"setup:
  factors:
    - LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS
  levels:
    LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS: "1,2,3,4"
  treatments:
    - "1"
    - "2"
    - "3"
    - "4"
run:
# Harness and workload profile are defined on scenarios/guides
  factors:
    - question_len
  levels:
    question_len: "100,300"
  treatments:
    - "100"
    - "300"
"#;
        assert_eq!(example().render(), want);
        assert_eq!(example().treatment_count(), 8);
    }

    #[test]
    fn render_omits_empty_section_and_quotes_odd_keys() {
        let f = |n: &str, l: &[&str]| Factor {
            name: n.into(),
            section: Section::Run,
            levels: keys(l),
            requested_as: n.into(),
        };
        let text =
            Experiment::from_factors(vec![f("on", &["yes", "no"]), f("max-concurrency", &["1"])])
                .unwrap()
                .render();
        assert!(text.starts_with("run:\n"), "{text}");
        assert!(!text.contains("setup:"));
        assert!(
            text.contains("    - \"on\"\n    - max-concurrency\n"),
            "{text}"
        );
        assert!(text.contains("    \"on\": \"yes,no\"\n"), "{text}");
        assert!(text.contains("    - \"yes,1\"\n    - \"no,1\"\n"), "{text}");
    }

    /// Reads a rendered experiment back with a small line parser and checks its shape.
    fn check_parses_back(text: &str, exp: &Experiment) {
        let unquote = |s: &str| -> String {
            let s = s.trim();
            assert!(
                s.starts_with('"') && s.ends_with('"') && s.len() >= 2,
                "not quoted: {s}"
            );
            s[1..s.len() - 1].to_string()
        };
        /// name, factors, levels (key, value), treatments
        type Parsed = (String, Vec<String>, Vec<(String, String)>, Vec<String>);
        let mut sections: Vec<Parsed> = Vec::new();
        let mut part = "";
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let line = line.split("  #").next().unwrap_or(line);
            if !line.starts_with(' ') {
                let name = line.strip_suffix(':').expect("section header");
                sections.push((name.to_string(), vec![], vec![], vec![]));
            } else if let Some(p) = line
                .strip_prefix("  ")
                .and_then(|l| l.strip_suffix(':'))
                .filter(|p| !p.starts_with(' '))
            {
                part = p;
            } else {
                let s = sections.last_mut().expect("inside a section");
                let item = line.strip_prefix("    ").expect("item indent");
                match part {
                    "factors" => {
                        s.1.push(item.strip_prefix("- ").expect("list item").to_string())
                    }
                    "levels" => {
                        let (k, v) = item.split_once(": ").expect("key: value");
                        s.2.push((k.to_string(), unquote(v)));
                    }
                    "treatments" => {
                        s.3.push(unquote(item.strip_prefix("- ").expect("list item")))
                    }
                    other => panic!("unexpected part {other}"),
                }
            }
        }
        let expected: Vec<(&str, &[Factor])> =
            [("setup", exp.setup.as_slice()), ("run", exp.run.as_slice())]
                .into_iter()
                .filter(|(_, f)| !f.is_empty())
                .collect();
        assert_eq!(sections.len(), expected.len());
        for ((name, factors, lv, treatments), (want_name, want)) in sections.iter().zip(expected) {
            assert_eq!(name, want_name);
            assert_eq!(factors.len(), want.len());
            assert_eq!(lv.len(), want.len());
            let product: usize = want.iter().map(|f| f.levels.len()).product();
            assert_eq!(treatments.len(), product);
            for t in treatments {
                let values: Vec<&str> = t.split(',').collect();
                assert_eq!(
                    values.len(),
                    factors.len(),
                    "treatment {t:?} vs factors {factors:?}"
                );
                for (i, v) in values.iter().enumerate() {
                    assert!(
                        lv[i].1.split(',').any(|l| l == *v),
                        "{v} not a level of {}",
                        factors[i]
                    );
                }
            }
        }
    }

    #[test]
    fn render_parses_back() {
        let exp = example();
        check_parses_back(&exp.render(), &exp);
        let wk = keys(&["num_groups", "system_prompt_len"]);
        let fs = [
            "decode_replicas=1..3",
            "gpu_memory_utilization=0.80..0.95/0.05",
            "num_groups=8,16",
            "system_prompt_len=100..300/100",
        ]
        .iter()
        .map(|s| resolve(&Variation::parse_flag(s).unwrap(), &known, &wk).unwrap())
        .collect();
        let exp = Experiment::from_factors(fs).unwrap();
        assert_eq!(exp.treatment_count(), 12 * 6);
        check_parses_back(&exp.render(), &exp);
    }
}
