//! Whole-corpus conversions.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use convert_guide::convert::{self, Conversion, Request};
use convert_guide::experiment::Variation;
use convert_guide::model::scenario::{Origin, Scenario, Value};
use convert_guide::read::guide;
use convert_guide::read::yaml::{self, Kind, Node};

use crate::common::{self, Case};

/// Convert every case once (built-in defaults).
fn conversions() -> Vec<(Case, Conversion)> {
    common::corpus_cases()
        .into_iter()
        .map(|c| {
            let conv = common::convert_case(&c);
            (c, conv)
        })
        .collect()
}

fn pd() -> Conversion {
    common::convert_builtin(&common::corpus_guides().join("pd-disaggregation"))
}

fn guide(name: &str) -> Conversion {
    common::convert_builtin(&common::corpus_guides().join(name))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn text_of<'a>(s: &'a Scenario, var: &str) -> &'a str {
    match s.export(var).map(|e| &e.value) {
        Some(Value::Text(t)) => t,
        other => panic!("{var}: expected a text export, got {other:?}"),
    }
}

fn command_of<'a>(s: &'a Scenario, var: &str) -> &'a [String] {
    match s.export(var).map(|e| &e.value) {
        Some(Value::Command(lines)) => lines,
        other => panic!("{var}: expected a command export, got {other:?}"),
    }
}

fn file_of<'a>(s: &'a Scenario, var: &str) -> &'a str {
    match s.export(var).map(|e| &e.value) {
        Some(Value::File(c)) => c,
        other => panic!("{var}: expected a file export, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Snapshots

#[test]
fn corpus_case_list_is_complete() {
    let files = common::values_files();
    assert_eq!(
        files.len(),
        23,
        "expected the 23 ms-*/gaie-* values files of the corpus, found {files:?}"
    );
    let cases = common::corpus_cases();
    // 5 guides (default variant), 23 values files, the example, and the 27 other variants
    // that render (36 environments, less 5 defaults and the 4 the guides cannot render).
    assert_eq!(cases.len(), 5 + 23 + 1 + 27);
    let mut labels: Vec<&str> = cases.iter().map(|c| c.label.as_str()).collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), cases.len(), "snapshot names must be unique");
    assert!(labels.contains(&"values__pd-disaggregation__ms-pd__values_xpu"));
}

#[test]
fn scenario_snapshots() {
    for (case, conv) in conversions() {
        insta::assert_snapshot!(case.label.as_str(), common::stable(&conv.scenario_text));
    }
}

