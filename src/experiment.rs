//! Experiments: variations become setup/run factors, levels and full-factorial treatments.
//!
//! A [`Variation`] is what the user asked for (`decode_replicas=1..4`, `varying question_len
//! over 100,300`). [`resolve`] turns it into a [`Factor`]: a setup factor is an `LLMDBENCH_*`
//! variable that e2e.sh exports per stand-up; a run factor is a key of the workload profile.
//! [`Experiment::render`] writes the file e2e.sh reads with `--experiments`.

use crate::{Error, Result};

/// Most levels one variation may have.
pub const MAX_LEVELS: usize = 1000;
/// Most treatments one section (setup or run) may have.
pub const MAX_TREATMENTS: usize = 10_000;

/// A parameter and the values it takes, as the user wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct Variation {
    pub parameter: String,
    pub levels: Vec<String>,
}

impl Variation {
    /// `varying P from A to B [by S]`: numbers from A to B inclusive. Integers step by 1 by
    /// default (A > B counts down); decimals need an explicit step. The step's sign must match
    /// the direction. Arithmetic is exact: `0.80` to `0.95` by `0.05` gives `0.80,0.85,0.90,0.95`.
    pub fn range(parameter: &str, from: &str, to: &str, step: Option<&str>) -> Result<Variation> {
        let parameter = check_parameter(parameter)?;
        let a = Decimal::parse(from, "range start")?;
        let b = Decimal::parse(to, "range end")?;
        let s = step.map(|s| Decimal::parse(s, "range step")).transpose()?;
        let scale = a.scale.max(b.scale).max(s.as_ref().map_or(0, |s| s.scale));
        let (a_v, b_v) = (a.scaled(scale)?, b.scaled(scale)?);
        let step_v = match &s {
            Some(s) => s.scaled(scale)?,
            None if scale > 0 => {
                return Err(Error::Usage(format!(
                    "range {from}..{to} of {parameter} has decimals and needs a step, such as `from {from} to {to} by 0.05` or `{parameter}={from}..{to}/0.05`"
                )));
            }
            None if a_v <= b_v => 1,
            None => -1,
        };
        if step_v == 0 {
            return Err(Error::Usage(format!(
                "range step of {parameter} is zero; give a non-zero step"
            )));
        }
        if (b_v > a_v && step_v < 0) || (b_v < a_v && step_v > 0) {
            let (dir, hint) = if b_v > a_v {
                ("up", "positive")
            } else {
                ("down", "negative")
            };
            return Err(Error::Usage(format!(
                "range step {} of {parameter} goes the wrong way: {from} to {to} counts {dir}; give a {hint} step",
                step.unwrap_or_default().trim()
            )));
        }
        let count = (b_v - a_v) / step_v + 1;
        if count > MAX_LEVELS as i128 {
            return Err(Error::Usage(format!(
                "range {from}..{to} of {parameter} has {count} levels; at most {MAX_LEVELS} are allowed"
            )));
        }
        let levels = (0..count)
            .map(|i| format_scaled(a_v + i * step_v, scale))
            .collect();
        Ok(Variation { parameter, levels })
    }

    /// `--vary P=V1,V2,...` or `varying P over V1,V2`: explicit list, trimmed, no empties,
    /// no duplicates.
    pub fn list(parameter: &str, values: &str) -> Result<Variation> {
        let parameter = check_parameter(parameter)?;
        let mut levels: Vec<String> = Vec::new();
        for raw in values.split(',') {
            let v = raw.trim();
            if v.is_empty() {
                return Err(Error::Usage(format!(
                    "values of {parameter} include an empty one in {values:?}; give comma-separated non-empty values"
                )));
            }
            check_level(&parameter, v)?;
            if levels.iter().any(|l| l == v) {
                return Err(Error::Usage(format!(
                    "value {v:?} of {parameter} is given twice; give each value once"
                )));
            }
            levels.push(v.to_string());
        }
        if levels.len() > MAX_LEVELS {
            return Err(Error::Usage(format!(
                "{parameter} has {} values; at most {MAX_LEVELS} are allowed",
                levels.len()
            )));
        }
        Ok(Variation { parameter, levels })
    }

