//! A guide's install recipe: the shell blocks of its README, read the way its user runs
//! them (llm-d guides since April 2026 keep no helmfile: the README is the contract).
//!
//! Read: `export NAME=value` (and plain assignments), in order, so later lines see earlier
//! values; `helm install|upgrade RELEASE CHART` with its `-f`/`--values` files in order,
//! `--set`/`--set-string` entries and `--version`; `kubectl apply -k DIR` overlays.
//! `${VAR}` and `${VAR:-default}` are expanded with what the recipe exported before.
//! Alternatives the reader chooses between are kept: a release installed twice (standalone
//! or gateway mode) keeps both installs in order, and a variable whose `export` line ends in
//! a comment listing options (`export INFRA_PROVIDER=gke # options: gke, gke-a4, coreweave`)
//! expands an overlay path once per option. Nothing is run; the shell words come from the
//! crate's one shell reader ([`crate::shell`]).

use crate::diag::Diagnostic;
use crate::shell::{self, Command, Part, Word};

/// The file a guide's recipe is read from.
pub const README: &str = "README.md";

/// An exported variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub name: String,
    pub value: String,
    /// 1-based line in the README.
    pub line: usize,
    /// Other values the line's comment offers (`# options: a, b, c`), the value excluded.
    pub options: Vec<String>,
    /// The comment says `options:`: its words are meant as values, not prose.
    pub listed: bool,
}

/// A `helm install` or `helm upgrade`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmInstall {
    pub release: String,
    pub chart: String,
    /// `-f` files in order, as written after expansion (paths from the repository root),
    /// each with its line.
    pub values: Vec<(String, usize)>,
    /// `--set` entries: dotted path, value, line.
    pub sets: Vec<(String, String, usize)>,
    pub version: Option<(String, usize)>,
    /// Line of the `helm` word.
    pub line: usize,
    /// The nearest Markdown heading above (`Standalone Mode`, `Gateway Mode`).
    pub section: String,
}

/// A `kubectl apply -k DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apply {
    /// The overlay folder, expanded with the exported values (from the repository root).
    pub dir: String,
    /// The same path with each option of the variables it uses (see [`Export::options`]).
    pub alternatives: Vec<String>,
    /// Those options come from an `options:` comment (see [`Export::listed`]).
    pub listed: bool,
    pub line: usize,
    pub section: String,
}

/// What a README's shell blocks install.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipe {
    pub exports: Vec<Export>,
    pub helm: Vec<HelmInstall>,
    pub applies: Vec<Apply>,
    /// Lines the reader could not follow, with why (codes `recipe-*`).
    pub warnings: Vec<Diagnostic>,
}

impl Recipe {
    /// A line of the README the reader could not follow.
    fn warn(&mut self, line: usize, code: &'static str, message: impl Into<String>) {
        self.warnings
            .push(Diagnostic::warning(code, message).at(README, line, None));
    }

    /// The value the recipe exports for `name` (the last export wins).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.exports
            .iter()
            .rev()
            .find(|e| e.name == name)
            .map(|e| e.value.as_str())
    }
}

/// The shell blocks of a Markdown text: (first line of the block's body, 1-based; body;
/// the nearest heading above).
fn shell_blocks(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut open: Option<(String, usize, bool, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            Some((fence, first, shell, body)) => {
                if trimmed.starts_with(fence.as_str()) && trimmed.trim_end() == fence.as_str() {
                    if *shell {
                        out.push((*first, std::mem::take(body), section.clone()));
                    }
                    open = None;
                } else {
                    // Blocks indented under a list item: the indentation is not the script's.
                    body.push_str(line);
                    body.push('\n');
                }
            }
            None => {
                if let Some(h) = trimmed
                    .strip_prefix('#')
                    .filter(|_| !trimmed.starts_with("#!"))
                {
                    section = h.trim_start_matches('#').trim().to_string();
                } else if let Some(h) = heading_tag(trimmed) {
                    section = h;
                } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                    let fence: String = trimmed
                        .chars()
                        .take_while(|c| *c == '`' || *c == '~')
                        .collect();
                    let info = trimmed[fence.len()..].trim().to_ascii_lowercase();
                    let lang = info.split([' ', '{', ',']).next().unwrap_or("");
                    let shell = matches!(lang, "bash" | "sh" | "shell" | "console" | "zsh");
                    open = Some((fence, i + 2, shell, String::new()));
                }
            }
        }
    }
    out
}