fn experiment_case(input: &str, profile: Option<&str>, variations: Vec<Variation>) -> Conversion {
    let cwd = tempfile::tempdir().expect("temp dir");
    convert::convert(&Request {
        input: common::corpus_guides().join(input),
        cwd: cwd.path().to_path_buf(),
        profile: profile.map(str::to_string),
        variations,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("convert {input} with variations: {e}"))
}

/// e2e.sh rewrites the single `export VAR=` line of each setup factor.
fn assert_sweepable(conv: &Conversion) {
    for f in &conv.experiment.setup {
        let needle = format!("{}=", f.name);
        let lines: Vec<&str> = conv
            .scenario_text
            .lines()
            .filter(|l| l.contains(&needle))
            .collect();
        assert_eq!(lines.len(), 1, "{}: lines {lines:?}", f.name);
        assert!(
            lines[0].starts_with(&format!("export {needle}")),
            "{lines:?}"
        );
    }
}

#[test]
fn experiment_pd_decode_replicas_and_question_len() {
    let conv = experiment_case(
        "pd-disaggregation",
        Some("shared_prefix_synthetic"),
        vec![
            Variation::parse_flag("decode_replicas=1..4").expect("range"),
            Variation::list("question_len", "100,300").expect("list"),
        ],
    );
    assert_sweepable(&conv);
    // The guide's decode replicas (1) equals the default, but a swept variable must be exported.
    assert_eq!(
        text_of(
            &conv.scenario,
            "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"
        ),
        "1"
    );
    assert_eq!(
        text_of(&conv.scenario, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE"),
        "shared_prefix_synthetic.yaml"
    );
    assert_eq!(conv.experiment.treatment_count(), 8);
    let text = conv.experiment_text.expect("an experiment file");
    insta::assert_snapshot!(
        "experiment__pd-disaggregation__decode_replicas__question_len",
        text
    );
}

#[test]
fn experiment_inference_scheduling_gpu_memory_utilization() {
    let conv = experiment_case(
        "inference-scheduling",
        None,
        vec![
            Variation::range("gpu_memory_utilization", "0.80", "0.95", Some("0.05"))
                .expect("range"),
        ],
    );
    assert_sweepable(&conv);
    assert_eq!(
        text_of(&conv.scenario, "LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL"),
        "0.95"
    );
    let text = conv.experiment_text.expect("an experiment file");
    assert!(text.contains("\"0.80,0.85,0.90,0.95\""), "{text}");
    insta::assert_snapshot!(
        "experiment__inference-scheduling__gpu_memory_utilization",
        text
    );
}

#[test]
fn experiment_raw_variable() {
    let conv = experiment_case(
        "simulated-accelerators",
        None,
        vec![
            Variation::list("LLMDBENCH_VLLM_COMMON_MAX_NUM_BATCHED_TOKENS", "2048,4096")
                .expect("list"),
            Variation::parse_flag("prefill_replicas=1,2").expect("list"),
        ],
    );
    assert_sweepable(&conv);
    assert!(
        conv.scenario
            .export("LLMDBENCH_VLLM_COMMON_MAX_NUM_BATCHED_TOKENS")
            .is_some()
    );
    let text = conv.experiment_text.expect("an experiment file");
    insta::assert_snapshot!("experiment__simulated-accelerators__raw_variable", text);
}

// ---------------------------------------------------------------------------------------
// Provenance

/// Every origin of the model (exports, defaulted values, notes).
pub(crate) fn all_origins(s: &Scenario) -> Vec<(String, &Origin)> {
    let mut out: Vec<(String, &Origin)> = Vec::new();
    for e in &s.exports {
        out.extend(e.origins.iter().map(|o| (e.var.clone(), o)));
    }
    for (var, _, o) in &s.defaulted {
        out.push((var.clone(), o));
    }
    for n in s.framework.iter().chain(&s.unmapped) {
        out.push((n.path.clone(), &n.origin));
    }
    out
}

pub(crate) fn file_lines(
    root: &Path,
    file: &str,
    cache: &mut HashMap<String, Vec<String>>,
) -> Vec<String> {
    cache
        .entry(file.to_string())
        .or_insert_with(|| read(&root.join(file)).lines().map(str::to_string).collect())
        .clone()
}

#[test]
fn origins_quote_the_real_lines() {
    for (case, conv) in conversions() {
        let mut cache = HashMap::new();
        let s = &conv.scenario;
        for (what, o) in all_origins(s) {
            let ctx = format!(
                "{}: {what} from {}:{}-{}",
                case.label, o.file, o.first, o.last
            );
            assert!(o.first >= 1 && o.first <= o.last, "{ctx}: bad range");
            let lines = file_lines(&case.root, &o.file, &mut cache);
            assert!(o.last <= lines.len(), "{ctx}: past the end of the file");
            assert_eq!(o.lines, lines[o.first - 1..o.last].to_vec(), "{ctx}");
            assert!(!o.lines[0].trim().is_empty(), "{ctx}: first line is blank");
        }
        // The first line names what was mapped: its key, or the value itself.
        for n in s.framework.iter().chain(&s.unmapped) {
            let last = n.path.rsplit('.').next().unwrap_or(&n.path);
            // Values the helmfile template copied (`toYaml`) cite the template's action line.
            let copied = n.origin.lines[0].contains("{{");
            if !last.ends_with(']') && !copied {
                assert!(
                    n.origin.lines[0].contains(last),
                    "{}: note {} starts at {:?}",
                    case.label,
                    n.path,
                    n.origin.lines[0]
                );
            }
        }
        for (var, value, o) in &s.defaulted {
            assert!(
                o.lines.iter().any(|l| l.contains(value.as_str())
                    // Booleans written as setup/env.sh spells them (true -> True).
                    || l.to_lowercase().contains(&value.to_lowercase()))
                    // Copied by the helmfile template from the environment values.
                    || o.lines[0].contains("{{")
                    // A flag whose value is the next list item.
                    || o.lines[0]
                        .trim_start()
                        .strip_prefix("- ")
                        .is_some_and(|l| l.trim_start_matches(['"', '\'']).starts_with("--")),
                "{}: {var}={value:?} from {:?}",
                case.label,
                o.lines[0]
            );
        }
        for e in &s.exports {
            // An image without a registry host is on Docker Hub: `docker.io` is implied.
            let implied =
                e.var.ends_with("_IMAGE_REGISTRY") && e.value == Value::Text("docker.io".into());
            if let (Value::Text(v), None, false, false) =
                (&e.value, &e.note, e.origins.is_empty(), implied)
            {
                assert!(
                    e.origins.iter().any(|o| o
                        .lines
                        .iter()
                        .any(|l| l.contains(v.as_str()) || l.contains("{{"))),
                    "{}: {}={v:?} has no note and its origins do not show the value: {:?}",
                    case.label,
                    e.var,
                    e.origins
                );
            }
        }
    }
}

/// `# <file>:<a>` or `# <file>:<a>-<b>`.
pub(crate) fn origin_header(line: &str) -> Option<(&str, usize, usize)> {
    let rest = line.strip_prefix("# ")?;
    if rest.contains(' ') {
        return None;
    }
    let (file, range) = rest.rsplit_once(':')?;
    let (a, b) = match range.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let a = range.parse().ok()?;
            (a, a)
        }
    };
    (file.ends_with(".yaml") || file.ends_with(".gotmpl")).then_some((file, a, b))
}