    /// Parse the flag form `P=V1,V2` (list), `P=A..B` (inclusive range) or `P=A..B/S`.
    pub fn parse_flag(spec: &str) -> Result<Variation> {
        let Some((parameter, rhs)) = spec.split_once('=') else {
            return Err(Error::Usage(format!(
                "variation {spec:?} has no `=`; valid forms: P=V1,V2,...  P=A..B  P=A..B/STEP"
            )));
        };
        let rhs = rhs.trim();
        match rhs.split_once("..") {
            Some((from, rest)) if !rhs.contains(',') => {
                let (to, step) = match rest.split_once('/') {
                    Some((to, step)) => (to, Some(step)),
                    None => (rest, None),
                };
                Variation::range(parameter, from, to, step)
            }
            _ => Variation::list(parameter, rhs),
        }
    }
}

/// A parameter name: non-empty, letters, digits, `_`, `-`, `.`.
fn check_parameter(parameter: &str) -> Result<String> {
    let p = parameter.trim();
    let ok = !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(Error::Usage(format!(
            "parameter name {parameter:?} is not valid; use letters, digits, `_`, `-` and `.`"
        )));
    }
    Ok(p.to_string())
}

/// e2e.sh splits treatments on commas and the file quotes values: refuse what cannot survive.
fn check_level(parameter: &str, v: &str) -> Result<()> {
    if let Some(c) = v
        .chars()
        .find(|&c| matches!(c, ',' | '"' | '\\') || c.is_control())
    {
        return Err(Error::Usage(format!(
            "value {v:?} of {parameter} contains {c:?}; values cannot hold commas, quotes, backslashes or control characters"
        )));
    }
    Ok(())
}

/// A decimal number as digits and a count of decimals: `-0.05` is (-5, 2).
struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// Most digits a range bound or step may have (keeps the scaled arithmetic far from overflow).
const MAX_DIGITS: usize = 18;

impl Decimal {
    fn parse(text: &str, what: &str) -> Result<Decimal> {
        let t = text.trim();
        let not_a_number = || {
            Error::Usage(format!(
                "{what} {text:?} is not a number; give digits with an optional sign and decimal point, such as 4 or 0.85"
            ))
        };
        let (negative, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits_ok(int)
            || !digits_ok(frac)
            || (body.contains('.') && frac.is_empty())
        {
            return Err(not_a_number());
        }
        if int.len() + frac.len() > MAX_DIGITS {
            return Err(Error::Usage(format!(
                "{what} {text:?} has too many digits; at most {MAX_DIGITS}"
            )));
        }
        let mut mantissa: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa * 10 + i128::from(b - b'0');
        }
        let scale = u32::try_from(frac.len()).map_err(|_| not_a_number())?;
        Ok(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale,
        })
    }

    /// The mantissa at a larger scale: (5, 1).scaled(2) = 50.
    fn scaled(&self, scale: u32) -> Result<i128> {
        10i128
            .checked_pow(scale - self.scale.min(scale))
            .and_then(|f| self.mantissa.checked_mul(f))
            .ok_or_else(|| Error::Usage("range numbers are too large".to_string()))
    }
}

fn format_scaled(v: i128, scale: u32) -> String {
    if scale == 0 {
        return v.to_string();
    }
    let digits = format!("{:0>width$}", v.unsigned_abs(), width = scale as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}{int}.{frac}")
}

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

