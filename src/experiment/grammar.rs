//! The seed's command words after the source: `with <harness> <profile>` (or `with guide`,
//! the guide's own benchmark) and
//! `varying <parameter> from <start> to <end> [by <step> | doubling]` or
//! `varying <parameter> over <list>`, in any order and number, optionally joined by `and`.

use crate::error::{Error, Result};
use crate::experiment::Variation;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clauses {
    pub harness: Option<String>,
    pub profile: Option<String>,
    /// `with guide`: the guide's own benchmark instead of a harness and profile.
    pub guide: bool,
    pub variations: Vec<Variation>,
}

const USAGE: &str = "expected `with <harness> <profile>`, `with guide` or `varying <parameter> from <start> to <end> [by <step> | doubling]` or `varying <parameter> over <v1,v2,...>`";

/// The clauses of the words after the source.
///
/// Over 80 lines on purpose: the whole grammar is this one loop, one arm per keyword, so it
/// reads as the phrase it accepts; split up, the order of the words would be hard to follow.
pub fn parse(words: &[String]) -> Result<Clauses> {
    let mut c = Clauses::default();
    let mut w = words.iter().map(String::as_str).peekable();
    while let Some(word) = w.next() {
        match word {
            "and" | "," => {}
            "with" => {
                let harness = w.next().ok_or_else(|| missing("with", "a harness"))?;
                if c.harness.is_some() || c.guide {
                    return Err(Error::request(
                        "phrase",
                        "`with` given twice; name one harness and profile",
                    ));
                }
                if harness == "guide" {
                    // The guide's own benchmark: its template names harness and workload.
                    if let Some(p) = w.next_if(|p| !matches!(*p, "and" | "varying" | "with")) {
                        return Err(Error::request(
                            "phrase",
                            format!(
                                "`with guide` takes no profile (got {p:?}): the guide's benchmark template names its workload"
                            ),
                        ));
                    }
                    c.guide = true;
                    continue;
                }
                c.harness = Some(harness.to_string());
                // The profile is optional: `with guidellm` keeps the default profile.
                if let Some(profile) = w.next_if(|p| !matches!(*p, "and" | "varying" | "with")) {
                    c.profile = Some(profile.to_string());
                }
            }
            "varying" => {
                let param = w.next().ok_or_else(|| missing("varying", "a parameter"))?;
                match w.next() {
                    Some("from") => {
                        let from = w.next().ok_or_else(|| missing("from", "a start value"))?;
                        if w.next() != Some("to") {
                            return Err(Error::request(
                                "phrase",
                                format!("`varying {param} from {from}` needs `to <end>`"),
                            ));
                        }
                        let to = w.next().ok_or_else(|| missing("to", "an end value"))?;
                        if w.next_if_eq(&"doubling").is_some() {
                            c.variations.push(Variation::doubling(param, from, to)?);
                            continue;
                        }
                        let step = if w.next_if_eq(&"by").is_some() {
                            Some(w.next().ok_or_else(|| missing("by", "a step"))?)
                        } else {
                            None
                        };
                        c.variations.push(Variation::range(param, from, to, step)?);
                    }
                    Some("over" | "in") => {
                        let list = w
                            .next()
                            .ok_or_else(|| missing("over", "a comma-separated list"))?;
                        c.variations.push(Variation::list(param, list)?);
                    }
                    other => {
                        return Err(Error::request(
                            "phrase",
                            format!(
                                "`varying {param}` then {}: {USAGE}",
                                other.map_or("nothing".to_string(), |o| format!("{o:?}"))
                            ),
                        ));
                    }
                }
            }
            other => {
                return Err(Error::request(
                    "phrase",
                    format!("unexpected word {other:?} after the source: {USAGE}"),
                ));
            }
        }
    }
    Ok(c)
}

fn missing(after: &str, what: &str) -> Error {
    Error::request("phrase", format!("`{after}` needs {what}: {USAGE}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_seed_forms_combine() {
        let c = parse(&words(
            "with inference-perf shared_prefix_synthetic varying decode_replicas from 1 to 4",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.harness.as_deref(), Some("inference-perf"));
        assert_eq!(c.profile.as_deref(), Some("shared_prefix_synthetic"));
        assert_eq!(c.variations.len(), 1);
        assert_eq!(c.variations[0].levels, vec!["1", "2", "3", "4"]);
        let c = parse(&words(
            "varying a from 1 to 2 and varying b over x,y varying c from 0.80 to 0.90 by 0.05",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.variations.len(), 3);
        assert_eq!(c.variations[2].levels, vec!["0.80", "0.85", "0.90"]);
    }

    #[test]
    fn each_varying_form() {
        let levels = |s: &str| -> Vec<String> {
            let c = parse(&words(s)).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(c.variations.len(), 1, "{s}");
            c.variations[0].levels.clone()
        };
        assert_eq!(
            levels("varying decode_replicas from 1 to 4"),
            ["1", "2", "3", "4"]
        );
        assert_eq!(
            levels("varying max_model_len from 4096 to 16384 by 4096"),
            ["4096", "8192", "12288", "16384"]
        );
        assert_eq!(
            levels("varying gpu_memory_utilization from 0.80 to 0.95 by 0.05"),
            ["0.80", "0.85", "0.90", "0.95"]
        );
        assert_eq!(
            levels("varying max_num_seqs from 16 to 256 doubling"),
            ["16", "32", "64", "128", "256"]
        );
        assert_eq!(
            levels("varying decode_replicas over 1,2,4"),
            ["1", "2", "4"]
        );
        assert_eq!(levels("varying decode_replicas in 1,2,4"), ["1", "2", "4"]);
        let c = parse(&words(
            "varying a from 1 to 4 doubling and varying b over x,y varying c from 2 to 1",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<String> = c.variations.iter().map(|v| v.levels.join(",")).collect();
        assert_eq!(all, ["1,2,4", "x,y", "2,1"]);
        let err = parse(&words("varying a from 4 to 1 doubling"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("counts up"), "{err}");
    }

    #[test]
    fn with_guide_is_the_guides_own_benchmark() {
        let c = parse(&words("with guide varying question_len over 100,200"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.guide);
        assert_eq!((c.harness, c.profile), (None, None));
        assert_eq!(c.variations.len(), 1);
        let c =
            parse(&words("varying a over 1,2 and with guide")).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.guide);
        assert!(
            !parse(&words("with inference-perf"))
                .unwrap_or_else(|e| panic!("{e}"))
                .guide
        );
        for bad in [
            "with guide shared_prefix",
            "with guide with guide",
            "with guide with inference-perf",
        ] {
            let err = parse(&words(bad))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!err.is_empty(), "{bad:?} should fail");
        }
    }

    #[test]
    fn mistakes_are_usage_errors() {
        for bad in [
            "with",
            "varying",
            "varying a",
            "varying a from 1",
            "varying a from 1 til 3",
            "please",
            "with a b with c d",
        ] {
            let err = parse(&words(bad))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!err.is_empty(), "{bad:?} should fail");
        }
    }
}
