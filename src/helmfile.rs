//! `helmfile.yaml.gotmpl`: the chart versions of the guide's releases.
//!
//! The release list is a Go template, not YAML, so it is read line by line: each `chart:`
//! line names a release's chart and the `version:` line of the same release gives its
//! version. The result is a small YAML tree (`chartVersions.<chart>`) whose nodes carry the
//! helmfile's own line numbers, so the mapping rules and provenance treat it like any
//! other guide file. (Environments and template evaluation are a later step.)

use crate::yaml::{Doc, Entry, Kind, Node, Scalar};

/// Chart references (a substring of `chart:`) and the key they get under `chartVersions`.
pub const CHARTS: &[(&str, &str)] = &[
    ("llm-d-infra", "infra"),
    ("inferencepool", "gaie"),
    ("llm-d-modelservice", "modelservice"),
    ("workload-variant-autoscaler", "wva"),
];

/// The chart versions of a helmfile, as a document for the mapping rules.
pub fn chart_versions(file: &str, text: &str) -> Doc {
    let mut entries: Vec<Entry> = Vec::new();
    let mut chart: Option<(&str, usize)> = None; // (key, indent of the `chart:` line)
    let mut id = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let indent = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim_start().trim_start_matches("- ");
        if let Some(value) = trimmed.strip_prefix("chart:") {
            let value = value.trim();
            chart = CHARTS
                .iter()
                .find(|(c, _)| value.contains(c))
                .map(|(_, key)| (*key, indent));
            continue;
        }
        // A new release (`- name:` at a lower or equal indent) ends the current one.
        if raw.trim_start().starts_with("- name:") && chart.is_some_and(|(_, i)| indent < i) {
            chart = None;
        }
        let Some((key, chart_indent)) = chart else {
            continue;
        };
        let Some(value) = trimmed.strip_prefix("version:") else {
            continue;
        };
        if indent != chart_indent {
            continue;
        }
        let value = unquote(strip_comment(value.trim()));
        chart = None;
        if value.is_empty() || value.contains("{{") || entries.iter().any(|e| e.key == key) {
            continue;
        }
        id += 2;
        let column = raw.find("version:").map_or(1, |c| c + 1);
        let node = Node {
            src: 0,
            id,
            line,
            end_line: line,
            column,
            kind: Kind::Scalar(Scalar {
                value,
                plain: false,
            }),
        };
        entries.push(Entry {
            key: key.to_string(),
            line,
            value: node,
        });
    }
    let first = entries.first().map_or(1, |e| e.line);
    let last = entries.last().map_or(1, |e| e.line);
    let versions = Node {
        src: 0,
        id: id + 1,
        line: first,
        end_line: last,
        column: 1,
        kind: Kind::Map(entries),
    };
    let root = Node {
        src: 0,
        id: id + 2,
        line: first,
        end_line: last,
        column: 1,
        kind: Kind::Map(vec![Entry {
            key: "chartVersions".into(),
            line: first,
            value: versions,
        }]),
    };
    Doc::new(file, text, root)
}

fn strip_comment(v: &str) -> &str {
    match v.find(" #") {
        Some(i) => v[..i].trim_end(),
        None => v,
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_their_lines() {
        let text = "releases:\n  - name: a\n    chart: llm-d-infra/llm-d-infra\n    version: v1.3.6\n  - name: b\n    chart: oci://x/inferencepool\n    needs: []\n    version: \"v1.3.0\" # pinned\n  - name: c\n    chart: other/thing\n    version: 9\n  - name: d\n    chart: oci://ghcr.io/w/workload-variant-autoscaler\n    version: \"~0.5.0\"\n";
        let doc = chart_versions("helmfile.yaml.gotmpl", text);
        let get = |k: &str| {
            doc.root
                .at(&format!("chartVersions.{k}"))
                .map(|n| (n.as_str().unwrap_or_default().to_string(), n.line))
        };
        assert_eq!(get("infra"), Some(("v1.3.6".into(), 4)));
        assert_eq!(get("gaie"), Some(("v1.3.0".into(), 8)));
        assert_eq!(get("wva"), Some(("~0.5.0".into(), 14)));
        assert_eq!(get("modelservice"), None);
    }
}