/// `<h4>Gateway Mode</h4>` and `<summary><h4>...</h4></summary>` headings of `<details>`.
fn heading_tag(line: &str) -> Option<String> {
    let start = line.find("<h")?;
    let rest = &line[start + 2..];
    let level = rest.chars().next()?;
    if !level.is_ascii_digit() {
        return None;
    }
    let body = rest.get(2..)?;
    let end = body.find("</h")?;
    Some(body[..end].trim().to_string())
}

/// The literal first word of a command (`helm`, `kubectl`, `export`).
fn literal(word: &Word) -> Option<String> {
    let mut out = String::new();
    for p in &word.parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            _ => return None,
        }
    }
    Some(out)
}

/// Read the recipe of a README.
pub fn read(text: &str) -> Recipe {
    let mut recipe = Recipe::default();
    let raw: Vec<&str> = text.lines().collect();
    for (first, body, section) in shell_blocks(text) {
        let commands = match shell::parse(&body) {
            Ok(c) => c,
            Err(why) => {
                recipe.warn(
                    first,
                    "recipe-shell",
                    format!(
                        "a shell block the recipe reader cannot read ({why}); its commands are not part of the recipe"
                    ),
                );
                continue;
            }
        };
        for cmd in commands {
            if cmd.compound || cmd.words.is_empty() {
                continue;
            }
            command(&mut recipe, &cmd, first, &section, &raw);
        }
    }
    recipe
}

fn command(recipe: &mut Recipe, cmd: &Command, first: usize, section: &str, raw: &[&str]) {
    let line = |w: &Word| first + w.line;
    let head = literal(&cmd.words[0]).unwrap_or_default();
    let words: Vec<&Word> = cmd.words.iter().collect();
    match head.as_str() {
        "export" => {
            for w in &words[1..] {
                assignment(recipe, w, line(w), raw);
            }
        }
        "helm" => {
            let verb = words.get(1).and_then(|w| literal(w)).unwrap_or_default();
            if verb == "install" || verb == "upgrade" {
                helm(recipe, &words[2..], line(words[0]), section, &line);
            }
        }
        "kubectl" => {
            let verb = words.get(1).and_then(|w| literal(w)).unwrap_or_default();
            if verb == "apply" {
                apply(recipe, &words[2..], line(words[0]), section);
            }
        }
        _ if cmd.words.len() == 1 && is_assignment(&cmd.words[0]) => {
            assignment(recipe, &cmd.words[0], line(&cmd.words[0]), raw);
        }
        _ => {}
    }
}

fn is_assignment(w: &Word) -> bool {
    match w.parts.first() {
        Some(Part::Lit(s)) => s.split_once('=').is_some_and(|(n, _)| is_name(n)),
        _ => false,
    }
}

fn is_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !n.starts_with(|c: char| c.is_ascii_digit())
}

/// Expand a word with the recipe's exports so far.
fn expand(recipe: &Recipe, w: &Word) -> Option<String> {
    let env = |n: &str| recipe.var(n).map(str::to_string);
    expand_with(w, &env)
}

/// A word's value in the reader's shell: exported variables, and the default of
/// `${VAR:-word}` / `${VAR-word}` for one the recipe never sets (a container script's
/// reader keeps those as written instead: there the pod sets them). `None`: run time only.
fn expand_with(w: &Word, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    for part in &w.parts {
        match part {
            Part::Var {
                name,
                op: Some((op, default)),
                ..
            } if (op == ":-" || op == "-") && !default.contains(['$', '`']) => match env(name) {
                Some(v) if !(op == ":-" && v.is_empty()) => out.push_str(&v),
                _ => out.push_str(default.trim_matches(|c| c == '"' || c == '\'')),
            },
            other => {
                let one = Word {
                    parts: vec![other.clone()],
                    text: w.text.clone(),
                    line: w.line,
                    end_line: w.end_line,
                    start: w.start,
                    end: w.end,
                };
                out.push_str(&shell::expand(&one, env).ok().flatten()?);
            }
        }
    }
    Some(out)
}

fn assignment(recipe: &mut Recipe, w: &Word, line: usize, raw: &[&str]) {
    let Some(value) = expand(recipe, w) else {
        // `export IP=$(kubectl get ...)`: known only at run time.
        return;
    };
    let Some((name, value)) = value.split_once('=') else {
        return;
    };
    if !is_name(name) {
        return;
    }
    let raw_line = raw.get(line.saturating_sub(1)).copied().unwrap_or_default();
    let options = comment_options(raw_line, value);
    let listed = raw_line
        .split_once(" #")
        .is_some_and(|(_, c)| c.trim_start().to_ascii_lowercase().starts_with("options:"));
    recipe.exports.push(Export {
        name: name.to_string(),
        value: value.to_string(),
        line,
        options,
        listed,
    });
}

