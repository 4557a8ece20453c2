//! The guide's own benchmark (`with guide`, `--workload guide`): the harness, the closest
//! llm-d-benchmark workload profile, and the template's workload parameters as profile
//! overrides.
//!
//! llm-d-benchmark renders a profile template with one `sed` expression per entry of
//! `LLMDBENCH_HARNESS_EXPERIMENT_PROFILE_OVERRIDES` (`key=value,key=value`):
//! `s^key:.*^key: value^g`, on every line that holds `key:` (as a suffix of a longer key too),
//! for a plain run and for every run treatment (after the run factors, so an override wins
//! over a factor of the same key). So a template value is carried only when it is the same
//! for every occurrence of its key in the guide's workload, no other profile key ends with
//! that key, and the value holds no `,` (the list separator), `^` (the sed delimiter) or
//! blank. Everything else (a ladder of load stages, a key the profile does not have) is
//! named in the scenario as not carried.

use crate::bench::catalog::Catalog;
use crate::error::{Error, Result};
use crate::load::source::Opened;
use crate::read::origin::Origin;
use crate::read::yaml::{self, Doc, Kind, Node};

/// The guide's workload, as llm-d-benchmark can run it.
#[derive(Debug, Clone)]
pub struct GuideWorkload {
    /// The template, relative to the guide folder.
    pub file: String,
    pub harness: String,
    /// The template's workload name (`Shared_prefix`, `sanity_random`, ...).
    pub workload: String,
    /// The llm-d-benchmark profile chosen for it (`shared_prefix_synthetic.yaml`).
    pub profile: String,
    /// Profile overrides: key, value, and the template line that holds the value.
    pub overrides: Vec<(String, String, Origin)>,
    /// Template settings the profile cannot carry, with why.
    pub not_carried: Vec<String>,
}

/// Subtrees of a workload the benchmark fills itself (its model, endpoint, tokenizer).
const BENCH_OWNED: &[&str] = &["server", "tokenizer", "storage"];

/// The llm-d-benchmark profile for a template workload, by its data type and load type
/// (`*`: any), in order; the first the harness has wins.
const PROFILE_BY_DATA: &[(&str, &str, &str)] = &[
    ("shared_prefix", "*", "shared_prefix_synthetic"),
    ("random", "concurrent", "random_concurrent"),
    ("random", "*", "sanity_random"),
];

/// The header line naming the guide's own benchmark, whatever workload is used.
pub fn header(opened: &Opened) -> Option<String> {
    let own = crate::read::guide::own_benchmark(opened)?;
    Some(format!(
        "{} (harness {}{}); `with guide` runs it",
        own.file,
        own.harness,
        own.workload
            .map(|w| format!(", workload {w}"))
            .unwrap_or_default()
    ))
}

/// Read the guide's benchmark template and fit it to the catalog. `factors` are the run
/// factors of the experiment: the sweep decides those keys, not an override.
pub fn guide_workload(
    opened: &Opened,
    catalog: &Catalog,
    factors: &[String],
) -> Result<GuideWorkload> {
    let Some(file) = crate::read::guide::own_benchmark_file(opened) else {
        return Err(Error::request(
            "workload",
            format!(
                "`with guide`: {} has no benchmark template (looked for benchmark-templates/*.yaml in the guide and ../benchmark/<guide>_[guide_]template.yaml beside it); name a harness and profile instead",
                opened.name
            ),
        ));
    };
    let text = opened.source.read(&file)?;
    let doc = yaml::parse_one(&file, &text)?;
    from_template(&doc, catalog, factors)
}