/// `#   <path> (<file>:<a>[-<b>]): <reason>` of the notes blocks.
pub(crate) fn note_header(line: &str) -> Option<(&str, &str, usize, usize)> {
    let rest = line.strip_prefix("#   ")?;
    if rest.starts_with(' ') || rest.starts_with('|') {
        return None;
    }
    let close = rest.find("): ")?;
    let open = rest[..close].rfind(" (")?;
    let path = &rest[..open];
    let (file, a, b) = origin_header(&format!("# {}", &rest[open + 2..close]))
        .map(|(f, a, b)| (f.to_string(), a, b))?;
    let file_at = rest.find(file.as_str())?;
    Some((path, &rest[file_at..file_at + file.len()], a, b))
}

/// Check the quote lines after a header against the file; returns how many lines were read.
pub(crate) fn check_quotes(
    text_lines: &[&str],
    at: usize,
    prefix: &str,
    real: &[String],
    a: usize,
    b: usize,
    ctx: &str,
) {
    let expected = b - a + 1;
    let shown = expected.min(40);
    for k in 0..shown {
        let want = convert_guide::error::printable(&real[a - 1 + k]);
        let want = if want.is_empty() {
            prefix.trim_end().to_string()
        } else {
            format!("{prefix}{want}")
        };
        let got = text_lines.get(at + 1 + k).copied().unwrap_or("<end>");
        assert_eq!(
            got.trim_end(),
            want.trim_end(),
            "{ctx}: quote line {} of {a}-{b}",
            a + k
        );
    }
    let next = text_lines.get(at + 1 + shown).copied().unwrap_or("");
    if expected > 40 {
        assert_eq!(
            next,
            format!("{prefix}... ({} more lines)", expected - 40),
            "{ctx}"
        );
    } else {
        assert!(
            !next.starts_with(prefix),
            "{ctx}: more quote lines than the range: {next:?}"
        );
    }
}

#[test]
fn rendered_provenance_comments_quote_the_real_lines() {
    for (case, conv) in conversions() {
        check_rendered_provenance(&case.label, &case.root, &conv);
    }
}