/// The options a comment after an assignment lists: `# options: a (x), b, c` or `# a`.
/// Words are kept as candidates; the caller keeps those that name something real.
fn comment_options(line: &str, value: &str) -> Vec<String> {
    let Some(at) = line.find(" #") else {
        return Vec::new();
    };
    let comment = &line[at + 2..];
    let comment = comment.split_once(':').map_or(comment, |(_, r)| r);
    // Parenthesized remarks are not options.
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in comment.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut out: Vec<String> = Vec::new();
    for w in plain.split(|c: char| c == ',' || c.is_whitespace()) {
        let w = w.trim_matches(|c: char| c == '.' || c == ';' || c == '`');
        let ok = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok && w != value && !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    out
}

/// Options of `helm install/upgrade` that take a value (the others are flags).
const HELM_VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--kube-context",
    "--kubeconfig",
    "--timeout",
    "--description",
    "--post-renderer",
    "--post-renderer-args",
    "--repo",
    "--username",
    "--password",
    "--set-file",
    "--set-json",
    "--set-literal",
    "--devel-version",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--labels",
    "-l",
];

/// One `helm install|upgrade` command of the recipe.
///
/// Over 80 lines on purpose: one pass over the arguments, one arm per flag helm takes; the
/// arms share the cursor, so splitting them would pass it around without making it clearer.
fn helm(
    recipe: &mut Recipe,
    args: &[&Word],
    at: usize,
    section: &str,
    line: &dyn Fn(&Word) -> usize,
) {
    let mut positional: Vec<String> = Vec::new();
    let mut install = HelmInstall {
        release: String::new(),
        chart: String::new(),
        values: Vec::new(),
        sets: Vec::new(),
        version: None,
        line: at,
        section: section.to_string(),
    };
    let mut i = 0;
    while i < args.len() {
        let w = args[i];
        let text = expand(recipe, w);
        let Some(text) = text else {
            recipe.warn(
                line(w),
                "recipe-unexported",
                format!(
                    "helm argument {} depends on a value the recipe does not export; left out",
                    w.text
                ),
            );
            i += 1;
            continue;
        };
        let (flag, inline) = match text.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (text.clone(), None),
        };
        let value = |i: &mut usize| -> Option<(String, usize)> {
            if let Some(v) = &inline {
                return Some((v.clone(), line(w)));
            }
            *i += 1;
            let next = args.get(*i)?;
            expand(recipe, next).map(|v| (v, line(next)))
        };
        match flag.as_str() {
            "-f" | "--values" => {
                if let Some((v, l)) = value(&mut i) {
                    for file in v.split(',').filter(|f| !f.is_empty()) {
                        install.values.push((file.to_string(), l));
                    }
                }
            }
            "--set" | "--set-string" => {
                if let Some((v, l)) = value(&mut i) {
                    for entry in split_sets(&v) {
                        if let Some((k, val)) = entry.split_once('=') {
                            install.sets.push((k.to_string(), val.to_string(), l));
                        }
                    }
                }
            }
            "--version" => install.version = value(&mut i),
            f if HELM_VALUE_FLAGS.contains(&f) => {
                value(&mut i);
            }
            f if f.starts_with('-') => {}
            _ => positional.push(text),
        }
        i += 1;
    }
    match positional.as_slice() {
        [release, chart, ..] => {
            install.release = release.clone();
            install.chart = chart.clone();
            recipe.helm.push(install);
        }
        _ => recipe.warn(
            at,
            "recipe-helm",
            "helm install without a release and a chart; left out",
        ),
    }
}