/// [`guide_workload`] on a parsed template.
pub fn from_template(doc: &Doc, catalog: &Catalog, factors: &[String]) -> Result<GuideWorkload> {
    let bad = |what: &str| {
        Error::Invalid(format!(
            "`with guide`: {}: {what}; name a harness and profile instead",
            doc.file
        ))
    };
    let harness = doc
        .root
        .at("harness.name")
        .and_then(Node::as_str)
        .ok_or_else(|| bad("no harness.name"))?
        .to_string();
    let (workload, spec) = doc
        .root
        .get("workload")
        .and_then(Node::as_map)
        .and_then(|w| w.first())
        .map(|e| (e.key.clone(), &e.value))
        .ok_or_else(|| bad("no workload under workload:"))?;
    let profiles = catalog.profiles(&harness);
    if profiles.is_empty() {
        return Err(Error::Invalid(format!(
            "`with guide`: {}: harness {harness:?} is not one llm-d-benchmark has; valid: {}",
            doc.file,
            catalog.harnesses().join(", ")
        )));
    }
    let profile = closest_profile(spec, &workload, &profiles);
    let (harness, profile) = catalog.resolve(&harness, &profile)?;
    let keys = catalog.workload_keys(&harness, &profile);

    // Every scalar leaf of the workload (the benchmark's own subtrees aside), by key name.
    let mut leaves: Vec<(String, String, String, usize)> = Vec::new(); // key, path, value, line
    let mut lists: Vec<(String, usize)> = Vec::new();
    collect(spec, "", &mut leaves, &mut lists);
    leaves.sort_by_key(|l| l.3);
    lists.sort();
    let mut overrides: Vec<(String, String, Origin)> = Vec::new();
    let mut not_carried = Vec::new();
    for (path, n) in lists {
        not_carried.push(format!(
            "{path} (a list of {n}: the profile keeps its own, overrides replace single keys)"
        ));
    }
    let mut done: Vec<&str> = Vec::new();
    for (key, path, value, line) in &leaves {
        if done.contains(&key.as_str()) {
            continue;
        }
        done.push(key);
        let same: Vec<&(String, String, String, usize)> =
            leaves.iter().filter(|l| l.0 == *key).collect();
        let values: Vec<&str> = same.iter().map(|l| l.2.as_str()).collect();
        let why = not_carried_why(key, value, &values, factors, keys, &profile);
        match why {
            Some(why) => {
                for l in &same {
                    not_carried.push(format!("{} = {} ({why})", l.1, l.2));
                }
            }
            None => {
                let origin = cite(doc, *line);
                overrides.push((key.clone(), value.clone(), origin));
            }
        }
        let _ = path;
    }
    Ok(GuideWorkload {
        file: doc.file.clone(),
        harness,
        workload,
        profile,
        overrides,
        not_carried,
    })
}

/// The profile closest to the template's workload: by its data and load type, else by the
/// workload's name, else the default profile.
fn closest_profile(spec: &Node, workload: &str, profiles: &[&str]) -> String {
    let has = |p: &str| profiles.contains(&format!("{p}.yaml").as_str());
    let data_type = spec.at("data.type").and_then(Node::as_str).unwrap_or("");
    let load_type = spec.at("load.type").and_then(Node::as_str).unwrap_or("");
    let by_name = workload.to_ascii_lowercase();
    PROFILE_BY_DATA
        .iter()
        .filter(|(d, l, _)| *d == data_type && (*l == "*" || *l == load_type))
        .map(|(_, _, p)| *p)
        .find(|p| has(p))
        .or_else(|| has(&by_name).then_some(by_name.as_str()))
        .unwrap_or(crate::convert::DEFAULT_PROFILE.trim_end_matches(".yaml"))
        .to_string()
}

/// Why the template's `key = value` is not carried as a profile override, if it is not;
/// `values` are the values of every leaf of the template with that key.
fn not_carried_why(
    key: &str,
    value: &str,
    values: &[&str],
    factors: &[String],
    keys: &[String],
    profile: &str,
) -> Option<String> {
    if factors.iter().any(|f| f == key) {
        Some("swept by the experiment".to_string())
    } else if !keys.iter().any(|k| k == key) {
        Some(format!("{profile} has no {key}"))
    } else if values.iter().any(|v| v != &value) {
        Some(format!(
            "{key} has {} different values in the template and one override sets them all",
            values.len()
        ))
    } else if let Some(other) = keys.iter().find(|k| *k != key && k.ends_with(key)) {
        Some(format!("an override of {key} would also change {other}"))
    } else if value.is_empty() || value.contains([',', '^', ' ', '\t', '=']) {
        Some(format!(
            "its value {value:?} cannot be written in the override list"
        ))
    } else {
        None
    }
}