/// Every `# file:a-b` comment above an export and every note line of a rendered scenario
/// quotes the real lines of the file, and there is one per origin and one per note.
pub(crate) fn check_rendered_provenance(label: &str, root: &Path, conv: &Conversion) {
    let mut cache = HashMap::new();
    let text_lines: Vec<&str> = conv.scenario_text.lines().collect();
    let (mut headers, mut notes) = (0, 0);
    for (i, line) in text_lines.iter().enumerate() {
        if let Some((file, a, b)) = origin_header(line) {
            let ctx = format!("{label}: line {} {line:?}", i + 1);
            let real = file_lines(root, file, &mut cache);
            assert!(a >= 1 && a <= b && b <= real.len(), "{ctx}: bad range");
            check_quotes(&text_lines, i, "#   | ", &real, a, b, &ctx);
            headers += 1;
        } else if let Some((_, file, a, b)) = note_header(line) {
            let ctx = format!("{label}: line {} {line:?}", i + 1);
            let real = file_lines(root, file, &mut cache);
            assert!(a >= 1 && a <= b && b <= real.len(), "{ctx}: bad range");
            if text_lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with("#     | "))
            {
                check_quotes(&text_lines, i, "#     | ", &real, a, b, &ctx);
            }
            notes += 1;
        }
    }
    let s = &conv.scenario;
    let origins: usize = s.exports.iter().map(|e| e.origins.len()).sum();
    assert_eq!(headers, origins, "{label}: one header per export origin");
    assert_eq!(
        notes,
        s.framework.len() + s.unmapped.len() + s.overridden.len(),
        "{label}: one line per note"
    );
}

// ---------------------------------------------------------------------------------------
// Completeness

/// Leaves of a tree, by their dotted path (`a.b[0].c`), with `visit` for each.
pub(crate) fn leaves(root: &Node, mut visit: impl FnMut(String, &Node)) {
    let mut stack: Vec<(String, &Node)> = vec![(String::new(), root)];
    while let Some((path, node)) = stack.pop() {
        if node.is_leaf() {
            visit(path.clone(), node);
        }
        match &node.kind {
            Kind::Scalar(_) => {}
            Kind::Seq(items) => {
                for (i, c) in items.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), c));
                }
            }
            Kind::Map(entries) => {
                for e in entries {
                    let p = if path.is_empty() {
                        e.key.clone()
                    } else {
                        format!("{path}.{}", e.key)
                    };
                    stack.push((p, &e.value));
                }
            }
        }
    }
}

pub(crate) fn under(leaf: &str, note: &str) -> bool {
    leaf == note
        || leaf
            .strip_prefix(note)
            .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
}

#[test]
fn every_guide_leaf_is_accounted_for() {
    for (case, conv) in conversions() {
        // (file, leaf path) of every leaf of the trees the mapper was given, counted here.
        let model = common::model_of(&case);
        let all = model_leaves(&model);
        let c = conv.scenario.counts;
        assert_eq!(
            c.mapped + c.defaulted + c.framework + c.unmapped,
            all.len(),
            "{}: counts {c} vs {} leaves",
            case.label,
            all.len()
        );
        // Each leaf counted unmapped lies under a note of the "Not mapped" block (the deepest
        // note over a leaf decides), and the block shows every unmapped note.
        let s = &conv.scenario;
        let block = conv
            .scenario_text
            .split_once("# Not mapped: ")
            .map_or("", |(_, b)| b);
        for n in &s.unmapped {
            let o = &n.origin;
            let range = if o.first == o.last {
                format!("{}", o.first)
            } else {
                format!("{}-{}", o.first, o.last)
            };
            let want = format!("#   {} ({}:{range}): ", n.path, o.file);
            assert!(
                block.contains(&want),
                "{}: {want:?} not in the Not mapped block",
                case.label
            );
        }
        assert_eq!(
            unmapped_leaves(s, &all),
            c.unmapped,
            "{}: leaves under Not mapped notes vs the unmapped count",
            case.label
        );
    }
}

