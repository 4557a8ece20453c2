//! Mapping: guide values (YAML trees with lines) -> scenario exports, by the rules in [`rules`].
//!
//! Every leaf of every guide file ends in exactly one place: mapped to a variable, equal to
//! the benchmark default, handled by llm-d-benchmark itself, or unmapped with the reason.
//! The mapper records that per node ([`Fate`]); the counts and notes come from those records.

mod accelerator;
mod command;
mod emit;
mod fit;
mod flags;
mod handlers;
mod plugins;
pub mod rules;
mod sidecars;
mod stage;
pub(crate) mod vars;

use std::collections::{BTreeSet, HashMap};

use crate::bench::defaults::Defaults;
use crate::model::scenario::{Counts, Export, Note, Origin, Scenario, Value};
use crate::model::{Deployment, Sourced, Stage};
use crate::read::yaml::{Doc, Kind, Node};
use rules::{Action, ImageVars, RULES};

/// What a rule row asks for beyond a plain copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// The served model (`ModelSpec::name`), into its variable.
    Model(&'static str),
    /// The routing proxy's image (`Proxy::image`), into its variables.
    Image(&'static ImageVars),
    /// The stage's image (`Stage::image`), into its variables.
    StageImage(&'static ImageVars),
    /// The EPP image's hub, name and tag (`Router::image_parts`), into its variables.
    GaieImage(&'static ImageVars),
    /// `accelerator.type` (`Deployment::accelerator_type`), as the resource it requests.
    AcceleratorType(&'static str),
    /// `Stage::create`: the stage's replica variable.
    Create(&'static str),
    /// `Stage::replicas`, into the stage's variable.
    Replicas(&'static str),
    /// One axis of `Stage::parallelism`, into the stage's variable.
    Parallelism(Axis, &'static str),
    Annotations(&'static str),
    Resources,
    /// A node selector: llm-d-benchmark's affinity takes one `key:value`.
    NodeSelector,
    /// A boolean written as Python's True/False (how setup/env.sh spells them).
    PyBool(&'static str),
    /// A boolean written as 1/0.
    Switch(&'static str),
    /// `scheme://host:port`: the URL without the port, and the port (`..._PORT`).
    UrlWithPort(&'static str),
    ContainerConfig,
    /// `routing.proxy.enabled` (`Proxy::enabled`): the routing sidecar's variable, where
    /// the checkout can turn it off.
    RoutingSidecar(&'static str),
    /// `inferenceExtension.flags.v` (`Router::flags`): the EPP's log verbosity variable.
    EppVerbosity(&'static str),
    /// The EPP's tokenizer sidecar and its socket volume.
    GaieSidecar,
    /// A pod affinity: a required node label is llm-d-benchmark's affinity; anything else
    /// is unmapped with the reason given.
    Affinity(&'static str),
    /// A stage's init containers: a YAML list file, where the checkout has the variable.
    InitContainers(&'static str),
    /// A gateway class or GAIE provider (`Deployment::gateway_class`): one llm-d-benchmark
    /// installs (rules::GATEWAY_CLASSES), into the variable.
    GatewayClass(&'static str),
    /// Kept for a later step that needs several values at once (the vLLM command, env,
    /// volumes, plugins).
    Collect,
}

/// An axis of a stage's parallelism (`model::Parallelism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Tensor,
    Data,
    DataLocal,
    Workers,
}

/// What happened to a node (and the leaves under it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Mapped(String),
    Defaulted(String),
    Framework(String),
    Unmapped(String),
}

/// Why a guide value holding a `REPLACE_ENV_` token is written nowhere. llm-d-benchmark
/// replaces every such token in the files a scenario writes (and in values it pastes into
/// them) by the named variable's value, and its format has no escape: the guide could read
/// any variable (a token) or change what the benchmark deploys.
pub const TOKEN_REFUSED: &str = "refused: it holds REPLACE_ENV_, which llm-d-benchmark would replace by the value of one of its own variables (there is no escape)";

/// Whether a guide value may be exported as `var`: llm-d-benchmark pastes variable values
/// unquoted into shell command lines (`/bin/sh -c`) and into YAML, so an exported value is
/// made of letters, digits and `. _ / : = , + @ % ~ ^ -` only: nothing a shell or a YAML
/// reader treats specially there. `~` may only start a chart version (`~0.5.0`): elsewhere
/// a command line would expand it to a home folder. `None` when it may; else why not.
pub fn refusal(var: &str, text: &str) -> Option<String> {
    if text.contains('\0') {
        return Some("contains a NUL character, which a shell variable cannot hold".into());
    }
    if text.contains("REPLACE_ENV_") {
        return Some(TOKEN_REFUSED.into());
    }
    let inert = |c: char| c.is_ascii_alphanumeric() || "._/:=,+@%~^-".contains(c);
    if !text.chars().all(inert) {
        return Some(format!(
            "refused: {} holds characters other than letters, digits and . _ / : = , + @ % ~ ^ -, and llm-d-benchmark pastes {var} unquoted into shell commands and YAML",
            crate::error::excerpt(text, 60)
        ));
    }
    if text.starts_with('~') && !var.ends_with("_VERSION") {
        return Some(format!(
            "refused: a leading ~ would become a home folder where llm-d-benchmark pastes {var} into a command line"
        ));
    }
    None
}

/// Inputs of a mapping besides the guide itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Variables that must be exported even when equal to the default: the experiment's
    /// setup factors, so that e2e.sh finds exactly one `VAR=` line to rewrite.
    pub force: BTreeSet<String>,
    /// Names of llm-d-benchmark's GAIE presets (`setup/presets/gaie/*.yaml`).
    pub gaie_presets: Vec<String>,
}

/// A node as the walk found it: which tree it is in, and the line of its key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item<'a> {
    /// Index into the mapper's roots.
    pub doc: usize,
    pub key_line: Option<usize>,
    pub node: &'a Node,
}

pub(crate) struct Mapper<'a> {
    /// What the guide deploys: handlers read its typed fields.
    pub dep: &'a Deployment,
    /// The trees to map: one per chart (values merged from several files) or per file.
    pub roots: &'a [Node],
    /// The files the nodes came from (`Node::src` indexes this), for quoting lines.
    pub sources: &'a [Doc],
    pub defaults: &'a Defaults,
    pub options: &'a Options,
    pub guide_name: String,
    fates: HashMap<(usize, usize), Fate>,
    pub exports: Vec<Export>,
    /// Every variable given a value (exported or left at its equal default), for conflicts.
    values: HashMap<String, (Value, String)>,
    pub defaulted: Vec<(String, String, Origin)>,
    pub warnings: Vec<crate::diag::Diagnostic>,
    /// Nodes kept by [`Handler::Collect`], by path (e.g. `decode.containers.0.args`).
    pub collected: HashMap<String, Item<'a>>,
    /// Container fields for `..._EXTRA_CONTAINER_CONFIG`, per stage, in guide order.
    pub container_config: Vec<(&'static str, String, Item<'a>)>,
}

/// Map a deployment to a scenario (without workload settings, which the caller adds). The
/// walk goes over the values documents the deployment was read from (`dep.values`), so that
/// every leaf gets a fate; handlers read the typed fields.
pub fn map(dep: &Deployment, defaults: &Defaults, options: &Options, guide_name: &str) -> Scenario {
    let roots = &dep.values.roots;
    let mut m = Mapper {
        dep,
        roots,
        sources: &dep.values.sources,
        defaults,
        options,
        guide_name: guide_name.to_string(),
        fates: HashMap::new(),
        exports: Vec::new(),
        values: HashMap::new(),
        defaulted: Vec::new(),
        warnings: Vec::new(),
        collected: HashMap::new(),
        container_config: Vec::new(),
    };
    for (i, root) in roots.iter().enumerate() {
        m.walk(i, root);
    }
    m.finish_accelerator();
    m.finish_fit();
    m.finish_stages();
    m.finish_plugins();
    m.into_scenario()
}

impl<'a> Mapper<'a> {
    /// Walk a document, applying the first matching rule to each node; unmatched leaves stay
    /// without a fate (unmapped).
    fn walk(&mut self, doc: usize, root: &'a Node) {
        let mut stack: Vec<(Vec<String>, Item<'a>)> = vec![(
            Vec::new(),
            Item {
                doc,
                key_line: None,
                node: root,
            },
        )];
        while let Some((path, item)) = stack.pop() {
            if !path.is_empty()
                && let Some((rule, stage)) = find_rule(&path)
            {
                self.apply(rule.action, &path, stage, item);
                continue;
            }
            match &item.node.kind {
                Kind::Scalar(_) => {}
                Kind::Seq(items) => {
                    for (i, child) in items.iter().enumerate().rev() {
                        let mut p = path.clone();
                        p.push(i.to_string());
                        stack.push((
                            p,
                            Item {
                                doc,
                                key_line: None,
                                node: child,
                            },
                        ));
                    }
                }
                Kind::Map(entries) => {
                    for e in entries.iter().rev() {
                        let mut p = path.clone();
                        p.push(e.key.clone());
                        stack.push((
                            p,
                            Item {
                                doc,
                                key_line: Some(e.line),
                                node: &e.value,
                            },
                        ));
                    }
                }
            }
        }
    }

    fn apply(
        &mut self,
        action: Action,
        path: &[String],
        stage: Option<&'static str>,
        item: Item<'a>,
    ) {
        let stage_name = stage;
        match action {
            Action::Var(var) => {
                let var = stage_var(var, stage_name);
                match item.node.as_scalar() {
                    Some(s) if !s.is_null() => {
                        let value = s.value.clone();
                        self.set(&var, Value::Text(value), &[item], None);
                    }
                    _ => self.fate(
                        item,
                        Fate::Unmapped(format!("expected a single value for {var}")),
                    ),
                }
            }
            Action::Framework(why) => self.fate(item, Fate::Framework(why.to_string())),
            Action::Unmapped(why) => self.fate(item, Fate::Unmapped(why.to_string())),
            Action::Handle(handler) => {
                let key = path.join(".");
                self.handle(handler, &key, stage, item);
            }
        }
    }

    /// The model's stage of that name (`decode` or `prefill`).
    pub(crate) fn stage_model(&self, stage: &str) -> &'a Stage {
        match stage {
            "prefill" => &self.dep.prefill,
            _ => &self.dep.decode,
        }
    }

    /// The typed field's value when the model read it from the node the walk is at. The
    /// model holds one value per field, from the first tree that has the path; a second
    /// tree's copy of the path (another release's values) has no typed field of its own and
    /// is read from its node, so that a disagreement is still found.
    pub(crate) fn typed<'f, T>(
        &self,
        field: &'f Option<Sourced<T>>,
        item: Item<'_>,
    ) -> Option<&'f T> {
        field
            .as_ref()
            .filter(|f| f.origin == self.origin(item))
            .map(|f| &f.value)
    }

    /// A scalar's text: the typed field's (see [`Mapper::typed`]), else the node's.
    pub(crate) fn text_of(
        &self,
        field: &Option<Sourced<String>>,
        item: Item<'_>,
    ) -> Option<String> {
        self.typed(field, item)
            .cloned()
            .or_else(|| item.node.as_str().map(str::to_string))
    }

    /// Record the fate of a node (and so of all leaves under it that have none of their own).
    /// A node several variables come from keeps the strongest: a conflict (unmapped) over
    /// mapped over defaulted.
    pub fn fate(&mut self, item: Item<'a>, fate: Fate) {
        let rank = |f: &Fate| match f {
            Fate::Framework(_) => 0,
            Fate::Defaulted(_) => 1,
            Fate::Mapped(_) => 2,
            Fate::Unmapped(_) => 3,
        };
        let slot = self
            .fates
            .entry((item.node.src, item.node.id))
            .or_insert(Fate::Framework(String::new()));
        if rank(&fate) >= rank(slot) {
            *slot = fate;
        }
    }

    /// True, with the item refused (unmapped, and a warning), when a scalar or key under it
    /// holds a `REPLACE_ENV_` token: see [`TOKEN_REFUSED`].
    pub fn refuse_tokens(&mut self, item: Item<'a>) -> bool {
        let mut found = false;
        item.node.walk(|n| match &n.kind {
            Kind::Scalar(s) => found |= s.value.contains("REPLACE_ENV_"),
            Kind::Map(entries) => found |= entries.iter().any(|e| e.key.contains("REPLACE_ENV_")),
            Kind::Seq(_) => {}
        });
        if found {
            let o = self.origin(item);
            self.warn(format!(
                "{}:{}: not written: {TOKEN_REFUSED}",
                o.file, o.first
            ));
            self.fate(item, Fate::Unmapped(TOKEN_REFUSED.into()));
        }
        found
    }

    /// The lines an item spans, with its key.
    pub fn origin(&self, item: Item<'_>) -> Origin {
        let first = item.key_line.unwrap_or(item.node.line).min(item.node.line);
        self.origin_lines(item.node.src, first, item.node.end_line)
    }

    /// The item's lines, then the lines of any value under it that another source set (an
    /// overlay patch's list entry, a later values file's key): every value is cited where it
    /// is written.
    pub fn origins(&self, item: Item<'_>) -> Vec<Origin> {
        let main = self.origin(item);
        let (src, first, last) = (item.node.src, main.first, main.last);
        let mut elsewhere: Vec<(usize, usize, usize)> = Vec::new();
        item.node.walk(|n| {
            if n.is_leaf() && (n.src != src || n.line < first || n.end_line > last) {
                elsewhere.push((n.src, n.line, n.end_line));
            }
        });
        elsewhere.sort_unstable();
        let mut ranges: Vec<(usize, usize, usize)> = Vec::new();
        for (s, a, b) in elsewhere {
            match ranges.last_mut() {
                Some((ls, _, lb)) if *ls == s && a <= *lb + 1 => *lb = (*lb).max(b),
                _ => ranges.push((s, a, b)),
            }
        }
        let mut out = vec![main];
        out.extend(
            ranges
                .into_iter()
                .map(|(s, a, b)| self.origin_lines(s, a, b)),
        );
        out
    }

    pub fn origin_lines(&self, src: usize, first: usize, last: usize) -> Origin {
        Origin::in_source(self.sources, src, first, last)
    }

    /// A warning of the mapping, for the user and the scenario header.
    pub(crate) fn warn(&mut self, message: String) {
        self.warnings
            .push(crate::diag::Diagnostic::warning("mapping", message));
    }

    /// Export `var = value` from the given guide nodes, unless it equals the default.
    pub fn set(&mut self, var: &str, value: Value, from: &[Item<'a>], note: Option<String>) {
        if !self.defaults.is_known(var) {
            let why = format!(
                "{} defines no {var}, so nothing would read it",
                self.defaults.describe()
            );
            for item in from {
                self.fate(*item, Fate::Unmapped(why.clone()));
            }
            return;
        }
        if let Value::Text(t) = &value
            && let Some(why) = refusal(var, t)
        {
            for item in from {
                let o = self.origin(*item);
                self.warn(format!("{var} not set from {}:{}: {why}", o.file, o.first));
                self.fate(*item, Fate::Unmapped(why.clone()));
            }
            return;
        }
        let mut origins: Vec<Origin> = from.iter().flat_map(|i| self.origins(*i)).collect();
        // A flag and its value on one line (a kustomize guide's script) cite it once.
        origins.dedup();
        if let Some((earlier, place)) = self.values.get(var) {
            if *earlier == value {
                if let Some(existing) = self.exports.iter_mut().find(|e| e.var == var) {
                    existing.origins.append(&mut origins);
                }
                let fate = if self.exports.iter().any(|e| e.var == var) {
                    Fate::Mapped(var.to_string())
                } else {
                    Fate::Defaulted(var.to_string())
                };
                for item in from {
                    self.fate(*item, fate.clone());
                }
            } else {
                let why = format!(
                    "not expressible: {var} is already {} from {place}, and llm-d-benchmark has one value for it",
                    describe_value(earlier)
                );
                for item in from {
                    self.fate(*item, Fate::Unmapped(why.clone()));
                }
            }
            return;
        }
        let place = origins
            .first()
            .map(|o| format!("{}:{}", o.file, o.first))
            .unwrap_or_default();
        self.values.insert(var.to_string(), (value.clone(), place));
        if let Value::Text(text) = &value
            && self.defaults.is_default(var, text)
            && !self.options.force.contains(var)
        {
            if let Some(origin) = origins.into_iter().next() {
                self.defaulted.push((var.to_string(), text.clone(), origin));
            }
            for item in from {
                self.fate(*item, Fate::Defaulted(var.to_string()));
            }
            return;
        }
        for item in from {
            self.fate(*item, Fate::Mapped(var.to_string()));
        }
        self.exports.push(Export {
            var: var.to_string(),
            value,
            origins,
            note,
        });
    }

    /// Export a value that comes from no single guide node (a synthesized file or command).
    pub fn set_derived(
        &mut self,
        var: &str,
        value: Value,
        origins: Vec<Origin>,
        note: Option<String>,
    ) {
        if !self.defaults.is_known(var) {
            self.warn(format!(
                "{} defines no {var}; not exported",
                self.defaults.describe()
            ));
            return;
        }
        if let Value::Text(t) = &value
            && let Some(why) = refusal(var, t)
        {
            self.warn(format!("{var} not set: {why}"));
            return;
        }
        if let Some(existing) = self.exports.iter_mut().find(|e| e.var == var) {
            existing.value = value;
            existing.origins.extend(origins);
            return;
        }
        self.exports.push(Export {
            var: var.to_string(),
            value,
            origins,
            note,
        });
    }

    fn into_scenario(self) -> Scenario {
        let mut counts = Counts::default();
        let mut framework = Vec::new();
        let mut unmapped = Vec::new();
        for (i, root) in self.roots.iter().enumerate() {
            self.account(i, root, &mut counts, &mut framework, &mut unmapped);
        }
        Scenario {
            exports: self.exports,
            defaulted: self.defaulted,
            framework,
            unmapped,
            warnings: self.warnings,
            counts,
            ..Scenario::default()
        }
    }

    /// Give every leaf the fate of its nearest decided ancestor, count the leaves, and write
    /// one note per largest subtree that is handled by the benchmark or left unmapped.
    fn account(
        &self,
        doc: usize,
        root: &Node,
        counts: &mut Counts,
        framework: &mut Vec<Note>,
        unmapped: &mut Vec<Note>,
    ) {
        let decided = self.decided_subtrees(root);
        let mut stack = vec![Visit {
            path: String::new(),
            key_line: None,
            node: root,
            inherited: None,
            noted: None,
        }];
        while let Some(v) = stack.pop() {
            let own = self.fates.get(&(v.node.src, v.node.id));
            let fate = own.or(v.inherited);
            // A node with its own fate starts afresh; otherwise a note above covers it, as
            // long as it comes from the same file (merged values from another file are
            // quoted with their own note).
            let noted = v.noted.is_some_and(|src| src == v.node.src) && own.is_none();
            let note_here = !noted
                && match fate {
                    Some(Fate::Framework(_) | Fate::Unmapped(_)) => true,
                    None => !decided.contains(&(v.node.src, v.node.id)),
                    _ => false,
                };
            if note_here && !v.path.is_empty() {
                let origin = self.origin(Item {
                    doc,
                    key_line: v.key_line,
                    node: v.node,
                });
                let (reason, list) = match fate {
                    Some(Fate::Framework(r)) => (r.clone(), &mut *framework),
                    Some(Fate::Unmapped(r)) => (r.clone(), &mut *unmapped),
                    _ => (
                        "no llm-d-benchmark setting carries this value".to_string(),
                        &mut *unmapped,
                    ),
                };
                list.push(Note {
                    path: v.path.clone(),
                    origin,
                    reason,
                });
            }
            let noted = if noted || note_here {
                Some(v.node.src)
            } else {
                None
            };
            if v.node.is_leaf() {
                match fate {
                    Some(Fate::Mapped(_)) => counts.mapped += 1,
                    Some(Fate::Defaulted(_)) => counts.defaulted += 1,
                    Some(Fate::Framework(_)) => counts.framework += 1,
                    Some(Fate::Unmapped(_)) | None => counts.unmapped += 1,
                }
                continue;
            }
            v.push_children(&mut stack, fate, noted);
        }
    }

    /// Ids of the nodes with a fate somewhere in their subtree (one pass, no recursion).
    fn decided_subtrees(&self, root: &Node) -> std::collections::HashSet<(usize, usize)> {
        let mut order: Vec<(&Node, Option<usize>)> = Vec::new();
        let mut stack = vec![(root, None)];
        while let Some((node, parent)) = stack.pop() {
            let me = order.len();
            order.push((node, parent));
            match &node.kind {
                Kind::Scalar(_) => {}
                Kind::Seq(items) => stack.extend(items.iter().map(|c| (c, Some(me)))),
                Kind::Map(entries) => stack.extend(entries.iter().map(|e| (&e.value, Some(me)))),
            }
        }
        let mut decided = vec![false; order.len()];
        for i in (0..order.len()).rev() {
            let (node, parent) = order[i];
            decided[i] |= self.fates.contains_key(&(node.src, node.id));
            if let (true, Some(p)) = (decided[i], parent) {
                decided[p] = true;
            }
        }
        order
            .iter()
            .zip(decided)
            .filter(|(_, d)| *d)
            .map(|((n, _), _)| (n.src, n.id))
            .collect()
    }
}

/// A node on the accounting walk.
struct Visit<'n> {
    path: String,
    key_line: Option<usize>,
    node: &'n Node,
    inherited: Option<&'n Fate>,
    /// The file of the note written above this node, if any.
    noted: Option<usize>,
}

impl<'n> Visit<'n> {
    /// The node's children onto the walk's stack (in order), inheriting `fate` and `noted`.
    fn push_children(
        &self,
        stack: &mut Vec<Visit<'n>>,
        fate: Option<&'n Fate>,
        noted: Option<usize>,
    ) {
        match &self.node.kind {
            Kind::Scalar(_) => {}
            Kind::Seq(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push(Visit {
                        path: format!("{}[{i}]", self.path),
                        key_line: None,
                        node: child,
                        inherited: fate,
                        noted,
                    });
                }
            }
            Kind::Map(entries) => {
                for e in entries.iter().rev() {
                    let path = if self.path.is_empty() {
                        e.key.clone()
                    } else {
                        format!("{}.{}", self.path, e.key)
                    };
                    stack.push(Visit {
                        path,
                        key_line: Some(e.line),
                        node: &e.value,
                        inherited: fate,
                        noted,
                    });
                }
            }
        }
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Text(t) => crate::error::excerpt(t, 60),
        _ => "set".to_string(),
    }
}

/// Notes for values a later source replaced: where they were, and who replaced them.
pub fn overridden_notes(
    overridden: &[crate::read::values::Overridden],
    sources: &[Doc],
) -> Vec<Note> {
    overridden
        .iter()
        .map(|o| {
            let first = o.key_line.unwrap_or(o.node.line).min(o.node.line);
            let by = Origin::in_source(sources, o.by.src, o.by.line, o.by.line);
            Note {
                path: o.path.clone(),
                origin: Origin::in_source(sources, o.node.src, first, o.node.end_line),
                reason: format!("replaced by {}:{}", by.file, by.first),
            }
        })
        .collect()
}

/// `{STAGE}` in a variable name becomes the stage.
pub(crate) fn stage_var(var: &str, stage: Option<&str>) -> String {
    match stage {
        Some(s) => var.replace("{STAGE}", &s.to_ascii_uppercase()),
        None => var.to_string(),
    }
}

/// The rule paths split into segments once, in table order.
static RULE_PATHS: std::sync::LazyLock<Vec<(Vec<&'static str>, &'static rules::Rule)>> =
    std::sync::LazyLock::new(|| {
        RULES
            .iter()
            .map(|r| (r.path.split('.').collect(), r))
            .collect()
    });

/// The first rule whose path matches, and the stage its `{stage}` matched.
fn find_rule(path: &[String]) -> Option<(&'static rules::Rule, Option<&'static str>)> {
    RULE_PATHS.iter().find_map(|(parts, rule)| {
        if parts.len() != path.len() {
            return None;
        }
        let mut stage = None;
        for (pattern, seg) in parts.iter().zip(path) {
            match *pattern {
                "*" => {}
                "1+" if seg.parse::<usize>().is_ok_and(|i| i >= 1) => {}
                "{stage}" if seg == "decode" || seg == "prefill" => {
                    stage = Some(if seg == "decode" { "decode" } else { "prefill" })
                }
                p if p == seg => {}
                _ => return None,
            }
        }
        Some((*rule, stage))
    })
}

#[cfg(test)]
mod tests;
