//! How a stage starts: the `vllm serve` command llm-d-benchmark generates (the guide's flags
//! as keys or additionalFlags), or the guide's own command.

use super::stages::at;
use super::tables::{FLAGS, FlagTo, SWITCHES, key, stage_key};
use super::{Val, Writer, same_scalar};
use crate::model::scenario::Origin;
use crate::model::vllm::{one_line, sh_word};
use crate::model::{Deployment, Engine, Stage};

/// How a stage starts: the command llm-d-benchmark generates (`vllm serve`, with the guide's
/// flags as model, vllmCommon and additionalFlags keys), or the guide's own command line.
pub(super) fn is_generated(d: &Deployment, s: &Stage) -> bool {
    let Some(c) = &s.command else {
        return false;
    };
    let mode = c.mode.as_ref().map(|m| m.value.as_str());
    d.engine == Engine::Vllm
        && c.script.is_none()
        && matches!(mode, Some("vllmServe" | "imageDefault") | None)
        && (c.program.is_empty() || c.program.iter().any(|p| p.value == "serve"))
}

/// The stage's own command when llm-d-benchmark cannot generate it.
pub(super) fn command(w: &mut Writer<'_>, d: &Deployment, s: &Stage) {
    let k = s.kind.key();
    let Some(c) = &s.command else {
        return;
    };
    if is_generated(d, s) {
        return;
    }
    let mode = c.mode.as_ref().map(|m| m.value.as_str());
    if mode == Some("imageDefault") {
        let m = c
            .mode
            .as_ref()
            .map(|m| m.origin.clone())
            .into_iter()
            .collect();
        w.put(
            &at(k, stage_key::MODEL_COMMAND),
            Val::Str("imageDefault".into()),
            m,
            None,
        );
        for f in &c.flags {
            w.unmapped(
                &format!("{k}.containers.0.args {}", f.name),
                &f.origin,
                "not expressible: with modelCommand imageDefault llm-d-benchmark passes no arguments",
            );
        }
        return;
    }
    // Custom command: the guide's command line, after llm-d-benchmark's preprocess step.
    let mut words: Vec<String> = c.program.iter().map(|p| sh_word(&p.value)).collect();
    words.extend(c.positional.iter().map(|p| sh_word(&p.value)));
    for f in &c.flags {
        words.push(flag_word(f));
    }
    let line = match &c.script {
        Some(script) => script.value.clone(),
        None => words.join(" "),
    };
    let mut origins: Vec<Origin> = c.program.iter().map(|p| p.origin.clone()).collect();
    origins.extend(c.flags.iter().map(|f| f.origin.clone()));
    origins.extend(c.script.iter().map(|s| s.origin.clone()));
    origins.dedup();
    w.put(
        &at(k, stage_key::CUSTOM_COMMAND),
        Val::Block(line),
        origins,
        Some(format!(
            "the guide's {} command, run after llm-d-benchmark's preprocess script",
            d.engine.name()
        )),
    );
}

/// The guide's setup commands run after llm-d-benchmark's preprocess script, in the same
/// shell as the server (variables they set reach its command line).
pub(super) fn setup(w: &mut Writer<'_>, s: &Stage) {
    if s.setup.is_empty() {
        return;
    }
    let mut lines = vec![
        w.defaults
            .get(key::PREPROCESS_SCRIPT)
            .unwrap_or_else(|| "/bin/true".into()),
    ];
    let mut origins = Vec::new();
    for item in &s.setup {
        match item.value.as_str().filter(|t| !t.contains(['\n', '\r', '\0'])) {
            Some(t) => {
                lines.push(t.trim().trim_end_matches(';').to_string());
                origins.push(item.origin.clone());
            }
            None => w.unmapped(
                &format!("{}.containers.0.scriptSetup", s.kind.key()),
                &item.origin,
                "not expressible: a setup command must fit on one line of the command llm-d-benchmark runs",
            ),
        }
    }
    if !origins.is_empty() {
        w.put(
            &at(s.kind.key(), stage_key::PREPROCESS_COMMAND),
            Val::Str(lines.join("; ")),
            origins,
            Some("llm-d-benchmark's preprocess script, then the guide's setup commands".into()),
        );
    }
}