/// `--set a=1,b={x,y}`: entries split on commas outside braces.
fn split_sets(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut escaped = false;
    for c in v.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn apply(recipe: &mut Recipe, args: &[&Word], at: usize, section: &str) {
    let mut i = 0;
    while i < args.len() {
        let w = args[i];
        let lit = literal(w).unwrap_or_default();
        let target = match lit.as_str() {
            "-k" | "--kustomize" => {
                i += 1;
                args.get(i).copied()
            }
            _ => None,
        };
        if let Some(t) = target {
            overlay(recipe, t, at, section);
        } else if let Some(rest) = lit.strip_prefix("--kustomize=") {
            let _ = rest;
            recipe.warn(
                at,
                "recipe-kustomize",
                "`--kustomize=DIR` is not read; write `-k DIR`",
            );
        }
        i += 1;
    }
}

fn overlay(recipe: &mut Recipe, w: &Word, at: usize, section: &str) {
    let Some(dir) = expand(recipe, w) else {
        recipe.warn(
            at,
            "recipe-unexported",
            format!(
                "overlay {} depends on a value the recipe does not export; left out",
                w.text
            ),
        );
        return;
    };
    if dir.contains("://") {
        // CRDs and other remote bases: not the guide's model server.
        return;
    }
    let dir = dir.trim_end_matches('/').to_string();
    let mut alternatives = Vec::new();
    let mut listed = false;
    for var in shell::variables(w) {
        let Some(export) = recipe.exports.iter().rev().find(|e| e.name == var) else {
            continue;
        };
        listed |= export.listed && !export.options.is_empty();
        for option in &export.options {
            let env = |n: &str| {
                if n == var {
                    Some(option.clone())
                } else {
                    recipe.var(n).map(str::to_string)
                }
            };
            if let Some(alt) = expand_with(w, &env) {
                let alt = alt.trim_end_matches('/').to_string();
                if alt != dir && !alternatives.contains(&alt) {
                    alternatives.push(alt);
                }
            }
        }
    }
    recipe.applies.push(Apply {
        dir,
        alternatives,
        listed,
        line: at,
        section: section.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const README_TEXT: &str = "# Guide\n\n- Set:\n  ```bash\n    export GUIDE_NAME=\"g\"\n    export NS=${NS:-llm-d}\n  ```\n\n#### Standalone Mode\n\n```bash\nhelm install ${GUIDE_NAME} \\\n    oci://r/charts/standalone \\\n    -f guides/recipes/scheduler/base.values.yaml \\\n    -f guides/${GUIDE_NAME}/scheduler/${GUIDE_NAME}.values.yaml \\\n    --set a.b=1,c={x,y} \\\n    -n ${NS} --version v1.4.0\n```\n\n<summary><h4>Gateway Mode</h4></summary>\n\n```bash\nexport P=gke # options: none, gke (GKE), istio\nhelm upgrade --install ${GUIDE_NAME} oci://r/charts/inferencepool --set provider.name=${P}\n```\n\n```bash\nexport INFRA=base # coreweave\nkubectl apply -n ${NS} -k guides/${GUIDE_NAME}/modelserver/gpu/vllm/${INFRA}\nkubectl apply -k \"https://example/crd?ref=v1\"\n```\n";

    #[test]
    fn reads_exports_installs_and_overlays() {
        let r = read(README_TEXT);
        assert_eq!(r.var("GUIDE_NAME"), Some("g"));
        assert_eq!(r.var("NS"), Some("llm-d"));
        assert_eq!(r.helm.len(), 2);
        let h = &r.helm[0];
        assert_eq!((h.release.as_str(), h.line), ("g", 12));
        assert_eq!(h.chart, "oci://r/charts/standalone");
        assert_eq!(
            h.values,
            vec![
                ("guides/recipes/scheduler/base.values.yaml".to_string(), 14),
                ("guides/g/scheduler/g.values.yaml".to_string(), 15)
            ]
        );
        assert_eq!(
            h.sets,
            vec![
                ("a.b".to_string(), "1".to_string(), 16),
                ("c".to_string(), "{x,y}".to_string(), 16)
            ]
        );
        assert_eq!(h.version, Some(("v1.4.0".to_string(), 17)));
        assert_eq!(h.section, "Standalone Mode");
        let g = &r.helm[1];
        assert_eq!(g.section, "Gateway Mode");
        assert_eq!(g.sets, vec![("provider.name".into(), "gke".into(), 24)]);
        let p = r.exports.iter().find(|e| e.name == "P").expect("P");
        assert_eq!(p.options, vec!["none", "istio"]);
        assert!(p.listed);
        assert!(!r.exports.iter().any(|e| e.name == "INFRA" && e.listed));
        assert_eq!(r.applies.len(), 1, "{:?}", r.applies);
        assert_eq!(r.applies[0].dir, "guides/g/modelserver/gpu/vllm/base");
        assert_eq!(
            r.applies[0].alternatives,
            vec!["guides/g/modelserver/gpu/vllm/coreweave"]
        );
        assert_eq!(r.applies[0].line, 29);
    }

    #[test]
    fn unknown_values_are_reported_not_guessed() {
        let r = read("```bash\nkubectl apply -k guides/${NOPE}/x\n```\n");
        assert!(r.applies.is_empty());
        assert!(
            r.warnings[0].plain().to_string().contains("README.md:2"),
            "{:?}",
            r.warnings
        );
    }
}