/// (file, path) of every leaf of the trees the mapper was given, counted independently.
pub(crate) fn model_leaves(model: &guide::Model) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for root in &model.roots {
        leaves(root, |p, node| {
            let file = model
                .sources
                .get(node.src)
                .map(|d| d.file.clone())
                .unwrap_or_default();
            all.push((file, p));
        });
    }
    all
}

/// How many of `all` lie under a "Not mapped" note (the deepest note over a leaf decides).
pub(crate) fn unmapped_leaves(s: &Scenario, all: &[(String, String)]) -> usize {
    all.iter()
        .filter(|(file, leaf)| {
            let deepest = s
                .framework
                .iter()
                .map(|n| (n, false))
                .chain(s.unmapped.iter().map(|n| (n, true)))
                .filter(|(n, _)| n.origin.file == *file && under(leaf, &n.path))
                .max_by_key(|(n, _)| n.path.len());
            matches!(deepest, Some((_, true)))
        })
        .count()
}

// ---------------------------------------------------------------------------------------
// Determinism

/// Today's date as YYYY-MM-DD (UTC), without a date library.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let z = secs / 86_400 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn conversions_are_deterministic_and_undated() {
    let today = today();
    let first = conversions();
    let second = conversions();
    for ((case, a), (_, b)) in first.iter().zip(&second) {
        assert_eq!(a.scenario_text, b.scenario_text, "{}", case.label);
        assert!(
            !a.scenario_text.contains(&today),
            "{}: holds today's date",
            case.label
        );
        let clock = a.scenario_text.as_bytes().windows(8).any(|w| {
            w.iter().enumerate().all(|(i, c)| {
                if i == 2 || i == 5 {
                    *c == b':'
                } else {
                    c.is_ascii_digit()
                }
            })
        });
        assert!(!clock, "{}: holds a time of day", case.label);
    }
    let exp = |_: ()| {
        experiment_case(
            "pd-disaggregation",
            Some("shared_prefix_synthetic"),
            vec![
                Variation::parse_flag("decode_replicas=1..4").expect("range"),
                Variation::list("question_len", "100,300").expect("list"),
            ],
        )
    };
    let (a, b) = (exp(()), exp(()));
    assert_eq!(a.scenario_text, b.scenario_text);
    assert_eq!(a.experiment_text, b.experiment_text);
}

// ---------------------------------------------------------------------------------------
// Facts the guides state

#[test]
fn pd_disaggregation_model_and_replicas() {
    let c = pd();
    let s = &c.scenario;
    assert_eq!(
        text_of(s, "LLMDBENCH_DEPLOY_MODEL_LIST"),
        "openai/gpt-oss-120b"
    );
    // decode.replicas: 1 equals the default: not exported, listed as defaulted.
    assert!(
        s.export("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS")
            .is_none()
    );
    let d = s
        .defaulted
        .iter()
        .find(|(v, _, _)| v == "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS")
        .expect("decode replicas defaulted");
    assert_eq!(d.1, "1");
    assert_eq!(d.2.lines, vec!["  replicas: 1".to_string()]);
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS"),
        "4"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_COMMON_PVC_MODEL_CACHE_SIZE"),
        "250Gi"
    );
}

#[test]
fn pd_disaggregation_vllm_settings() {
    let c = pd();
    let s = &c.scenario;
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM"),
        "4"
    );
    assert_eq!(text_of(s, "LLMDBENCH_VLLM_COMMON_BLOCK_SIZE"), "128");
    assert_eq!(text_of(s, "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN"), "32000");
    for stage in ["DECODE", "PREFILL"] {
        assert_eq!(
            text_of(
                s,
                &format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_MODEL_COMMAND")
            ),
            "custom"
        );
        assert_eq!(
            text_of(
                s,
                &format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_NETWORK_RESOURCE")
            ),
            "rdma/ib"
        );
    }
}

