//! `helmfile.yaml.gotmpl`: the guide's environments (its variants) and, rendered for one
//! environment the way helmfile renders it, the releases with their chart versions, values
//! sources and `set:` entries.
//!
//! The file is two YAML documents: `environments:` (plain YAML with anchors and merge keys)
//! and a Go template that renders `releases:`. Environment values are loaded and merged
//! with Helm semantics, then given to the template as `.Environment.Values`.

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::load::source::Source;
use crate::read::template::{self, Context};
use crate::read::values::{self, Overridden};
use crate::read::yaml::{self, Doc, Kind, Node};

/// The environments document and the release template, parsed and checked.
#[derive(Debug, Clone)]
pub struct Helmfile {
    file: String,
    text: String,
    environments: Vec<Environment>,
    template: String,
    /// Line of the file where the template starts.
    first_line: usize,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub values: Vec<EnvValue>,
}

#[derive(Debug, Clone)]
pub enum EnvValue {
    /// A values file, relative to the guide folder (often `../prereq/...`).
    File(String),
    /// A map written in the helmfile.
    Inline(Node),
}

/// Which chart a release deploys, by its `chart:` reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Infra,
    Gaie,
    ModelService,
    Wva,
    Other,
}

impl Chart {
    pub fn of(reference: &str) -> Chart {
        const CHARTS: &[(&str, Chart)] = &[
            ("llm-d-infra", Chart::Infra),
            ("inferencepool", Chart::Gaie),
            ("llm-d-modelservice", Chart::ModelService),
            ("workload-variant-autoscaler", Chart::Wva),
        ];
        CHARTS
            .iter()
            .find(|(c, _)| reference.contains(c))
            .map_or(Chart::Other, |(_, k)| *k)
    }

    /// The key under `chartVersions` the mapping rules know.
    pub fn key(self) -> &'static str {
        match self {
            Chart::Infra => "infra",
            Chart::Gaie => "gaie",
            Chart::ModelService => "modelservice",
            Chart::Wva => "wva",
            Chart::Other => "other",
        }
    }
}

/// One release of the rendered template. Nodes point into the rendered document.
#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub chart: Chart,
    /// The `version:` value, with the line of its key.
    pub version: Option<(Node, usize)>,
    pub values: Vec<ReleaseValue>,
    /// `set:` entries: dotted path, value, line of the entry (its `name:`).
    pub sets: Vec<(String, Node, usize)>,
}

#[derive(Debug, Clone)]
pub enum ReleaseValue {
    File(String),
    Inline(Node),
}

/// The helmfile rendered for one environment.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The rendered releases document; its lines quote the template's.
    pub doc: Doc,
    pub releases: Vec<Release>,
    /// Environment values files read (for provenance of values the template copied).
    pub warnings: Vec<Diagnostic>,
    /// The documents environment values come from (values files, the helmfile itself for
    /// inline values), in order: a value the template copies with `toYaml` points into them,
    /// as source `1 + index` (the rendered document is source 0).
    pub env_docs: Vec<Doc>,
}

/// Source index of the first environment document: the rendered document is 0.
pub const ENV_SRC_BASE: usize = 1;

/// Split the helmfile, read its environments and check the whole template (every branch).
pub fn parse(file: &str, text: &str) -> Result<Helmfile> {
    let (head, template, first_line) = split(text);
    let environments = match head {
        Some(head) => environments(&yaml::parse_one(file, head)?)?,
        None => Vec::new(),
    };
    // Every branch is checked now; render reports what it runs (readFile, ...).
    template::check(file, template, first_line)?;
    Ok(Helmfile {
        file: file.to_string(),
        text: text.to_string(),
        environments,
        template: template.to_string(),
        first_line,
    })
}

/// The environments document before the first `---` line, the template after it.
fn split(text: &str) -> (Option<&str>, &str, usize) {
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            return (Some(&text[..offset]), &text[offset + line.len()..], n + 2);
        }
        offset += line.len();
    }
    (None, text, 1)
}