/// Scalar leaves (key, dotted path, value, line) and lists (path, length) under `node`.
fn collect(
    node: &Node,
    prefix: &str,
    leaves: &mut Vec<(String, String, String, usize)>,
    lists: &mut Vec<(String, usize)>,
) {
    let mut stack: Vec<(String, &Node)> = vec![(prefix.to_string(), node)];
    while let Some((path, n)) = stack.pop() {
        match &n.kind {
            Kind::Map(entries) => {
                for e in entries.iter().rev() {
                    if path.is_empty() && BENCH_OWNED.contains(&e.key.as_str()) {
                        continue;
                    }
                    let child = if path.is_empty() {
                        e.key.clone()
                    } else {
                        format!("{path}.{}", e.key)
                    };
                    if let Some(s) = e.value.as_scalar() {
                        if !s.is_null() {
                            leaves.push((e.key.clone(), child, s.value.clone(), e.value.line));
                        }
                    } else {
                        stack.push((child, &e.value));
                    }
                }
            }
            Kind::Seq(items) => lists.push((path, items.len())),
            Kind::Scalar(_) => {}
        }
    }
}

fn cite(doc: &Doc, line: usize) -> Origin {
    let (first, last, lines) = doc.quote(line, line);
    Origin {
        file: doc.file.clone(),
        first,
        last,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "harness:\n  name: inference-perf\nworkload:\n  Shared_prefix:\n    load:\n      type: poisson\n      stages:\n        - rate: 15\n          duration: 50\n        - rate: 3\n          duration: 20\n    server:\n      model_name: x\n    data:\n      type: shared_prefix\n      shared_prefix:\n        num_groups: 150\n        system_prompt_len: 6000\n        question_len: 1200\n        output_len: 1000\n        enable_multi_turn_chat: false\n";

    fn fit(text: &str, factors: &[&str]) -> GuideWorkload {
        let doc = yaml::parse_one("t.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        let factors: Vec<String> = factors.iter().map(|s| s.to_string()).collect();
        from_template(&doc, &Catalog::builtin(), &factors).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shared_prefix_template_gives_profile_and_overrides() {
        let w = fit(TEMPLATE, &[]);
        assert_eq!(
            (w.harness.as_str(), w.workload.as_str()),
            ("inference-perf", "Shared_prefix")
        );
        assert_eq!(w.profile, "shared_prefix_synthetic.yaml");
        let o: Vec<String> = w
            .overrides
            .iter()
            .map(|(k, v, o)| format!("{k}={v}@{}", o.first))
            .collect();
        assert_eq!(
            o,
            [
                "num_groups=150@17",
                "system_prompt_len=6000@18",
                "question_len=1200@19",
                "output_len=1000@20"
            ]
        );
        let all = w.not_carried.join("\n");
        assert!(all.contains("load.stages (a list of 2"), "{all}");
        assert!(all.contains("enable_multi_turn_chat = false (shared_prefix_synthetic.yaml has no enable_multi_turn_chat)"), "{all}");
        assert!(all.contains("load.type = poisson"), "{all}");
        // The benchmark's own subtrees are not the guide's to set.
        assert!(!all.contains("model_name"), "{all}");
        // A swept key is the experiment's.
        let w = fit(TEMPLATE, &["question_len"]);
        assert!(w.overrides.iter().all(|(k, _, _)| k != "question_len"));
        assert!(
            w.not_carried
                .join("\n")
                .contains("question_len = 1200 (swept by the experiment)")
        );
    }

    #[test]
    fn keys_that_differ_or_collide_are_not_carried() {
        let t = "harness:\n  name: guidellm\nworkload:\n  w:\n    data:\n      type: random\n      prompt_tokens_min: 10\n      min: 5\n";
        let w = fit(t, &[]);
        assert_eq!(w.profile, "sanity_random.yaml");
        let all = w.not_carried.join("\n");
        assert!(all.contains("min = 5"), "{all}");
        let t = "harness:\n  name: inference-perf\nworkload:\n  w:\n    data:\n      type: random\n      input_distribution:\n        min: 1\n      output_distribution:\n        min: 2\n";
        let all = fit(t, &[]).not_carried.join("\n");
        assert!(all.contains("min has 2 different values"), "{all}");
    }
}