#[test]
fn pd_disaggregation_kv_transfer_config_verbatim() {
    let c = pd();
    let lines = command_of(&c.scenario, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS");
    assert!(
        lines.contains(
            &r#"--kv-transfer-config '{"kv_connector":"NixlConnector", "kv_role":"kv_both"}'"#
                .to_string()
        ),
        "{lines:#?}"
    );
    let words = common::sh_words(&lines.join(" "));
    let at = words
        .iter()
        .position(|w| w == "--kv-transfer-config")
        .expect("flag");
    assert_eq!(
        words[at + 1],
        r#"{"kv_connector":"NixlConnector", "kv_role":"kv_both"}"#
    );
    assert_eq!(
        lines.first().map(String::as_str),
        Some("REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_PREPROCESS;")
    );
}

#[test]
fn pd_disaggregation_plugins_and_charts() {
    let c = pd();
    let s = &c.scenario;
    let name = text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE");
    assert_ne!(
        name, "pd-config.yaml",
        "a preset name would replace the guide's plugins"
    );
    let plugins = file_of(s, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS");
    assert!(plugins.starts_with(&format!("{name}: |\n")), "{plugins}");
    assert!(plugins.contains("  - type: pd-profile-handler\n"));
    assert_eq!(text_of(s, "LLMDBENCH_VLLM_INFRA_CHART_VERSION"), "v1.3.6");
    assert_eq!(text_of(s, "LLMDBENCH_VLLM_GAIE_CHART_VERSION"), "v1.3.0");
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_CHART_VERSION"),
        "v0.4.5"
    );
}

#[test]
fn inference_scheduling_facts() {
    let c = guide("inference-scheduling");
    let s = &c.scenario;
    assert_eq!(text_of(s, "LLMDBENCH_DEPLOY_MODEL_LIST"), "Qwen/Qwen3-32B");
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
        "8"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_TENSOR_PARALLELISM"),
        "2"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS"),
        "0"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM"),
        "20Gi"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_NR"),
        "32"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_MEM"),
        "100Gi"
    );
    let vols = file_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_VOLUMES");
    assert!(vols.contains("sizeLimit: REPLACE_ENV_LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM"));
}

#[test]
fn precise_prefix_kv_events_config_is_one_line_of_json() {
    let c = guide("precise-prefix-cache-aware");
    let lines = command_of(&c.scenario, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS");
    let line = lines
        .iter()
        .find(|l| l.starts_with("--kv-events-config "))
        .unwrap_or_else(|| panic!("no --kv-events-config line in {lines:#?}"));
    assert!(!line.contains('\n'));
    let words = common::sh_words(line);
    assert_eq!(words.len(), 2, "{words:?}");
    let json = &words[1];
    assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
    // JSON is YAML: parse it as a flow mapping.
    let doc = yaml::parse_one("kv-events-config", json).unwrap_or_else(|e| panic!("{json}: {e}"));
    let get = |k: &str| doc.root.get(k).and_then(Node::as_str).map(str::to_string);
    assert_eq!(get("enable_kv_cache_events").as_deref(), Some("true"));
    assert_eq!(get("publisher").as_deref(), Some("zmq"));
    // The publisher names the EPP service llm-d-benchmark deploys (not the guide's helmfile
    // release `gaie-kv-events`), and the topic the model it deploys.
    assert_eq!(
        get("endpoint").as_deref(),
        Some(
            "tcp://REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_SERVICE_NAME.$(NAMESPACE).svc.cluster.local:5557"
        )
    );
    assert_eq!(
        get("topic").as_deref(),
        Some("kv@$(POD_IP)@REPLACE_ENV_LLMDBENCH_DEPLOY_CURRENT_MODEL")
    );
}

#[test]
fn precise_prefix_env_and_plugins() {
    let c = guide("precise-prefix-cache-aware");
    let s = &c.scenario;
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_COMMON_VLLM_LOGGING_LEVEL"),
        "DEBUG"
    );
    let env = file_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_ENVVARS_TO_YAML");
    let doc = yaml::parse_one("env", env).expect("env YAML");
    let names: Vec<&str> = doc
        .root
        .as_seq()
        .expect("a list")
        .iter()
        .filter_map(|e| e.get("name").and_then(Node::as_str))
        .collect();
    for want in [
        "GAIE_RELEASE_NAME_POSTFIX",
        "NAMESPACE",
        "POD_IP",
        "TRITON_CACHE_DIR",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_GAIE_PLUGINS_CONFIGFILE"),
        "precise-prefix-cache-config.yaml"
    );
    // The helmfile's default environment picks gaie-kv-events, not the disaggregated one.
    let gaie: Vec<&str> = s
        .exports
        .iter()
        .flat_map(|e| &e.origins)
        .map(|o| o.file.as_str())
        .filter(|f| f.starts_with("gaie-"))
        .collect();
    assert!(
        gaie.iter().all(|f| *f == "gaie-kv-events/values.yaml"),
        "{gaie:?}"
    );
}