fn environments(doc: &Doc) -> Result<Vec<Environment>> {
    let Some(envs) = doc.root.get("environments").and_then(Node::as_map) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in envs {
        let mut values = Vec::new();
        for v in e
            .value
            .get("values")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            match &v.kind {
                Kind::Scalar(s) => values.push(EnvValue::File(s.value.clone())),
                Kind::Map(_) => values.push(EnvValue::Inline(v.clone())),
                Kind::Seq(_) => {
                    return Err(Error::syntax(
                        &doc.file,
                        &doc.text,
                        v.line,
                        v.column,
                        "an environment value is a file name or a map",
                    ));
                }
            }
        }
        out.push(Environment {
            name: e.key.clone(),
            values,
        });
    }
    Ok(out)
}

impl Helmfile {
    pub fn environments(&self) -> &[Environment] {
        &self.environments
    }

    pub fn has_environment(&self, name: &str) -> bool {
        self.environments.iter().any(|e| e.name == name)
    }

    /// Render the releases for `environment`, reading its values files from `src`.
    pub fn render(&self, environment: &str, src: &dyn Source) -> Result<Rendered> {
        let env = self.environments.iter().find(|e| e.name == environment);
        if env.is_none() && !self.environments.is_empty() {
            let names: Vec<&str> = self.environments.iter().map(|e| e.name.as_str()).collect();
            return Err(Error::request(
                "variant",
                format!(
                    "{}: no environment {environment:?}; the guide declares: {}",
                    self.file,
                    names.join(", ")
                ),
            ));
        }
        let mut merged = empty_map();
        let mut ignored = Vec::new();
        let mut env_docs: Vec<Doc> = Vec::new();
        let mut inline_src = None;
        for value in env.map(|e| e.values.as_slice()).unwrap_or_default() {
            let mut node = match value {
                EnvValue::File(rel) => {
                    let doc = yaml::parse_one(rel, &src.read(rel)?)?;
                    let mut root = doc.root.clone();
                    root.set_src(ENV_SRC_BASE + env_docs.len());
                    env_docs.push(doc);
                    root
                }
                EnvValue::Inline(node) => node.clone(),
            };
            if matches!(value, EnvValue::Inline(_)) {
                // Inline values quote the helmfile's own lines.
                let at = *inline_src.get_or_insert_with(|| {
                    env_docs.push(Doc::new(&self.file, &self.text, node.clone()));
                    ENV_SRC_BASE + env_docs.len() - 1
                });
                node.set_src(at);
            }
            values::merge(&mut merged, node, "", &mut ignored);
        }
        let ctx = Context {
            environment_name: environment.to_string(),
            environment_values: template::from_yaml(&merged),
            // Environments share one budget: every variant together costs at most one.
            budget: template::Budget::share(self.environments.len()),
            ..Context::default()
        };
        let out = template::render(&self.file, &self.template, self.first_line, &ctx)?;
        let mut root = yaml::parse_one(&self.file, &out.text)
            .map_err(|e| self.rendered_error(environment, e))?
            .root;
        copied_from_environment(&mut root, &out.lines, &self.text, &merged);
        // The helmfile's own lines, for values set by a template variable.
        let own = ENV_SRC_BASE + env_docs.len();
        if from_variables(&mut root, &out.lines, &self.text, own) {
            env_docs.push(Doc::new(&self.file, &self.text, empty_map()));
        }
        let doc = Doc::rendered(&self.file, &out.text, root, out.lines, &self.text);
        let releases = releases(&doc.root);
        Ok(Rendered {
            releases,
            warnings: out.warnings,
            doc,
            env_docs,
        })
    }

    /// A YAML error in rendered text: say so, with the template line it came from.
    fn rendered_error(&self, environment: &str, e: Error) -> Error {
        Error::Invalid(format!(
            "{}: the template rendered for environment {environment:?} is not valid YAML:\n{e}",
            self.file
        ))
    }
}

