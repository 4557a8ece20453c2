//! Variations: what the user asked to sweep, as a parameter and its levels.
//!
//! Forms: `varying P from A to B [by S]` (inclusive, exact decimal arithmetic),
//! `varying P from A to B doubling` (A, 2A, 4A, ... up to B), `varying P over V1,V2,...`,
//! and the flag forms `P=V1,V2`, `P=A..B`, `P=A..B/S`, `P=A..B/doubling`.

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
                return Err(Error::request(
                    "variation",
                    format!(
                        "range {from}..{to} of {parameter} has decimals and needs a step, such as `from {from} to {to} by 0.05` or `{parameter}={from}..{to}/0.05`"
                    ),
                ));
            }
            None if a_v <= b_v => 1,
            None => -1,
        };
        if step_v == 0 {
            return Err(Error::request(
                "variation",
                format!("range step of {parameter} is zero; give a non-zero step"),
            ));
        }
        if (b_v > a_v && step_v < 0) || (b_v < a_v && step_v > 0) {
            let (dir, hint) = if b_v > a_v {
                ("up", "positive")
            } else {
                ("down", "negative")
            };
            return Err(Error::request(
                "variation",
                format!(
                    "range step {} of {parameter} goes the wrong way: {from} to {to} counts {dir}; give a {hint} step",
                    step.unwrap_or_default().trim()
                ),
            ));
        }
        let count = (b_v - a_v) / step_v + 1;
        if count > MAX_LEVELS as i128 {
            return Err(Error::request(
                "variation",
                format!(
                    "range {from}..{to} of {parameter} has {count} levels; at most {MAX_LEVELS} are allowed"
                ),
            ));
        }
        let levels = (0..count)
            .map(|i| format_scaled(a_v + i * step_v, scale))
            .collect();
        let how = match step {
            Some(s) => format!("from {} to {} by {}", from.trim(), to.trim(), s.trim()),
            None => format!("from {} to {}", from.trim(), to.trim()),
        };
        checked(Variation { parameter, levels }, &how)
    }

    /// `varying P from A to B doubling`: A, 2A, 4A, ... while not above B (A > 0, A <= B).
    /// `from 1 to 16 doubling` gives the powers of two `1,2,4,8,16`. Decimals keep their
    /// digits: `0.25` to `1` gives `0.25,0.50,1.00`.
    pub fn doubling(parameter: &str, from: &str, to: &str) -> Result<Variation> {
        let parameter = check_parameter(parameter)?;
        let a = Decimal::parse(from, "range start")?;
        let b = Decimal::parse(to, "range end")?;
        let scale = a.scale.max(b.scale);
        let (a_v, b_v) = (a.scaled(scale)?, b.scaled(scale)?);
        if a_v <= 0 {
            return Err(Error::request(
                "variation",
                format!(
                    "doubling range of {parameter} starts at {}; doubling needs a start above zero",
                    from.trim()
                ),
            ));
        }
        if b_v < a_v {
            return Err(Error::request(
                "variation",
                format!(
                    "doubling range of {parameter} counts up: {} is below {}; give `from {} to {} doubling`",
                    to.trim(),
                    from.trim(),
                    to.trim(),
                    from.trim()
                ),
            ));
        }
        let mut levels = Vec::new();
        let mut v = a_v;
        while v <= b_v {
            levels.push(format_scaled(v, scale));
            // At most ~60 doublings fit under the digit limit: no overflow, no long loop.
            v = match v.checked_mul(2) {
                Some(next) => next,
                None => break,
            };
        }
        let how = format!("from {} to {} doubling", from.trim(), to.trim());
        checked(Variation { parameter, levels }, &how)
    }

    /// `--vary P=V1,V2,...` or `varying P over V1,V2`: explicit list, trimmed, no empties,
    /// no duplicates.
    pub fn list(parameter: &str, values: &str) -> Result<Variation> {
        let parameter = check_parameter(parameter)?;
        let mut levels: Vec<String> = Vec::new();
        for raw in values.split(',') {
            let v = raw.trim();
            if v.is_empty() {
                return Err(Error::request(
                    "variation",
                    format!(
                        "values of {parameter} include an empty one in {values:?}; give comma-separated non-empty values"
                    ),
                ));
            }
            check_level(&parameter, v)?;
            if levels.iter().any(|l| l == v) {
                return Err(Error::request(
                    "variation",
                    format!("value {v:?} of {parameter} is given twice; give each value once"),
                ));
            }
            levels.push(v.to_string());
        }
        if levels.len() > MAX_LEVELS {
            return Err(Error::request(
                "variation",
                format!(
                    "{parameter} has {} values; at most {MAX_LEVELS} are allowed",
                    levels.len()
                ),
            ));
        }
        checked(
            Variation { parameter, levels },
            &format!("over {}", values.trim()),
        )
    }

    /// Parse the flag form `P=V1,V2` (list), `P=A..B` (inclusive range), `P=A..B/S` or
    /// `P=A..B/doubling`.
    pub fn parse_flag(spec: &str) -> Result<Variation> {
        let Some((parameter, rhs)) = spec.split_once('=') else {
            return Err(Error::request(
                "variation",
                format!(
                    "variation {spec:?} has no `=`; valid forms: P=V1,V2,...  P=A..B  P=A..B/STEP  P=A..B/doubling"
                ),
            ));
        };
        let rhs = rhs.trim();
        match rhs.split_once("..") {
            Some((from, rest)) if !rhs.contains(',') => match rest.split_once('/') {
                Some((to, step)) if step.trim() == "doubling" => {
                    Variation::doubling(parameter, from, to)
                }
                Some((to, step)) => Variation::range(parameter, from, to, Some(step)),
                None => Variation::range(parameter, from, rest, None),
            },
            _ => Variation::list(parameter, rhs),
        }
    }
}