#[test]
fn simulated_accelerators_facts() {
    let c = guide("simulated-accelerators");
    let s = &c.scenario;
    for stage in ["DECODE", "PREFILL"] {
        assert_eq!(
            text_of(
                s,
                &format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_MODEL_COMMAND")
            ),
            "imageDefault"
        );
        // imageDefault runs the image's own command with the guide's args: none here, and
        // not llm-d-benchmark's default vLLM flags (the simulator refuses them).
        assert_eq!(
            text_of(
                s,
                &format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_EXTRA_ARGS")
            ),
            ""
        );
        assert_eq!(
            text_of(
                s,
                &format!("LLMDBENCH_VLLM_MODELSERVICE_{stage}_ACCELERATOR_NR")
            ),
            "0",
            "the simulator requests no accelerator"
        );
    }
    assert_eq!(text_of(s, "LLMDBENCH_DEPLOY_MODEL_LIST"), "random");
    // No download job for a model that does not exist.
    assert_eq!(text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_URI_PROTOCOL"), "hf");
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
        "3"
    );
    assert_eq!(
        text_of(s, "LLMDBENCH_LLMD_IMAGE_NAME"),
        "llm-d-inference-sim"
    );
    assert_eq!(text_of(s, "LLMDBENCH_LLMD_IMAGE_TAG"), "v0.7.1");
}

#[test]
fn workload_autoscaling_facts() {
    let c = guide("workload-autoscaling");
    let s = &c.scenario;
    assert_eq!(text_of(s, "LLMDBENCH_DEPLOY_MODEL_LIST"), "Qwen/Qwen3-0.6B");
    assert_eq!(
        text_of(s, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
        "2"
    );
    assert_eq!(text_of(s, "LLMDBENCH_WVA_CHART_VERSION"), "~0.5.0");
    // `~` must not be expanded by bash.
    assert!(
        c.scenario_text
            .contains("export LLMDBENCH_WVA_CHART_VERSION='~0.5.0'\n")
    );
}

#[test]
fn workload_and_work_dir_exports() {
    for g in common::HELM_GUIDES {
        let c = guide(g);
        let s = &c.scenario;
        assert_eq!(text_of(s, "LLMDBENCH_HARNESS_NAME"), "inference-perf");
        assert_eq!(
            text_of(s, "LLMDBENCH_HARNESS_EXPERIMENT_PROFILE"),
            "sanity_random.yaml"
        );
        assert_eq!(
            s.export("LLMDBENCH_CONTROL_WORK_DIR").map(|e| &e.value),
            Some(&Value::Home(format!("data/{g}")))
        );
    }
}

#[test]
fn models_match_model_artifacts_name() {
    let mut seen = BTreeMap::new();
    for (case, conv) in conversions() {
        for rel in common::ms_files(&case) {
            let doc = yaml::parse_one(&rel, &read(&case.root.join(&rel))).expect("parse");
            if let Some(name) = doc.root.at("modelArtifacts.name").and_then(Node::as_str) {
                assert_eq!(
                    text_of(&conv.scenario, "LLMDBENCH_DEPLOY_MODEL_LIST"),
                    name,
                    "{}",
                    case.label
                );
                seen.insert(case.label.clone(), name.to_string());
            }
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
}
