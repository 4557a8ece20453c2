//! The llm-d-benchmark v2 scenario (`config/scenarios/guides/<name>.yaml`): one stack, only
//! the keys whose value differs from the checkout's `config/templates/values/defaults.yaml`,
//! each with the guide lines it came from; then the accounting of every other guide value.
//!
//! The keys written are those the 2026-05-01 templates read (`13_ms-values.yaml.j2`,
//! `12_gaie-values.yaml.j2`, `_macros.j2`); the mapping from model fields to keys is the
//! tables below.

mod autoscaling;
mod command;
mod model_keys;
mod rest;
mod router;
mod stages;
mod tables;
mod text;

use std::path::Path;

use crate::error::{Error, Result};
use crate::model::scenario::{Counts, Origin};
use crate::model::{Deployment, Sourced};
use crate::read::yaml::{self, Node};
use command::generated_flags;
use model_keys::{images, model};
use rest::rest_leaf;
use router::{coupled, router, routing};
use stages::stage_keys;
use tables::{BUILTIN_DEFAULTS, key};
use text::render;

/// The defaults file of a v2 checkout, relative to its root.
pub const DEFAULTS_FILE: &str = "config/templates/values/defaults.yaml";

/// The defaults a scenario is compared with.
#[derive(Debug, Clone)]
pub struct V2Defaults {
    tree: Option<Node>,
    /// Said in the header: where the defaults came from.
    pub describe: String,
}

impl V2Defaults {
    /// The checkout's `defaults.yaml`.
    pub fn load(bench_dir: &Path) -> Result<V2Defaults> {
        let path = bench_dir.join(DEFAULTS_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Read {
            path: path.clone(),
            source: e,
        })?;
        let doc = yaml::parse_one(&path.display().to_string(), &text)?;
        Ok(V2Defaults {
            tree: Some(doc.root),
            describe: format!("{} of {}", DEFAULTS_FILE, bench_dir.display()),
        })
    }

    pub fn builtin() -> V2Defaults {
        V2Defaults {
            tree: None,
            describe: "built-in table of llm-d-benchmark 2026-05-01 defaults".into(),
        }
    }

    /// The default scalar at a dotted path, as text.
    pub fn get(&self, path: &str) -> Option<String> {
        match &self.tree {
            Some(t) => {
                let mut n = t;
                for part in path.split('.') {
                    n = n.get(part)?;
                }
                n.as_scalar().map(|s| s.value.clone())
            }
            None => BUILTIN_DEFAULTS
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, v)| v.to_string()),
        }
    }
}

/// What the scenario is for.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub name: &'a str,
    /// "Based on ..." text.
    pub origin: &'a str,
    pub variant: Option<&'a str>,
    pub harness: &'a str,
    pub profile: &'a str,
}

/// The files of a v2 conversion.
#[derive(Debug, Clone)]
pub struct V2Scenario {
    pub text: String,
    /// `config/specification/guides/<name>.yaml.j2`.
    pub specification: String,
    pub counts: Counts,
    pub warnings: Vec<crate::diag::Diagnostic>,
    /// The guide's scalar values by key path (written or equal to the default): the centers
    /// of a one-factor-at-a-time experiment.
    pub values: std::collections::BTreeMap<String, String>,
}

/// A value to write.
#[derive(Debug, Clone)]
enum Val {
    /// A scalar typed as YAML reads it plain (number, boolean) when it is one.
    Typed(String),
    /// Always a string.
    Str(String),
    /// A literal block (`|`).
    Block(String),
    /// A guide subtree, written as it is.
    Tree(Node),
    List(Vec<Val>),
}

#[derive(Debug, Clone)]
struct Out {
    path: String,
    val: Val,
    origins: Vec<Origin>,
    note: Option<String>,
}

struct Writer<'a> {
    defaults: &'a V2Defaults,
    out: Vec<Out>,
    defaulted: Vec<(String, String, Origin)>,
    handled: Vec<(String, Origin, String)>,
    unmapped: Vec<(String, Origin, String)>,
    warnings: Vec<crate::diag::Diagnostic>,
}

impl<'a> Writer<'a> {
    /// A warning of the v2 writer, for the user and the scenario header.
    fn warn(&mut self, message: String) {
        self.warnings
            .push(crate::diag::Diagnostic::warning("v2", message));
    }