/// Friendly parameter names -> LLMDBENCH variables (setup factors).
/// Every variable here exists in llm-d-benchmark's setup/env.sh (February 2026).
pub const FRIENDLY: &[(&str, &str)] = &[
    (
        "decode_replicas",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS",
    ),
    (
        "prefill_replicas",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS",
    ),
    (
        "decode_tensor_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM",
    ),
    (
        "prefill_tensor_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_TENSOR_PARALLELISM",
    ),
    (
        "decode_data_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_PARALLELISM",
    ),
    (
        "prefill_data_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_DATA_PARALLELISM",
    ),
    (
        "decode_data_local_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_DATA_LOCAL_PARALLELISM",
    ),
    (
        "prefill_data_local_parallelism",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_DATA_LOCAL_PARALLELISM",
    ),
    (
        "decode_num_workers",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_NUM_WORKERS_PARALLELISM",
    ),
    (
        "prefill_num_workers",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_NUM_WORKERS_PARALLELISM",
    ),
    ("max_model_len", "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"),
    ("block_size", "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE"),
    (
        "gpu_memory_utilization",
        "LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL",
    ),
    (
        "max_num_batched_tokens",
        "LLMDBENCH_VLLM_COMMON_MAX_NUM_BATCHED_TOKENS",
    ),
    ("max_num_seqs", "LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQ"),
    ("num_cpu_blocks", "LLMDBENCH_VLLM_COMMON_NUM_CPU_BLOCKS"),
    (
        "gaie_plugins",
        "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE",
    ),
    ("model", "LLMDBENCH_DEPLOY_MODEL_LIST"),
    ("decode_cpu_nr", "LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_NR"),
    (
        "decode_cpu_mem",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_MEM",
    ),
    (
        "prefill_cpu_nr",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_CPU_NR",
    ),
    (
        "prefill_cpu_mem",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_CPU_MEM",
    ),
    (
        "decode_shm_mem",
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM",
    ),
    (
        "prefill_shm_mem",
        "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_SHM_MEM",
    ),
    ("replicas", "LLMDBENCH_VLLM_COMMON_REPLICAS"),
    (
        "tensor_parallelism",
        "LLMDBENCH_VLLM_COMMON_TENSOR_PARALLELISM",
    ),
];

/// The LLMDBENCH variable of a friendly name (`decode-replicas` and `Decode_Replicas` too).
pub fn friendly_variable(name: &str) -> Option<&'static str> {
    let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
    FRIENDLY
        .iter()
        .find(|(f, _)| *f == wanted)
        .map(|(_, var)| *var)
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
        return Err(Error::Usage(format!(
            "{p} is not a variable of setup/env.sh; nothing would read it"
        )));
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
    let friendly: Vec<&str> = FRIENDLY.iter().map(|(f, _)| *f).collect();
    let keys = if workload_keys.is_empty() {
        "(none)".to_string()
    } else {
        workload_keys.join(", ")
    };
    Err(Error::Usage(format!(
        "unknown parameter {:?}; valid: a setup name ({}), an LLMDBENCH_* variable of setup/env.sh, or a workload key of the profile ({keys})",
        v.parameter,
        friendly.join(", ")
    )))
}

/// Setup and run factors, each section a full factorial of its factors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Experiment {
    pub setup: Vec<Factor>,
    pub run: Vec<Factor>,
}

impl Experiment {
    /// Sort factors into their sections, keeping their order. The same variable twice, or a
    /// section with more than [`MAX_TREATMENTS`] treatments, is a usage error.
    pub fn from_factors(factors: Vec<Factor>) -> Result<Experiment> {
        let mut exp = Experiment::default();
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
                return Err(Error::Usage(format!(
                    "{how}; vary each parameter once, with all its values"
                )));
            }
            if f.levels.is_empty() {
                return Err(Error::Usage(format!(
                    "{:?} has no values; give at least one",
                    f.requested_as
                )));
            }
            match f.section {
                Section::Setup => exp.setup.push(f),
                Section::Run => exp.run.push(f),
            }
        }
        for (factors, what) in [(&exp.setup, "setup"), (&exp.run, "run")] {
            let n = count(factors);
            if n > MAX_TREATMENTS {
                return Err(Error::Usage(format!(
                    "the {what} factors combine into {} treatments; at most {MAX_TREATMENTS} are allowed",
                    if n == usize::MAX {
                        "too many".to_string()
                    } else {
                        n.to_string()
                    }
                )));
            }
        }
        Ok(exp)
    }

    /// No factor at all.
    pub fn is_empty(&self) -> bool {
        self.setup.is_empty() && self.run.is_empty()
    }

    fn factors(&self, section: Section) -> &[Factor] {
        match section {
            Section::Setup => &self.setup,
            Section::Run => &self.run,
        }
    }

    /// Full factorial: cartesian product in factor order, first factor slowest.
    /// Empty when the section has no factors.
    pub fn treatments(&self, section: Section) -> Vec<Vec<String>> {
        let factors = self.factors(section);
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
        out
    }

    /// Setup treatments x run treatments; a section without factors counts 1.
    pub fn treatment_count(&self) -> usize {
        count(&self.setup).saturating_mul(count(&self.run))
    }

    /// The experiment file e2e.sh reads: `setup:` then `run:` (a section without factors is
    /// left out), each with `factors:`, `levels:` and `treatments:`. Values are double-quoted,
    /// so YAML 1.1 readers see strings. Empty text for an empty experiment.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (section, title) in [(Section::Setup, "setup"), (Section::Run, "run")] {
            let factors = self.factors(section);
            if factors.is_empty() {
                continue;
            }
            out.push_str(&format!("{title}:\n  factors:\n"));
            for f in factors {
                out.push_str(&format!("    - {}\n", yaml_key(&f.name)));
            }
            out.push_str("  levels:\n");
            for f in factors {
                out.push_str(&format!(
                    "    {}: {}\n",
                    yaml_key(&f.name),
                    quote(&f.levels.join(","))
                ));
            }
            out.push_str("  treatments:\n");
            for t in self.treatments(section) {
                out.push_str(&format!("    - {}\n", quote(&t.join(","))));
            }
        }
        out
    }
}