/// `--flag value` as one additionalFlags word (the value shell-quoted).
pub(super) fn flag_word(f: &crate::model::Flag) -> String {
    match &f.value {
        // JSON written over several lines goes on one line (same value).
        Some(v) => format!(
            "{} {}",
            f.name,
            sh_word(&one_line(v).unwrap_or_else(|| v.clone()))
        ),
        None => f.name.clone(),
    }
}

/// A flag value bound for a key both stages share.
pub(super) struct Shared<'d> {
    key: &'static str,
    /// The key's values: (key, value) pairs it sets.
    sets: Vec<(String, String)>,
    flag: &'d crate::model::Flag,
}

/// The flags of the stages whose command llm-d-benchmark generates. A flag whose key is
/// shared (model.*, vllmCommon.*) goes there when every such stage passes the same value;
/// otherwise each stage passes it in its additionalFlags (vLLM takes the last of a repeated
/// flag, and additionalFlags come last).
pub(super) fn generated_flags(w: &mut Writer<'_>, d: &Deployment) {
    let stages: Vec<&Stage> = [&d.decode, &d.prefill]
        .into_iter()
        .filter(|s| s.created() && is_generated(d, s))
        .collect();
    let mut extra: Vec<Vec<&crate::model::Flag>> = Vec::new();
    let mut shared: Vec<Vec<Shared<'_>>> = Vec::new();
    for s in &stages {
        let (mine, own) = stage_flags(w, s);
        shared.push(mine);
        extra.push(own);
    }
    shared_keys(w, &shared, &mut extra);
    default_switches(w, &stages, &shared);
    additional_flags(w, &stages, &extra);
}

/// One stage's flags: those bound for a shared key, and those it passes itself.
fn stage_flags<'d>(
    w: &mut Writer<'_>,
    s: &'d Stage,
) -> (Vec<Shared<'d>>, Vec<&'d crate::model::Flag>) {
    let k = s.kind.key();
    let mut mine = Vec::new();
    let mut extra = Vec::new();
    let Some(c) = &s.command else {
        return (mine, extra);
    };
    if c.mode.as_ref().is_some_and(|m| m.value == "imageDefault") {
        let o = c.mode.as_ref().map(|m| m.origin.clone());
        if let Some(o) = o {
            w.handled(
                &format!("{k}.containers.0.modelCommand"),
                &o,
                "the image's default command is vllm serve; llm-d-benchmark generates it with the guide's flags",
            );
        }
    }
    for p in &c.positional {
        w.handled(
            &format!("{k}.containers.0.args"),
            &p.origin,
            "llm-d-benchmark serves the model from its model volume",
        );
    }
    for f in &c.flags {
        let what = format!("{k}.containers.0.args {}", f.name);
        let rule = FLAGS.iter().find(|(n, _)| *n == f.name).map(|(_, r)| r);
        let one = |key: &'static str, v: &str| Shared {
            key,
            sets: vec![(key.to_string(), v.to_string())],
            flag: f,
        };
        match rule {
            Some(FlagTo::Key(key)) => match &f.value {
                Some(v) => mine.push(one(key, v)),
                None => extra.push(f),
            },
            Some(FlagTo::Switch(key)) => mine.push(one(key, "true")),
            Some(FlagTo::Bench(why)) => w.handled(&what, &f.origin, why),
            Some(FlagTo::Tensor) => {
                let given = s.parallelism.tensor.as_ref().map(|t| t.value.as_str());
                match (&f.value, given) {
                    (Some(v), None) => {
                        w.put(
                            &at(k, stage_key::TENSOR),
                            Val::Typed(v.clone()),
                            vec![f.origin.clone()],
                            None,
                        );
                    }
                    (Some(v), Some(g)) if same_scalar(v, g) => w.handled(
                        &what,
                        &f.origin,
                        "the command passes the stage's parallelism.tensor",
                    ),
                    _ => extra.push(f),
                }
            }
            Some(FlagTo::KvEvents) => {
                let s = one(key::KV_EVENTS_ENABLED, "true");
                mine.push(s);
            }
            Some(FlagTo::KvTransfer) => match kv_transfer(f) {
                Some(sets) => mine.push(Shared {
                    key: key::KV_TRANSFER,
                    sets,
                    flag: f,
                }),
                None => extra.push(f),
            },
            None => extra.push(f),
        }
    }
    (mine, extra)
}