/// A variation of a known parameter (see [`super::params`]) whose levels all have its type
/// and range; `how` is the form the user wrote (`from 1 to 5 by 1.5`), quoted in the error.
fn checked(v: Variation, how: &str) -> Result<Variation> {
    let Some((p, bad)) = super::params::bad_levels(&v.parameter, &v.levels) else {
        return Ok(v);
    };
    let shown: Vec<String> = bad
        .iter()
        .take(5)
        .map(|l| crate::error::excerpt(l, 60))
        .collect();
    let more = if bad.len() > shown.len() {
        format!(" and {} more", bad.len() - shown.len())
    } else {
        String::new()
    };
    let (noun, verb) = if bad.len() == 1 {
        ("level", "is")
    } else {
        ("levels", "are")
    };
    Err(Error::request(
        "variation",
        format!(
            "{noun} {}{more} of {} (`varying {} {}`) {verb} not valid: {} takes {}",
            shown.join(", "),
            v.parameter,
            v.parameter,
            short(how),
            p.name,
            p.kind.describe()
        ),
    ))
}

/// At most 60 characters of `s`, made printable, for a message.
pub(crate) fn short(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((at, _)) => crate::error::printable(&format!("{}…", &s[..at])),
        None => crate::error::printable(s),
    }
}

/// A parameter name: non-empty, letters, digits, `_`, `-`, `.`.
fn check_parameter(parameter: &str) -> Result<String> {
    let p = parameter.trim();
    let ok = !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(Error::request(
            "variation",
            format!(
                "parameter name {parameter:?} is not valid; use letters, digits, `_`, `-` and `.`"
            ),
        ));
    }
    Ok(p.to_string())
}

/// Characters bash treats specially in the unquoted `export VAR=value` line e2e.sh writes.
pub(crate) const SHELL_SPECIAL: &[char] = &[
    '\'', '$', '`', ';', '&', '|', '<', '>', '(', ')', '*', '?', '[', ']', '{', '}', '!', '#',
];

/// Why a level cannot go into an experiment, if it cannot: e2e.sh splits treatments on
/// commas, writes setup values unquoted into `export VAR=value`, and reads `NA` as "leave
/// the scenario's line". Shared with the validator.
pub(crate) fn level_problem(v: &str) -> Option<String> {
    if v == "NA" {
        return Some("is NA, which e2e.sh reads as \"factor does not apply\"".into());
    }
    if let Some(c) = v
        .chars()
        .find(|&c| matches!(c, ',' | '"' | '\\') || c.is_control() || c.is_whitespace())
    {
        return Some(format!(
            "contains {c:?}; values cannot hold commas, quotes, backslashes, spaces or control characters"
        ));
    }
    if let Some(c) = v.chars().find(|c| SHELL_SPECIAL.contains(c)) {
        return Some(format!(
            "contains {c:?}, which bash would interpret in the `export VAR=value` line e2e.sh writes"
        ));
    }
    if v.starts_with('~') {
        return Some("starts with `~`, which bash would expand".into());
    }
    None
}

fn check_level(parameter: &str, v: &str) -> Result<()> {
    match level_problem(v) {
        Some(why) => Err(Error::request(
            "variation",
            format!("value {v:?} of {parameter} {why}"),
        )),
        None => Ok(()),
    }
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
            Error::request(
                "variation",
                format!(
                    "{what} {text:?} is not a number; give digits with an optional sign and decimal point, such as 4 or 0.85"
                ),
            )
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
            return Err(Error::request(
                "variation",
                format!("{what} {text:?} has too many digits; at most {MAX_DIGITS}"),
            ));
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
            .ok_or_else(|| Error::request("variation", "range numbers are too large".to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(v: &Variation) -> String {
        v.levels.join(",")
    }

    fn usage(r: Result<Variation>) -> String {
        match r {
            Err(Error::Request(d)) => d.message,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
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
        assert!(usage(Variation::list("p", "NA,1")).contains("factor does not apply"));
        assert!(usage(Variation::list("p", "a b")).contains("spaces"));
        assert!(usage(Variation::list("p", "$(id)")).contains("bash would interpret"));
        assert!(usage(Variation::list("p", "~/x")).contains("bash would expand"));
        assert_eq!(
            levels(&Variation::list("p", "8Gi,a=b,x/y.yaml").unwrap()),
            "8Gi,a=b,x/y.yaml"
        );
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
    fn doubling_ranges() {
        assert_eq!(
            levels(&Variation::doubling("p", "1", "16").unwrap()),
            "1,2,4,8,16"
        );
        assert_eq!(
            levels(&Variation::doubling("p", "1", "10").unwrap()),
            "1,2,4,8"
        );
        assert_eq!(
            levels(&Variation::doubling("p", "3", "24").unwrap()),
            "3,6,12,24"
        );
        assert_eq!(levels(&Variation::doubling("p", "5", "5").unwrap()), "5");
        assert_eq!(
            levels(&Variation::doubling("p", "0.25", "1").unwrap()),
            "0.25,0.50,1.00"
        );
        assert_eq!(
            levels(&Variation::parse_flag("max_num_seqs=32..256/doubling").unwrap()),
            "32,64,128,256"
        );
        let huge = Variation::doubling("p", "1", "999999999999999999").unwrap();
        assert_eq!(huge.levels.len(), 60);
        assert!(usage(Variation::doubling("p", "0", "8")).contains("above zero"));
        assert!(usage(Variation::doubling("p", "-1", "8")).contains("above zero"));
        assert!(usage(Variation::doubling("p", "8", "1")).contains("counts up"));
        assert!(usage(Variation::doubling("p", "x", "8")).contains("not a number"));
    }
}