/// Treatments of a section; 1 without factors, saturating.
fn count(factors: &[Factor]) -> usize {
    factors
        .iter()
        .fold(1usize, |n, f| n.saturating_mul(f.levels.len()))
}

/// A YAML double-quoted scalar.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key as a plain scalar when YAML 1.1 reads it back as the same string, else quoted.
fn yaml_key(s: &str) -> String {
    const SPECIAL: &[&str] = &[
        "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
    ];
    let plain = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        && !SPECIAL.contains(&s.to_ascii_lowercase().as_str());
    if plain { s.to_string() } else { quote(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(v: &Variation) -> String {
        v.levels.join(",")
    }

    fn usage(r: Result<Variation>) -> String {
        match r {
            Err(Error::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    fn known(v: &str) -> bool {
        v == "LLMDBENCH_VLLM_COMMON_MAX_NUM_SEQS_TEST" || FRIENDLY.iter().any(|(_, var)| *var == v)
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
    fn integer_ranges_up_and_down() {
        assert_eq!(
            levels(&Variation::range("p", "1", "4", None).unwrap()),
            "1,2,3,4"
        );
        assert_eq!(
            levels(&Variation::range("p", "4", "1", None).unwrap()),
            "4,3,2,1"
        );
        assert_eq!(levels(&Variation::range("p", "3", "3", None).unwrap()), "3");
        assert_eq!(
            levels(&Variation::range("p", "1", "10", Some("4")).unwrap()),
            "1,5,9"
        );
        assert_eq!(
            levels(&Variation::range("p", "8", "2", Some("-3")).unwrap()),
            "8,5,2"
        );
        assert_eq!(
            levels(&Variation::range("p", "-2", "1", None).unwrap()),
            "-2,-1,0,1"
        );
        assert_eq!(
            levels(&Variation::range("p", " 1 ", "+2", None).unwrap()),
            "1,2"
        );
    }

    #[test]
    fn decimal_ranges_have_no_float_noise() {
        let v = Variation::range("gpu_memory_utilization", "0.80", "0.95", Some("0.05")).unwrap();
        assert_eq!(levels(&v), "0.80,0.85,0.90,0.95");
        assert_eq!(
            levels(&Variation::range("p", "0.1", "0.3", Some("0.1")).unwrap()),
            "0.1,0.2,0.3"
        );
        assert_eq!(
            levels(&Variation::range("p", "0.8", "0.95", Some("0.05")).unwrap()),
            "0.80,0.85,0.90,0.95"
        );
        assert_eq!(
            levels(&Variation::range("p", "1", "2", Some("0.5")).unwrap()),
            "1.0,1.5,2.0"
        );
        assert_eq!(
            levels(&Variation::range("p", "0.1", "-0.1", Some("-0.1")).unwrap()),
            "0.1,0.0,-0.1"
        );
        assert_eq!(
            levels(&Variation::parse_flag("p=0.80..0.95/0.05").unwrap()),
            "0.80,0.85,0.90,0.95"
        );
    }

    #[test]
    fn range_errors() {
        assert!(usage(Variation::range("p", "0.8", "0.9", None)).contains("needs a step"));
        assert!(usage(Variation::range("p", "1", "4", Some("0"))).contains("zero"));
        assert!(usage(Variation::range("p", "1", "4", Some("-1"))).contains("wrong way"));
        assert!(usage(Variation::range("p", "4", "1", Some("1"))).contains("give a negative step"));
        assert!(
            usage(Variation::range("p", "one", "4", None))
                .contains(r#"range start "one" is not a number"#)
        );
        assert!(usage(Variation::range("p", "1", "4x", None)).contains("not a number"));
        assert!(usage(Variation::range("p", "1", "4", Some("a"))).contains("range step"));
        for bad in ["", "-", ".", "1.", ".5", "1e3", "1.2.3", "--1", "0x10", "١"] {
            assert!(
                Variation::range("p", bad, "4", Some("1")).is_err(),
                "{bad:?}"
            );
        }
        assert!(
            usage(Variation::range("p", "1", "1001", None)).contains("1001 levels; at most 1000")
        );
        assert_eq!(
            Variation::range("p", "1", "1000", None)
                .unwrap()
                .levels
                .len(),
            1000
        );
        assert!(
            usage(Variation::range("p", "0", "99999999999999999999", None))
                .contains("too many digits")
        );
        assert!(
            Variation::range("p", "0", "999999999999999999", Some("0.000000000000000001")).is_err()
        );
        assert!(usage(Variation::range("bad name", "1", "2", None)).contains("parameter name"));
    }

    #[test]
    fn lists() {
        let v = Variation::list("gaie_plugins", " a.yaml, b.yaml ,c ").unwrap();
        assert_eq!(
            v,
            Variation {
                parameter: "gaie_plugins".into(),
                levels: keys(&["a.yaml", "b.yaml", "c"])
            }
        );
        assert_eq!(levels(&Variation::list("p", "only").unwrap()), "only");
        assert!(usage(Variation::list("p", "1,,2")).contains("empty"));
        assert!(usage(Variation::list("p", "")).contains("empty"));
        assert!(usage(Variation::list("p", "1,2,1")).contains(r#""1" of p is given twice"#));
        assert!(usage(Variation::list("p", r#"a"b"#)).contains("quotes"));
        assert!(usage(Variation::list("p", r"a\b")).contains("backslashes"));
        assert!(usage(Variation::list("p", "a\nb")).contains("control"));
        let many: Vec<String> = (0..1001).map(|i| i.to_string()).collect();
        assert!(usage(Variation::list("p", &many.join(","))).contains("at most 1000"));
    }

    #[test]
    fn flag_forms() {
        let v = Variation::parse_flag("decode_replicas=1..4").unwrap();
        assert_eq!(
            (v.parameter.as_str(), levels(&v).as_str()),
            ("decode_replicas", "1,2,3,4")
        );
        assert_eq!(
            levels(&Variation::parse_flag("p=1..10/3").unwrap()),
            "1,4,7,10"
        );
        assert_eq!(levels(&Variation::parse_flag("p=4..1").unwrap()), "4,3,2,1");
        assert_eq!(levels(&Variation::parse_flag(" p = 1, 2 ").unwrap()), "1,2");
        assert_eq!(
            levels(&Variation::parse_flag("p=x.yaml,y.yaml").unwrap()),
            "x.yaml,y.yaml"
        );
        assert_eq!(levels(&Variation::parse_flag("p=a=b").unwrap()), "a=b");
        assert!(usage(Variation::parse_flag("decode_replicas")).contains("no `=`"));
        assert!(usage(Variation::parse_flag("=1,2")).contains("parameter name"));
        assert!(usage(Variation::parse_flag("p=")).contains("empty"));
        assert!(usage(Variation::parse_flag("p=1..")).contains("range end"));
        assert!(usage(Variation::parse_flag("p=1..4/")).contains("range step"));
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
        assert!(matches!(err, Error::Usage(_)));
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
        for (name, var) in FRIENDLY {
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
        assert_eq!(quote("a\"b\\c\nd\u{1b}"), r#""a\"b\\c\nd\x1b""#);
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
