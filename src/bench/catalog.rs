//! Harnesses and workload profiles: from an llm-d-benchmark checkout, or the compiled-in catalog.
//!
//! A profile is a template `workload/profiles/<harness>/<profile>.yaml.in`; llm-d-benchmark
//! refers to it as `<profile>.yaml`. Its mapping keys are what a run factor may vary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The compiled-in catalog: `harness<TAB>profile<TAB>key,key,...`, one profile a line.
/// Regenerate from a checkout with
/// `cargo test --lib catalog::tests::regenerate_profiles_tsv -- --ignored`.
const BUILTIN_TSV: &str = include_str!("../../data/profiles.tsv");

/// Where a catalog came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogOrigin {
    /// Read from the llm-d-benchmark checkout at this path.
    Checkout(PathBuf),
    /// The compiled-in copy of `data/profiles.tsv`.
    Builtin,
}

/// Harness -> profile (`name.yaml`) -> workload keys of that profile.
#[derive(Debug, Clone)]
pub struct Catalog {
    harnesses: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// (harness, profile) -> key -> the template's value, for keys that appear once with a
    /// scalar value. Only known when read from a checkout.
    values: BTreeMap<(String, String), BTreeMap<String, String>>,
    origin: CatalogOrigin,
}

impl Catalog {
    /// The catalog compiled in from `data/profiles.tsv`.
    pub fn builtin() -> Catalog {
        let mut harnesses: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for line in BUILTIN_TSV.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') || line.starts_with("harness\t") {
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(harness), Some(profile)) = (cols.next(), cols.next()) else {
                continue;
            };
            let keys: Vec<String> = cols
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect();
            harnesses
                .entry(harness.to_string())
                .or_default()
                .insert(profile_file_name(profile), keys);
        }
        Catalog {
            harnesses,
            values: BTreeMap::new(),
            origin: CatalogOrigin::Builtin,
        }
    }

    /// Reads `<bench_dir>/workload/profiles/<harness>/<profile>.yaml.in`; harness = folder name.
    pub fn from_checkout(bench_dir: &Path) -> Result<Catalog> {
        let root = bench_dir.join("workload").join("profiles");
        let mut harnesses: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        let mut values = BTreeMap::new();
        for entry in read_dir_sorted(&root)? {
            if !entry.is_dir() {
                continue;
            }
            let Some(harness) = entry.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let mut profiles = BTreeMap::new();
            for file in read_dir_sorted(&entry)? {
                let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let Some(stem) = name.strip_suffix(".yaml.in") else {
                    continue;
                };
                if stem.is_empty() || !file.is_file() {
                    continue;
                }
                let bytes = crate::load::source::read_bytes(&file)?;
                let text = String::from_utf8_lossy(&bytes);
                values.insert(
                    (harness.to_string(), format!("{stem}.yaml")),
                    template_values(&text),
                );
                profiles.insert(format!("{stem}.yaml"), template_keys(&text));
            }
            if !profiles.is_empty() {
                harnesses.insert(harness.to_string(), profiles);
            }
        }
        if harnesses.is_empty() {
            return Err(Error::Invalid(format!(
                "{} holds no workload profiles; expected <harness>/<profile>.yaml.in files of an llm-d-benchmark checkout",
                root.display()
            )));
        }
        Ok(Catalog {
            harnesses,
            values,
            origin: CatalogOrigin::Checkout(bench_dir.to_path_buf()),
        })
    }

    /// Where this catalog came from.
    pub fn origin(&self) -> &CatalogOrigin {
        &self.origin
    }

    /// Harness names, sorted.
    pub fn harnesses(&self) -> Vec<&str> {
        self.harnesses.keys().map(String::as_str).collect()
    }

    /// Profile names (`name.yaml`) of a harness, sorted; empty for an unknown harness.
    pub fn profiles(&self, harness: &str) -> Vec<&str> {
        self.harnesses
            .get(harness)
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Validate and normalize: `.yaml` optional on the profile, returns (harness, "profile.yaml").
    /// Unknown harness or profile -> [`Error::Request`] listing the valid ones.
    pub fn resolve(&self, harness: &str, profile: &str) -> Result<(String, String)> {
        let Some(profiles) = self.harnesses.get(harness) else {
            return Err(Error::request(
                "catalog",
                format!(
                    "unknown harness {harness:?}; valid: {}",
                    self.harnesses().join(", ")
                ),
            ));
        };
        let name = profile_file_name(profile.trim());
        if !profiles.contains_key(&name) {
            let valid: Vec<&str> = profiles.keys().map(String::as_str).collect();
            return Err(Error::request(
                "catalog",
                format!(
                    "unknown profile {profile:?} for harness {harness}; valid: {}",
                    valid.join(", ")
                ),
            ));
        }
        Ok((harness.to_string(), name))
    }

    /// Keys a run factor may vary for this profile: every mapping key in the profile template.
    /// Empty for an unknown harness or profile.
    pub fn workload_keys(&self, harness: &str, profile: &str) -> &[String] {
        self.harnesses
            .get(harness)
            .and_then(|p| p.get(&profile_file_name(profile)))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

impl Catalog {
    /// The value the profile template gives `key`, when the catalog was read from a checkout
    /// and the key appears once in the template with a scalar value (`question_len: 256`).
    pub fn workload_value(&self, harness: &str, profile: &str, key: &str) -> Option<&str> {
        self.values
            .get(&(harness.to_string(), profile_file_name(profile)))
            .and_then(|v| v.get(key))
            .map(String::as_str)
    }
}

/// `name`, `name.yaml` or `name.yaml.in` -> `name.yaml`.
fn profile_file_name(profile: &str) -> String {
    let stem = profile
        .strip_suffix(".yaml.in")
        .or_else(|| profile.strip_suffix(".yaml"))
        .unwrap_or(profile);
    format!("{stem}.yaml")
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let read_err = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        paths.push(entry.map_err(read_err)?.path());
    }
    paths.sort();
    Ok(paths)
}

/// The mapping keys of a simple block-YAML template, in order of first appearance, without
/// duplicates. A key is `^\s*(- )*KEY:` followed by a blank or the end of the line, where KEY
/// is made of letters, digits, `_`, `-` and `.`. Values, comments and anything else are ignored.
pub fn template_keys(text: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (key, _) in text.lines().filter_map(key_of) {
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_string());
        }
    }
    keys
}

