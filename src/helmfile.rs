//! `helmfile.yaml.gotmpl`: the guide's environments (its variants) and, rendered for one
//! environment the way helmfile renders it, the releases with their chart versions, values
//! sources and `set:` entries.
//!
//! The file is two YAML documents: `environments:` (plain YAML with anchors and merge keys)
//! and a Go template that renders `releases:`. Environment values are loaded and merged
//! with Helm semantics, then given to the template as `.Environment.Values`.

use crate::error::{Error, Result};
use crate::source::Source;
use crate::template::{self, Context};
use crate::values::{self, Overridden};
use crate::yaml::{self, Doc, Kind, Node};

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
    pub warnings: Vec<String>,
}

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
            return Err(Error::Usage(format!(
                "{}: no environment {environment:?}; the guide declares: {}",
                self.file,
                names.join(", ")
            )));
        }
        let mut merged = empty_map();
        let mut ignored = Vec::new();
        for value in env.map(|e| e.values.as_slice()).unwrap_or_default() {
            let node = match value {
                EnvValue::File(rel) => yaml::parse_one(rel, &src.read(rel)?)?.root,
                EnvValue::Inline(node) => node.clone(),
            };
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
        let root = yaml::parse_one(&self.file, &out.text)
            .map_err(|e| self.rendered_error(environment, e))?
            .root;
        let doc = Doc::rendered(&self.file, &out.text, root, out.lines, &self.text);
        let releases = releases(&doc.root);
        Ok(Rendered {
            releases,
            warnings: out.warnings,
            doc,
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
            .map_err(|e| Error::Usage(format!("release {}: set {e}", release.name)))?;
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

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