/// Values the template copies from the environment (`{{ .Environment.Values.X | toYaml }}`)
/// point at the environment's own lines, not at the template line that wrote them: each node
/// under such a block takes the source and lines of the environment value at the same path.
fn copied_from_environment(root: &mut Node, lines: &[usize], template: &str, env: &Node) {
    let template_lines: Vec<&str> = template.lines().collect();
    let line_of = |rendered: usize| {
        lines
            .get(rendered.saturating_sub(1))
            .and_then(|t| template_lines.get(t.saturating_sub(1)))
            .copied()
            .unwrap_or("")
    };
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &mut node.kind {
            Kind::Map(entries) => {
                for e in entries.iter_mut() {
                    let text = line_of(e.value.line);
                    let copied = (line_of(e.line) != text)
                        .then(|| env_path(text))
                        .flatten()
                        .and_then(|p| env_entry(env, &p));
                    match copied {
                        Some((key_line, from)) => {
                            // The key was written in the template, under the same name as
                            // the environment's: cite the environment's.
                            e.line = key_line;
                            retarget(&mut e.value, from);
                        }
                        None => stack.push(&mut e.value),
                    }
                }
            }
            Kind::Seq(items) => stack.extend(items.iter_mut()),
            Kind::Scalar(_) => {}
        }
    }
}

/// A scalar the template wrote from one variable (`{{ printf "%s" $rn }}`) whose value the
/// line does not show points at the line that defines the variable with that value
/// (`{{- $rn := ... | default "kv-events" -}}`), as source `own` (the helmfile's own text).
/// True when some scalar was re-pointed.
fn from_variables(root: &mut Node, lines: &[usize], template: &str, own: usize) -> bool {
    let template_lines: Vec<&str> = template.lines().collect();
    let mut changed = false;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match &mut node.kind {
            Kind::Map(entries) => stack.extend(entries.iter_mut().map(|e| &mut e.value)),
            Kind::Seq(items) => stack.extend(items.iter_mut()),
            Kind::Scalar(s) => {
                if node.src != 0 || s.value.len() < 3 {
                    continue;
                }
                let Some(text) = lines
                    .get(node.line.saturating_sub(1))
                    .and_then(|t| template_lines.get(t.saturating_sub(1)))
                else {
                    continue;
                };
                if text.contains(s.value.as_str()) {
                    continue;
                }
                let vars = template_variables(text);
                let [var] = vars.as_slice() else {
                    continue;
                };
                let define = format!("{var} :=");
                let quoted = format!("\"{}\"", s.value);
                if let Some(i) = template_lines
                    .iter()
                    .position(|l| l.contains(&define) && l.contains(&quoted))
                {
                    node.src = own;
                    node.line = i + 1;
                    node.end_line = i + 1;
                    changed = true;
                }
            }
        }
    }
    changed
}

/// The distinct `$name` variables a template line uses.
fn template_variables(line: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let var = &rest[at..at + 1 + end];
        if end > 0 && !out.contains(&var) {
            out.push(var);
        }
        rest = &after[end..];
    }
    out
}

/// The environment value at dotted `path`, with the line of its key.
fn env_entry<'n>(env: &'n Node, path: &str) -> Option<(usize, &'n Node)> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (env.at(p)?, k),
        None => (env, path),
    };
    parent.entry(key).map(|e| (e.line, &e.value))
}