    /// Write `path: val` unless a scalar equals the default.
    fn put(&mut self, path: &str, val: Val, origins: Vec<Origin>, note: Option<String>) {
        if let Val::Typed(v) | Val::Str(v) = &val
            && let Some(d) = self.defaults.get(path)
            && same_scalar(&d, v)
        {
            for o in origins {
                self.defaulted.push((path.to_string(), v.clone(), o));
            }
            return;
        }
        if let Some(existing) = self.out.iter_mut().find(|o| o.path == path) {
            let same = match (&existing.val, &val) {
                (Val::Typed(a) | Val::Str(a), Val::Typed(b) | Val::Str(b)) => same_scalar(a, b),
                _ => false,
            };
            if same {
                existing.origins.extend(origins);
            } else {
                let why = format!(
                    "not expressible: {path} has one value, already written from another place of the guide"
                );
                for o in origins {
                    self.unmapped.push((path.to_string(), o, why.clone()));
                }
            }
            return;
        }
        self.out.push(Out {
            path: path.to_string(),
            val,
            origins,
            note,
        });
    }

    fn put_s(&mut self, path: &str, v: &Sourced<String>) {
        self.put(
            path,
            Val::Typed(v.value.clone()),
            vec![v.origin.clone()],
            None,
        );
    }

    fn handled(&mut self, what: &str, origin: &Origin, why: &str) {
        self.handled
            .push((what.to_string(), origin.clone(), why.to_string()));
    }

    fn unmapped(&mut self, what: &str, origin: &Origin, why: &str) {
        self.unmapped
            .push((what.to_string(), origin.clone(), why.to_string()));
    }
}

fn same_scalar(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

/// Write the v2 scenario of `d`.
pub fn scenario(d: &Deployment, defaults: &V2Defaults, meta: &Meta<'_>) -> V2Scenario {
    let mut w = Writer {
        defaults,
        out: Vec::new(),
        defaulted: Vec::new(),
        handled: Vec::new(),
        unmapped: Vec::new(),
        warnings: Vec::new(),
    };
    model(&mut w, d);
    images(&mut w, d);
    for stage in [&d.decode, &d.prefill] {
        stage_keys(&mut w, d, stage);
    }
    generated_flags(&mut w, d);
    routing(&mut w, d);
    router(&mut w, d);
    coupled(&mut w, d);
    autoscaling::autoscaling(&mut w, d);
    let used = rest::split_images(&mut w, &d.rest);
    for leaf in d.rest.iter().filter(|l| !used.contains(&l.path)) {
        rest_leaf(&mut w, leaf);
    }
    w.put(
        key::HARNESS_NAME,
        Val::Str(meta.harness.into()),
        vec![],
        None,
    );
    w.put(
        key::HARNESS_PROFILE,
        Val::Str(meta.profile.into()),
        vec![],
        None,
    );
    let counts = Counts {
        mapped: w.out.iter().map(|o| o.origins.len()).sum(),
        defaulted: w.defaulted.len(),
        framework: w.handled.len(),
        unmapped: w.unmapped.len(),
    };
    let text = render(&w, d, defaults, meta, &counts);
    let mut values: std::collections::BTreeMap<String, String> = w
        .defaulted
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    for o in &w.out {
        if let Val::Typed(v) | Val::Str(v) = &o.val {
            values.insert(o.path.clone(), v.clone());
        }
    }
    V2Scenario {
        text,
        specification: specification(meta.name),
        counts,
        warnings: w.warnings,
        values,
    }
}

/// The specification that ties defaults, templates and this scenario together.
pub fn specification(name: &str) -> String {
    format!(
        "# Specification of the {name} scenario, generated by convert-guide.\n\
         {{% set base_dir = base_dir | default('../') -%}}\n\
         base_dir: {{{{ base_dir }}}}\n\n\
         values_file:\n  path: {{{{ base_dir }}}}/{DEFAULTS_FILE}\n\n\
         template_dir:\n  path: {{{{ base_dir }}}}/config/templates/jinja\n\n\
         scenario_file:\n  path: {{{{ base_dir }}}}/config/scenarios/guides/{name}.yaml\n"
    )
}

/// Where the v2 files of `name` go under a checkout (or `--out`): the scenario, the
/// specification and the experiment.
pub fn targets(base: &Path, name: &str) -> [std::path::PathBuf; 3] {
    [
        base.join("config/scenarios/guides")
            .join(format!("{name}.yaml")),
        base.join("config/specification/guides")
            .join(format!("{name}.yaml.j2")),
        base.join("workload/experiments")
            .join(format!("{name}.yaml")),
    ]
}
