//! Entry points of the fuzz targets (`fuzz/`) and of their regression tests
//! (`tests/it/fuzz.rs`): each takes arbitrary bytes, runs one reader of hostile input or the
//! whole conversion, and panics only when an invariant breaks. Errors are fine; a panic, a
//! hang or a blow-up is what fuzzing looks for. Not part of the tool's interface.

use std::collections::BTreeMap;
use std::path::Path;

use crate::bench::defaults::Defaults;
use crate::convert::{self, Bench, Request};
use crate::error::{Error, Result, is_deceptive};
use crate::experiment::check::{self, Context};
use crate::experiment::scenario_text::ScenarioText;
use crate::experiment::{TreatmentList, Variation};
use crate::load::source::{Entry, Opened, Role, Source};
use crate::model::vllm;
use crate::read::kustomize;
use crate::shell as ksh;
use crate::{experiment::grammar, read::guide, read::template};

/// A guide held in memory: relative path -> text; with a fallback, any other `.yaml` file
/// reads as it (so a helmfile's values and environment files exist, whatever their names).
struct Memory(BTreeMap<String, String>, Option<&'static str>);

impl Source for Memory {
    fn origin(&self) -> String {
        "fuzz".into()
    }

    fn read(&self, rel: &str) -> Result<String> {
        match (self.0.get(rel), self.1) {
            (Some(text), _) => Ok(text.clone()),
            (None, Some(fallback)) if rel.ends_with(".yaml") => Ok(fallback.to_string()),
            _ => Err(Error::Read {
                path: rel.into(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            }),
        }
    }

    fn list(&self, rel: &str) -> Result<Vec<String>> {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{}/", rel.trim_end_matches('/'))
        };
        let mut names: Vec<String> = self
            .0
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| match rest.split_once('/') {
                Some((dir, _)) => format!("{dir}/"),
                None => rest.to_string(),
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// What every scenario must be, whatever the guide: printable (no control, bidirectional
/// or separator character but newline and tab) and one `export` line per variable.
fn check_scenario(c: &convert::Conversion) {
    if let Some(ch) = c.scenario_text.chars().find(|ch| is_deceptive(*ch)) {
        panic!(
            "raw {ch:?} in the scenario:\n{}",
            c.scenario_text.escape_debug()
        );
    }
    for e in &c.scenario.exports {
        let line = format!("export {}=", e.var);
        let n = c
            .scenario_text
            .lines()
            .filter(|l| l.starts_with(&line))
            .count();
        assert_eq!(n, 1, "{}: {n} export lines", e.var);
    }
}

fn convert_opened(opened: &Opened, variant: Option<&str>) {
    let req = Request {
        variant: variant.map(str::to_string),
        ..Request::default()
    };
    if let Ok(c) = convert::convert_guide(opened, &Bench::builtin(), &req) {
        check_scenario(&c);
    }
}

/// The whole conversion of one values file: bytes -> guide -> scenario.
pub fn convert_values(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let rel = "ms-x/values.yaml".to_string();
    let opened = Opened {
        name: "fuzz".into(),
        source: Box::new(Memory(
            BTreeMap::from([(rel.clone(), text.to_string())]),
            None,
        )),
        entry: Entry::File {
            rel,
            role: Role::ModelService,
        },
    };
    convert_opened(&opened, None);
}

/// Values for every file a fuzzed helmfile names (environment files too).
const VALUES: &str = "modelArtifacts:\n  name: Qwen/Qwen3-0.6B\ndecode:\n  replicas: 2\n  containers:\n  - name: vllm\n    args: [\"--max-model-len\", \"8192\"]\ngateway:\n  provider: istio\n  service:\n    type: NodePort\nprovider:\n  name: gke\n";

/// The whole conversion of a guide folder whose helmfile is the input, for each of its
/// first environments: helmfile -> environments -> template -> releases -> scenario.
pub fn convert_helmfile(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let files = BTreeMap::from([
        ("helmfile.yaml.gotmpl".to_string(), text.to_string()),
        ("ms-x/values.yaml".to_string(), VALUES.to_string()),
        (
            "gaie-x/values.yaml".to_string(),
            "inferenceExtension:\n  replicas: 1\n".to_string(),
        ),
        (
            "env/values.yaml".to_string(),
            "gateway:\n  provider: istio\n  service:\n    type: NodePort\nflags: [a, b]\n"
                .to_string(),
        ),
    ]);
    let opened = Opened {
        name: "fuzz".into(),
        source: Box::new(Memory(files, Some(VALUES))),
        entry: Entry::Folder,
    };
    let Ok(variants) = guide::variants(&opened) else {
        return;
    };
    for v in variants.iter().take(3) {
        convert_opened(&opened, Some(v));
    }
}

/// The static reader of llm-d-benchmark's `setup/env.sh`.
pub fn env_sh(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(d) = Defaults::parse_env_sh(Path::new("env.sh"), &text) else {
        return;
    };
    let _ = d.describe();
    let names: Vec<String> = d.names().map(str::to_string).collect();
    for n in names.iter().take(64) {
        let _ = d.get(n);
        let _ = d.derived_from(n);
        let _ = d.is_default(n, "1");
    }
}

/// The helmfile template evaluator, with environment values to reach.
pub fn template(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let values = crate::read::yaml::parse_one(
        "env.yaml",
        "gateway:\n  provider: istio\n  n: 3\n  on: true\nlist: [a, 1, {b: c}]\nempty: {}\nf: 0.5\n",
    )
    .map(|d| template::from_yaml(&d.root))
    .unwrap_or_default();
    let ctx = template::Context {
        environment_name: "default".into(),
        environment_values: values,
        ..template::Context::default()
    };
    let _ = template::check("h.gotmpl", text, 1);
    if let Ok(out) = template::render("h.gotmpl", text, 1, &ctx) {
        assert!(out.text.len() <= template::MAX_OUTPUT_BYTES);
        assert_eq!(
            out.lines.len(),
            out.text.lines().count(),
            "one line entry per line"
        );
    }
}

/// The shell-command readers: vLLM args (`split_words`, `parse_args`, `one_line`),
/// custom scripts (`script_line`), and a scenario's heredocs and assignments
/// (`ScenarioText`, which check-experiment reads).
pub fn shell(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Some(words) = vllm::split_words(text) {
        // Quoting the words and reading them back gives the same words.
        let line: Vec<String> = words.iter().map(|w| vllm::sh_word(w)).collect();
        assert_eq!(
            vllm::split_words(&line.join(" ")).as_ref(),
            Some(&words),
            "{line:?}"
        );
        for a in vllm::parse_marked(&words, &[]) {
            assert!(a.items.iter().all(|i| *i < words.len()));
            let _ = a.canonical();
        }
    }
    if let Some(line) = vllm::script_line(text) {
        assert!(!line.contains('\n'), "{line:?}");
    }
    if let Some(line) = vllm::one_line(text) {
        assert!(!line.contains('\n'), "{line:?}");
    }
    let items: Vec<String> = text.split('\n').map(str::to_string).collect();
    let marks: Vec<bool> = (0..items.len()).map(|i| i % 3 == 1).collect();
    let _ = vllm::parse_marked(&items, &marks);
    let s = ScenarioText::new("s.sh", text);
    for var in [
        "LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS",
        "LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN",
        "A",
    ] {
        let _ = s.lines_containing_assignment(var);
        let _ = s.value_of(var);
        let _ = s.references(var);
        let _ = s.expansions(var);
        if let Some(h) = s.file_of(var) {
            let _ = s.heredoc_words(h);
        }
    }
    for n in 1..=s.lines.len().min(200) {
        let _ = s.heredoc_of(n);
        let _ = s.literal_value(n, "A");
    }
}

/// The experiment checker (an experiment file as input, with a real scenario), treatment
/// lists, `--vary` specs and the words after the source.
pub fn experiment(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let bench = Bench::builtin();
    let scenario = "export LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS=2\nexport LLMDBENCH_HARNESS_NAME=inference-perf\nexport LLMDBENCH_HARNESS_EXPERIMENT_PROFILE=shared_prefix_synthetic.yaml\nexport LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS=$(mktemp)\ncat << EOF > \"$LLMDBENCH_VLLM_MODELSERVICE_DECODE_EXTRA_ARGS\"\nvllm serve m \\\n--max-model-len REPLACE_ENV_LLMDBENCH_VLLM_COMMON_MAX_MODEL_LEN\nEOF\n";
    let ctx = Context {
        defaults: &bench.defaults,
        catalog: &bench.catalog,
        scenario: Some(ScenarioText::new("s.sh", scenario)),
    };
    let report = check::check("e.yaml", text, &ctx);
    let _ = report.summary();
    let _ = TreatmentList::parse("t.yaml", text);
    for line in text.lines().take(16) {
        let _ = Variation::parse_flag(line);
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let _ = grammar::parse(&words);
    }
}

/// The shell reader of kustomize guides' vLLM scripts: parse, expand with an environment,
/// list variables, evaluate arithmetic.
pub fn kustomize_shell(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let env = |n: &str| match n {
        "TP_SIZE" => Some("2".to_string()),
        "DP_SIZE_LOCAL" => Some("8".to_string()),
        "a" => Some("3".to_string()),
        _ => None,
    };
    if let Ok(commands) = ksh::parse(text) {
        for c in commands.iter().take(64) {
            for w in c.words.iter().take(256) {
                let _ = ksh::expand(w, &env);
                let _ = ksh::variables(w);
            }
        }
    }
    let _ = ksh::arithmetic(text, &env);
}

/// A vLLM Deployment in the shape of llm-d's `guides/recipes/vllm/base` (trimmed).
const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm-d-model-server
  labels:
    llm-d.ai/role: decode
spec:
  replicas: 2
  selector:
    matchLabels:
      llm-d.ai/inference-serving: \"true\"
  template:
    metadata:
      labels:
        llm-d.ai/inference-serving: \"true\"
        llm-d.ai/role: decode
    spec:
      containers:
        - name: vllm
          image: INFERENCE_SERVER_IMAGE
          command: [/bin/bash, -c]
          args:
            - |-
              find /dev/shm -type f -delete
              exec vllm serve Qwen/Qwen3-0.6B --port 8000 --tensor-parallel-size $TP_SIZE --max-model-len 8192
          env:
            - name: TP_SIZE
              value: \"2\"
          resources:
            limits: {nvidia.com/gpu: 2}
            requests: {nvidia.com/gpu: 2, memory: 64G}
          volumeMounts:
            - {mountPath: /dev/shm, name: shm}
      volumes:
        - name: shm
          emptyDir: {medium: Memory, sizeLimit: 16Gi}
";

/// The kustomize builder and the conversion of a kustomize guide, whose top kustomization
/// is the input (a base with the Deployment above, a patch file and GAIE values are there).
pub fn kustomize(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let files = BTreeMap::from([
        ("kustomization.yaml".to_string(), text.to_string()),
        (
            "base/kustomization.yaml".to_string(),
            "resources:\n  - deployment.yaml\nimages:\n  - name: INFERENCE_SERVER_IMAGE\n    newName: ghcr.io/llm-d/llm-d-cuda\n    newTag: v0.5.0\n".to_string(),
        ),
        ("base/deployment.yaml".to_string(), DEPLOYMENT.to_string()),
        (
            "patch.yaml".to_string(),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: llm-d-model-server\nspec:\n  replicas: 4\n".to_string(),
        ),
        (
            "inferencepool.values.yaml".to_string(),
            "inferenceExtension:\n  replicas: 1\n".to_string(),
        ),
    ]);
    let source = Memory(files, None);
    let _ = kustomize::build(&source, "", kustomize::Options::default());
    let opened = Opened {
        name: "fuzz".into(),
        source: Box::new(source),
        entry: Entry::Folder,
    };
    convert_opened(&opened, None);
}