/// `X.Y` of a template line `{{ .Environment.Values.X.Y | toYaml ... }}`.
fn env_path(line: &str) -> Option<String> {
    let rest = &line[line.find(".Environment.Values.")? + ".Environment.Values.".len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .unwrap_or(rest.len());
    let after = &rest[end..];
    let path = rest[..end].trim_end_matches('.');
    (after.trim_start().starts_with("| toYaml") && !path.is_empty()).then(|| path.to_string())
}

/// Give `node` and its descendants the source and lines of `from` (the same shape, as
/// toYaml wrote it), node by node.
fn retarget(node: &mut Node, from: &Node) {
    let mut stack = vec![(node, from)];
    while let Some((n, f)) = stack.pop() {
        n.src = f.src;
        n.line = f.line;
        n.end_line = f.end_line;
        match (&mut n.kind, &f.kind) {
            (Kind::Map(entries), Kind::Map(from_entries)) => {
                for e in entries.iter_mut() {
                    if let Some(fe) = from_entries.iter().find(|x| x.key == e.key) {
                        e.line = fe.line;
                        stack.push((&mut e.value, &fe.value));
                    }
                }
            }
            (Kind::Seq(items), Kind::Seq(from_items)) => {
                stack.extend(items.iter_mut().zip(from_items.iter()));
            }
            _ => {}
        }
    }
}

fn releases(root: &Node) -> Vec<Release> {
    let mut out = Vec::new();
    for r in root
        .get("releases")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        if r.get("installed").and_then(Node::as_bool) == Some(false) {
            continue;
        }
        let chart = Chart::of(r.get("chart").and_then(Node::as_str).unwrap_or_default());
        let version = r.entry("version").map(|e| (e.value.clone(), e.line));
        let values = r
            .get("values")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| match &v.kind {
                Kind::Scalar(s) if !s.is_null() => Some(ReleaseValue::File(s.value.clone())),
                Kind::Map(_) => Some(ReleaseValue::Inline(v.clone())),
                _ => None,
            })
            .collect();
        let sets = r
            .get("set")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|s| {
                // The entry's first line (`- name: ...`) is where provenance starts.
                let name = s.entry("name")?;
                let value = s.entry("value")?;
                Some((
                    name.value.as_str()?.to_string(),
                    value.value.clone(),
                    name.line,
                ))
            })
            .collect();
        let name = r
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string();
        out.push(Release {
            name,
            chart,
            version,
            values,
            sets,
        });
    }
    out
}

/// An empty map node to merge sources into.
pub fn empty_map() -> Node {
    Node {
        id: usize::MAX,
        src: usize::MAX,
        line: 1,
        end_line: 1,
        column: 1,
        kind: Kind::Map(Vec::new()),
    }
}

/// Merge a release's values sources and set entries into one tree (Helm's order).
pub fn release_values(
    release: &Release,
    mut file: impl FnMut(&str) -> Result<Node>,
    overridden: &mut Vec<Overridden>,
) -> Result<Node> {
    let mut root = empty_map();
    for v in &release.values {
        let node = match v {
            ReleaseValue::File(rel) => file(rel)?,
            ReleaseValue::Inline(node) => node.clone(),
        };
        values::merge(&mut root, node, "", overridden);
    }
    for (path, value, line) in &release.sets {
        values::set(&mut root, path, value.clone(), *line)
            .map_err(|e| Error::Invalid(format!("release {}: set {e}", release.name)))?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_paths_and_variables_of_template_lines() {
        assert_eq!(
            env_path("          {{ .Environment.Values.gateway | toYaml | nindent 10 }}")
                .as_deref(),
            Some("gateway")
        );
        assert_eq!(
            env_path("{{ .Environment.Values.provider.istio | toYaml | nindent 12 }}").as_deref(),
            Some("provider.istio")
        );
        assert_eq!(
            env_path("name: {{ .Environment.Values.provider.name }}"),
            None
        );
        assert_eq!(env_path("plain: line"), None);
        assert_eq!(
            template_variables("x: {{ printf \"%s-%s\" $rn $ns $rn | quote }}"),
            ["$rn", "$ns"]
        );
        assert!(template_variables("a: $").is_empty());
    }

    #[test]
    fn splits_on_the_document_marker() {
        let (head, template, first) = split("environments:\n  default: {}\n---\n\nreleases: []\n");
        assert_eq!(head, Some("environments:\n  default: {}\n"));
        assert_eq!(template, "\nreleases: []\n");
        assert_eq!(first, 4);
        assert_eq!(split("releases: []\n"), (None, "releases: []\n", 1));
    }

    #[test]
    fn charts_by_reference() {
        assert_eq!(Chart::of("llm-d-infra/llm-d-infra"), Chart::Infra);
        assert_eq!(
            Chart::of("oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool"),
            Chart::Gaie
        );
        assert_eq!(
            Chart::of("llm-d-modelservice/llm-d-modelservice"),
            Chart::ModelService
        );
        assert_eq!(Chart::of("x/y"), Chart::Other);
    }
}