/// Keys of a template that appear exactly once, with a one-line scalar value (quotes and
/// trailing comments removed): what a run factor replaces, when it is unambiguous.
pub fn template_values(text: &str) -> BTreeMap<String, String> {
    let mut seen: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (key, after_colon) in text.lines().filter_map(key_of) {
        let value = match after_colon.find(" #") {
            Some(i) => &after_colon[..i],
            None => after_colon,
        }
        .trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        let scalar = (!value.is_empty()).then(|| value.to_string());
        seen.entry(key.to_string())
            .and_modify(|v| *v = None)
            .or_insert(scalar);
    }
    seen.into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
}

/// `KEY: rest` of a template line (after any `- ` list markers), when KEY starts with a
/// letter, digit or `_` and the colon is followed by a blank or the end of the line.
fn key_of(line: &str) -> Option<(&str, &str)> {
    let mut rest = line.trim_start();
    while let Some(after) = rest.strip_prefix("- ") {
        rest = after.trim_start();
    }
    let end = rest
        .char_indices()
        .find(|&(_, c)| !is_key_char(c))
        .map_or(rest.len(), |(i, _)| i);
    let (key, tail) = rest.split_at(end);
    let after_colon = tail.strip_prefix(':')?;
    let key_ok = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let value_ok = after_colon.chars().next().is_none_or(char::is_whitespace);
    (key_ok && value_ok).then_some((key, after_colon))
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = "../shared/corpus/llm-d-benchmark/2026-02-05";

    fn corpus() -> Catalog {
        Catalog::from_checkout(Path::new(CORPUS)).expect("corpus checkout readable")
    }

    fn has(keys: &[String], want: &[&str]) {
        for w in want {
            assert!(keys.iter().any(|k| k == w), "{w} missing from {keys:?}");
        }
    }

    /// Writes data/profiles.tsv from the corpus checkout. Run by hand when the corpus changes.
    #[test]
    #[ignore]
    fn regenerate_profiles_tsv() {
        let cat = corpus();
        let mut out = String::from("harness\tprofile\tkeys\n");
        for h in cat.harnesses() {
            for p in cat.profiles(h) {
                let stem = p.strip_suffix(".yaml").unwrap_or(p);
                out.push_str(&format!(
                    "{h}\t{stem}\t{}\n",
                    cat.workload_keys(h, p).join(",")
                ));
            }
        }
        std::fs::write("data/profiles.tsv", out).expect("write data/profiles.tsv");
    }

    #[test]
    fn builtin_has_seed_harnesses_and_profiles() {
        let cat = Catalog::builtin();
        assert_eq!(cat.origin(), &CatalogOrigin::Builtin);
        let seed: &[(&str, &[&str])] = &[
            (
                "inference-perf",
                &[
                    "sanity_random",
                    "chatbot_synthetic",
                    "chatbot_sharegpt",
                    "shared_prefix_synthetic",
                    "shared_prefix_multi_turn_chat",
                    "summarization_synthetic",
                    "code_completion_synthetic",
                    "random_concurrent",
                    "shared_prefix_synthetic_short",
                ],
            ),
            (
                "guidellm",
                &[
                    "sanity_random",
                    "sanity_concurrent",
                    "chatbot_synthetic",
                    "shared_prefix_synthetic",
                    "summarization_synthetic",
                ],
            ),
            (
                "vllm-benchmark",
                &["sanity_random", "random_concurrent", "sharegpt"],
            ),
            ("inferencemax", &["random_concurrent"]),
            ("nop", &["nop"]),
        ];
        for (h, profiles) in seed {
            for p in *profiles {
                let (rh, rp) = cat.resolve(h, p).expect("seed profile resolves");
                assert_eq!((rh.as_str(), rp), (*h, format!("{p}.yaml")));
            }
        }
        assert_eq!(
            cat.harnesses(),
            vec![
                "guidellm",
                "inference-perf",
                "inferencemax",
                "nop",
                "vllm-benchmark"
            ]
        );
    }

    #[test]
    fn builtin_agrees_with_corpus_checkout() {
        let builtin = Catalog::builtin();
        let checkout = corpus();
        assert!(matches!(checkout.origin(), CatalogOrigin::Checkout(_)));
        for h in checkout.harnesses() {
            for p in checkout.profiles(h) {
                assert!(
                    builtin.resolve(h, p).is_ok(),
                    "{h}/{p} missing from builtin"
                );
                assert_eq!(
                    builtin.workload_keys(h, p),
                    checkout.workload_keys(h, p),
                    "{h}/{p}"
                );
            }
        }
    }

    #[test]
    fn checkout_keys_of_known_profiles() {
        let cat = corpus();
        let (h, p) = cat
            .resolve("inference-perf", "shared_prefix_synthetic")
            .unwrap();
        has(
            cat.workload_keys(&h, &p),
            &[
                "num_groups",
                "system_prompt_len",
                "question_len",
                "output_len",
                "rate",
                "duration",
            ],
        );
        let (h, p) = cat
            .resolve("vllm-benchmark", "random_concurrent.yaml")
            .unwrap();
        has(
            cat.workload_keys(&h, &p),
            &["max-concurrency", "num-prompts"],
        );
        let keys = cat.workload_keys("inference-perf", "random_concurrent.yaml");
        has(keys, &["concurrency_level", "num_requests"]);
        assert!(
            !keys.iter().any(|k| k.starts_with('#')),
            "comments are not keys: {keys:?}"
        );
    }

    #[test]
    fn template_values_of_unique_scalar_keys() {
        let cat = corpus();
        let v = |k: &str| cat.workload_value("inference-perf", "shared_prefix_synthetic", k);
        assert_eq!(v("question_len"), Some("256"));
        assert_eq!(v("system_prompt_len"), Some("2048"));
        assert_eq!(v("streaming"), Some("true"));
        assert_eq!(v("rate"), None, "appears in every stage");
        assert_eq!(v("shared_prefix"), None, "a mapping");
        assert_eq!(
            cat.workload_value(
                "vllm-benchmark",
                "random_concurrent.yaml",
                "percentile-metrics"
            ),
            Some("ttft,tpot,itl,e2el")
        );
        assert_eq!(
            Catalog::builtin().workload_value(
                "inference-perf",
                "shared_prefix_synthetic",
                "question_len"
            ),
            None
        );
    }

    #[test]
    fn resolve_with_and_without_yaml() {
        let cat = Catalog::builtin();
        let want = ("guidellm".to_string(), "chatbot_synthetic.yaml".to_string());
        assert_eq!(cat.resolve("guidellm", "chatbot_synthetic").unwrap(), want);
        assert_eq!(
            cat.resolve("guidellm", "chatbot_synthetic.yaml").unwrap(),
            want
        );
        assert_eq!(
            cat.resolve("guidellm", "chatbot_synthetic.yaml.in")
                .unwrap(),
            want
        );
        assert!(
            !cat.workload_keys("guidellm", "chatbot_synthetic")
                .is_empty()
        );
        assert_eq!(
            cat.workload_keys("guidellm", "chatbot_synthetic"),
            cat.workload_keys("guidellm", "chatbot_synthetic.yaml")
        );
    }

    #[test]
    fn unknown_harness_lists_valid_ones() {
        let err = Catalog::builtin().resolve("foo", "x").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown harness "foo"; valid: guidellm, inference-perf, inferencemax, nop, vllm-benchmark"#
        );
        assert!(matches!(err, Error::Request(_)));
    }

    #[test]
    fn unknown_profile_lists_those_of_the_harness() {
        let err = Catalog::builtin()
            .resolve("vllm-benchmark", "chatbot_synthetic")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown profile "chatbot_synthetic" for harness vllm-benchmark; valid: random_concurrent.yaml, sanity_random.yaml, sharegpt.yaml"#
        );
        assert!(matches!(err, Error::Request(_)));
    }

    #[test]
    fn unknown_profile_has_no_keys() {
        assert!(
            Catalog::builtin()
                .workload_keys("nop", "missing")
                .is_empty()
        );
        assert!(
            Catalog::builtin()
                .workload_keys("missing", "nop")
                .is_empty()
        );
    }

    #[test]
    fn missing_checkout_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Catalog::from_checkout(&dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err:?}");
    }

    #[test]
    fn empty_checkout_is_refused_and_odd_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = dir.path().join("workload/profiles");
        std::fs::create_dir_all(profiles.join("h")).unwrap();
        std::fs::write(profiles.join("README.md"), "x").unwrap();
        std::fs::write(profiles.join("h/notes.txt"), "a: 1").unwrap();
        assert!(matches!(
            Catalog::from_checkout(dir.path()),
            Err(Error::Invalid(_))
        ));
        std::fs::write(profiles.join("h/p.yaml.in"), b"a: 1\n\xff\xfe: 2\n  b:\n").unwrap();
        let cat = Catalog::from_checkout(dir.path()).unwrap();
        assert_eq!(cat.harnesses(), vec!["h"]);
        assert_eq!(cat.workload_keys("h", "p.yaml"), ["a", "b"]);
    }

    #[test]
    fn scanner_forms() {
        let text = "top: 1\n  nested:\n  - item: 2\n    - - deep: 3\n# c: 4\n  x: http://y\n\
                    url: http://z:80\nnot a key\nhttp://a\n- plain\nkey:value\n-x-: 5\ntop: again\n\
                    with-dash: 1\ndotted.key: 2\n";
        assert_eq!(
            template_keys(text),
            [
                "top",
                "nested",
                "item",
                "deep",
                "x",
                "url",
                "with-dash",
                "dotted.key"
            ]
        );
    }

    #[test]
    fn scanner_never_panics_on_odd_input() {
        let samples = [
            "",
            ":",
            "- ",
            "-",
            "- :",
            "::::",
            "é: 1",
            "aé: 1",
            "\u{0}:",
            "a:\u{a0}",
            "  - - - ",
            "a\r\nb:\r\n",
            "\t\tkey:\t",
            "ключ: 1",
            "k\u{301}: 2",
        ];
        for s in samples {
            let _ = template_keys(s);
        }
        assert_eq!(template_keys("a\r\nb:\r\n"), ["b"]);
        assert_eq!(template_keys("\t\tkey:\t"), ["key"]);
    }
}