/// Shared keys: written once when every generated stage agrees, else each stage passes
/// the flag itself.
fn shared_keys<'d>(
    w: &mut Writer<'_>,
    shared: &[Vec<Shared<'d>>],
    extra: &mut [Vec<&'d crate::model::Flag>],
) {
    let mut keys: Vec<&'static str> = shared.iter().flatten().map(|s| s.key).collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let per: Vec<Option<&Shared<'_>>> = shared
            .iter()
            .map(|m| m.iter().find(|s| s.key == key))
            .collect();
        let agree = per
            .iter()
            .all(|p| p.is_some_and(|p| Some(&p.sets) == per[0].map(|f| &f.sets)));
        if agree {
            let origins: Vec<Origin> = per
                .iter()
                .flatten()
                .map(|p| p.flag.origin.clone())
                .collect();
            let note = (key == key::KV_EVENTS_ENABLED).then(|| {
                "llm-d-benchmark writes the endpoint (its EPP service) and topic".to_string()
            });
            if let Some(first) = per[0] {
                for (k, v) in &first.sets {
                    w.put(k, Val::Typed(v.clone()), origins.clone(), note.clone());
                }
            }
        } else {
            for (i, p) in per.iter().enumerate() {
                if let Some(p) = p {
                    extra[i].push(p.flag);
                }
            }
        }
    }
}

/// Switches the generated command adds unless turned off, that not every stage passes.
fn default_switches(w: &mut Writer<'_>, stages: &[&Stage], shared: &[Vec<Shared<'_>>]) {
    for (key, flag) in SWITCHES {
        let everywhere =
            !stages.is_empty() && shared.iter().all(|m| m.iter().any(|s| s.key == *key));
        if !everywhere && w.defaults.get(key).as_deref() == Some("true") && !stages.is_empty() {
            w.put(
                key,
                Val::Typed("false".into()),
                Vec::new(),
                Some(format!(
                    "the guide's command does not pass {flag} in every stage"
                )),
            );
        }
    }
}

/// Each stage's own flags, in the guide's order.
fn additional_flags(w: &mut Writer<'_>, stages: &[&Stage], extra: &[Vec<&crate::model::Flag>]) {
    for (i, s) in stages.iter().enumerate() {
        if extra[i].is_empty() {
            continue;
        }
        let mut flags = extra[i].clone();
        flags.sort_by_key(|f| (f.origin.file.clone(), f.origin.first));
        flags.dedup_by(|a, b| a.name == b.name && a.value == b.value);
        w.put(
            &at(s.kind.key(), stage_key::ADDITIONAL_FLAGS),
            Val::List(flags.iter().map(|f| Val::Str(flag_word(f))).collect()),
            flags.iter().map(|f| f.origin.clone()).collect(),
            None,
        );
    }
}

/// `--kv-transfer-config` as vllmCommon.kvTransfer keys, when it holds only the connector
/// and the role (the template writes those two and extraConfig; anything else goes on the
/// command line as written).
pub(super) fn kv_transfer(f: &crate::model::Flag) -> Option<Vec<(String, String)>> {
    let json: serde_json::Value = serde_json::from_str(f.value.as_deref()?).ok()?;
    let map = json.as_object()?;
    if map.keys().any(|k| k != "kv_connector" && k != "kv_role") {
        return None;
    }
    let mut sets = vec![(key::KV_TRANSFER_ENABLED.to_string(), "true".to_string())];
    for (field, key) in [("kv_connector", "connector"), ("kv_role", "role")] {
        sets.push((
            format!("{}.{key}", key::KV_TRANSFER),
            map.get(field)?.as_str()?.to_string(),
        ));
    }
    Some(sets)
}
