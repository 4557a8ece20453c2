//! The experiment file e2e.sh reads, as a model: read with line numbers (so findings name
//! file:line) and written in the layout of llm-d-benchmark's own experiments.
//!
//! ```yaml
//! setup:
//!   constants:
//!     - LLMDBENCH_VLLM_COMMON_BLOCK_SIZE: 64
//!   factors:
//!     - LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS
//!   levels:
//!     LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS: "1,2,4"
//!   treatments:
//!     - "1"
//!     - "2"
//! run:
//! # Harness and workload profile are defined on scenarios/guides
//!   factors:
//!     - question_len
//!   levels:
//!     question_len: "100,300"
//!   treatments:
//!     short: "100"
//!     long: "300"
//! ```
//!
//! Reading keeps the order of everything, the quoting style of each value and the comment
//! lines right under a section header, so writing a file read from disk gives it back.

use super::Section;
use crate::diag::{Finding, Severity};
use crate::read::yaml::{self, Node};

/// The value written for a factor that does not apply to a treatment.
pub const NA: &str = "NA";

/// An experiment file: its sections in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentFile {
    pub blocks: Vec<Block>,
}

/// One section (`setup:` or `run:`).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub section: Section,
    /// Line of the section header (0 for a generated file; likewise below).
    pub line: usize,
    /// Comment lines right under the header, without `# ` (the corpus has one under `run:`).
    pub comments: Vec<String>,
    pub constants: Vec<Constant>,
    pub constants_line: usize,
    pub factors: Vec<Named>,
    pub factors_line: usize,
    pub levels: Vec<Levels>,
    pub levels_line: usize,
    pub treatments: Vec<Treatment>,
    /// `None` when the section has no `treatments:` key.
    pub treatments_line: Option<usize>,
}

/// A factor name and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub line: usize,
}

/// `- NAME: value` under `constants:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    pub name: String,
    pub value: String,
    /// Written unquoted (as read, or because YAML reads it back unchanged).
    pub plain: bool,
    pub line: usize,
}

/// `NAME: "v1,v2"` under `levels:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels {
    pub factor: String,
    /// The text as written (`"a, b"` keeps its blank), written back unchanged.
    pub raw: String,
    pub plain: bool,
    pub line: usize,
    /// A trailing `# comment` written after the value (generated files mark the guide value).
    pub comment: Option<String>,
}

impl Levels {
    /// The levels: split on commas, blanks around each removed.
    pub fn values(&self) -> Vec<String> {
        self.raw.split(',').map(|v| v.trim().to_string()).collect()
    }
}

/// One treatment: a value per factor, in the order of `factors`; named in the map form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Treatment {
    pub name: Option<String>,
    /// The text as written: `"1,NA,8"`.
    pub raw: String,
    pub plain: bool,
    pub line: usize,
    pub comment: Option<String>,
}

impl Treatment {
    /// The values, split on commas exactly as e2e.sh splits them (blanks kept).
    pub fn values(&self) -> Vec<&str> {
        self.raw.split(',').collect()
    }
}

impl Block {
    pub fn new(section: Section) -> Block {
        Block {
            section,
            line: 0,
            comments: Vec::new(),
            constants: Vec::new(),
            constants_line: 0,
            factors: Vec::new(),
            factors_line: 0,
            levels: Vec::new(),
            levels_line: 0,
            treatments: Vec::new(),
            treatments_line: None,
        }
    }

    /// The levels entry of a factor.
    pub fn levels_of(&self, factor: &str) -> Option<&Levels> {
        self.levels.iter().find(|l| l.factor == factor)
    }
}

impl ExperimentFile {
    /// The section, if the file has it.
    pub fn block(&self, section: Section) -> Option<&Block> {
        self.blocks.iter().find(|b| b.section == section)
    }

    /// Read an experiment. Problems of shape (not YAML, a list where a map belongs, an
    /// unknown key) are returned as findings; what could be read is returned with them.
    /// `None` when nothing usable is left (invalid YAML, no section).
    pub fn read(file: &str, text: &str) -> (Option<ExperimentFile>, Vec<Finding>) {
        let mut findings = Vec::new();
        let doc = match yaml::parse_one(file, text) {
            Ok(doc) => doc,
            Err(crate::Error::Syntax {
                location, message, ..
            }) => {
                findings.push(Finding::new(
                    file,
                    location.line,
                    Severity::Error,
                    format!("not valid YAML: {message} (column {})", location.column),
                ));
                return (None, findings);
            }
            Err(e) => {
                findings.push(Finding::new(file, 1, Severity::Error, e.to_string()));
                return (None, findings);
            }
        };
        let mut f = Reader {
            file,
            lines: text.lines().collect(),
            findings: &mut findings,
        };
        let exp = f.file(&doc.root);
        (exp, findings)
    }

    /// The file e2e.sh reads, in the corpus layout: two-space indents, list items four spaces
    /// in, values double-quoted unless read unquoted (and safe so).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            out.push_str(match b.section {
                Section::Setup => "setup:\n",
                Section::Run => "run:\n",
            });
            for c in &b.comments {
                out.push_str(&format!("# {c}\n"));
            }
            if !b.constants.is_empty() {
                out.push_str("  constants:\n");
                for c in &b.constants {
                    out.push_str(&format!(
                        "    - {}: {}\n",
                        yaml_key(&c.name),
                        scalar(&c.value, c.plain)
                    ));
                }
            }
            if !b.factors.is_empty() {
                out.push_str("  factors:\n");
                for f in &b.factors {
                    out.push_str(&format!("    - {}\n", yaml_key(&f.name)));
                }
            }
            if !b.levels.is_empty() {
                out.push_str("  levels:\n");
                for l in &b.levels {
                    out.push_str(&format!(
                        "    {}: {}{}\n",
                        yaml_key(&l.factor),
                        scalar(&l.raw, l.plain),
                        trailing(l.comment.as_deref())
                    ));
                }
            }
            if b.treatments_line.is_some() || !b.treatments.is_empty() {
                out.push_str("  treatments:\n");
                for t in &b.treatments {
                    let value = scalar(&t.raw, t.plain);
                    let comment = trailing(t.comment.as_deref());
                    match &t.name {
                        Some(name) => {
                            out.push_str(&format!("    {}: {value}{comment}\n", yaml_key(name)))
                        }
                        None => out.push_str(&format!("    - {value}{comment}\n")),
                    }
                }
            }
        }
        out
    }
}

fn trailing(comment: Option<&str>) -> String {
    match comment {
        Some(c) => format!("  # {}", c.replace(['\n', '\r'], " ")),
        None => String::new(),
    }
}

/// Reads the tree into the model, collecting findings about its shape.
struct Reader<'f> {
    file: &'f str,
    lines: Vec<&'f str>,
    findings: &'f mut Vec<Finding>,
}

impl Reader<'_> {
    fn push(&mut self, line: usize, severity: Severity, message: String) {
        self.findings
            .push(Finding::new(self.file, line, severity, message));
    }

    fn file(&mut self, root: &Node) -> Option<ExperimentFile> {
        let Some(entries) = root.as_map() else {
            self.push(
                root.line.max(1),
                Severity::Error,
                "not an experiment: expected a mapping with `setup:` and/or `run:`".into(),
            );
            return None;
        };
        let mut exp = ExperimentFile::default();
        for e in entries {
            let section = match e.key.as_str() {
                "setup" => Section::Setup,
                "run" => Section::Run,
                other => {
                    self.push(
                        e.line,
                        Severity::Warning,
                        format!("unknown section `{other}`: e2e.sh reads only `setup` and `run`"),
                    );
                    continue;
                }
            };
            exp.blocks.push(self.block(section, e.line, &e.value));
        }
        if exp.blocks.is_empty() {
            self.push(
                root.line.max(1),
                Severity::Error,
                "not an experiment: no `setup:` or `run:` section".into(),
            );
            return None;
        }
        Some(exp)
    }

    fn block(&mut self, section: Section, line: usize, node: &Node) -> Block {
        let mut b = Block::new(section);
        b.line = line;
        // Comment lines right under the header (the tree does not keep comments).
        for l in self.lines.iter().skip(line) {
            match l.trim_start().strip_prefix('#') {
                Some(c) => b
                    .comments
                    .push(c.strip_prefix(' ').unwrap_or(c).to_string()),
                None => break,
            }
        }
        let title = section_name(section);
        let Some(entries) = node.as_map() else {
            if node.is_null() {
                self.push(
                    line,
                    Severity::Warning,
                    format!("section `{title}` is empty"),
                );
            } else {
                self.push(
                    line,
                    Severity::Error,
                    format!("section `{title}` must be a mapping of constants, factors, levels and treatments"),
                );
            }
            return b;
        };
        for e in entries {
            match e.key.as_str() {
                "constants" => {
                    b.constants_line = e.line;
                    b.constants = self.constants(title, e.line, &e.value);
                }
                "factors" => {
                    b.factors_line = e.line;
                    b.factors = self.factors(title, e.line, &e.value);
                }
                "levels" => {
                    b.levels_line = e.line;
                    b.levels = self.levels(title, e.line, &e.value);
                }
                "treatments" => {
                    b.treatments_line = Some(e.line);
                    b.treatments = self.treatments(title, e.line, &e.value);
                }
                other => self.push(
                    e.line,
                    Severity::Warning,
                    format!(
                        "unknown key `{other}` in `{title}`: e2e.sh reads constants, factors, levels and treatments"
                    ),
                ),
            }
        }
        b
    }

    fn constants(&mut self, title: &str, line: usize, node: &Node) -> Vec<Constant> {
        let shape = format!(
            "`{title}.constants` must be a list of one-key maps, like `- LLMDBENCH_X: value`"
        );
        let Some(items) = node.as_seq() else {
            if !node.is_null() {
                self.push(line, Severity::Error, shape);
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_map() {
                Some([e]) => match e.value.as_scalar().filter(|s| !s.is_null()) {
                    Some(s) => out.push(Constant {
                        name: e.key.clone(),
                        value: s.value.clone(),
                        plain: s.plain,
                        line: e.line,
                    }),
                    None => self.push(
                        e.line,
                        Severity::Error,
                        format!("constant {} has no value (a scalar is needed)", e.key),
                    ),
                },
                _ => self.push(item.line, Severity::Error, shape.clone()),
            }
        }
        out
    }

    fn factors(&mut self, title: &str, line: usize, node: &Node) -> Vec<Named> {
        let Some(items) = node.as_seq() else {
            self.push(
                line,
                Severity::Error,
                format!("`{title}.factors` must be a list of names, one `- NAME` a line"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_str() {
                Some(name) if !name.trim().is_empty() => out.push(Named {
                    name: name.to_string(),
                    line: item.line,
                }),
                _ => self.push(
                    item.line,
                    Severity::Error,
                    format!("a factor of `{title}` must be a name"),
                ),
            }
        }
        out
    }

    fn levels(&mut self, title: &str, line: usize, node: &Node) -> Vec<Levels> {
        let Some(entries) = node.as_map() else {
            self.push(
                line,
                Severity::Error,
                format!("`{title}.levels` must map each factor to its comma-separated levels"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries {
            match e.value.as_scalar() {
                Some(s) if !s.is_null() => out.push(Levels {
                    factor: e.key.clone(),
                    raw: s.value.clone(),
                    plain: s.plain,
                    line: e.line,
                    comment: None,
                }),
                Some(_) => {
                    // `{X: 1,2,4}` in flow style reads as X: 1 and keys "2", "4" with no value.
                    let hint = if e.key.chars().all(|c| c.is_ascii_digit() || c == '.') {
                        "; an unquoted list inside `{...}` splits on its commas: quote it, `{X: \"1,2,4\"}`"
                    } else {
                        ""
                    };
                    out.push(Levels {
                        factor: e.key.clone(),
                        raw: String::new(),
                        plain: true,
                        line: e.line,
                        comment: None,
                    });
                    self.push(
                        e.line,
                        Severity::Error,
                        format!("levels of {} are empty{hint}", e.key),
                    );
                }
                None => self.push(
                    e.line,
                    Severity::Error,
                    format!(
                        "levels of {} must be one comma-separated string, like \"1,2,4\"",
                        e.key
                    ),
                ),
            }
        }
        out
    }

    fn treatments(&mut self, title: &str, line: usize, node: &Node) -> Vec<Treatment> {
        let mut out = Vec::new();
        let mut one = |r: &mut Self, name: Option<&str>, n: &Node, at: usize| match n
            .as_scalar()
            .filter(|s| !s.is_null())
        {
            Some(s) => out.push(Treatment {
                name: name.map(str::to_string),
                raw: s.value.clone(),
                plain: s.plain,
                line: at,
                comment: None,
            }),
            None => r.push(
                at,
                Severity::Error,
                "a treatment must be one comma-separated string of values, like \"1,NA,8\"".into(),
            ),
        };
        if let Some(items) = node.as_seq() {
            for item in items {
                one(self, None, item, item.line);
            }
        } else if let Some(entries) = node.as_map() {
            for e in entries {
                one(self, Some(&e.key), &e.value, e.line);
            }
        } else if !node.is_null() {
            self.push(
                line,
                Severity::Error,
                format!("`{title}.treatments` must be a list, or a map of names to treatments"),
            );
        }
        out
    }
}

pub(crate) fn section_name(s: Section) -> &'static str {
    match s {
        Section::Setup => "setup",
        Section::Run => "run",
    }
}

/// A value: unquoted when it was read unquoted and still reads back the same on one line
/// (so `true` stays a boolean and `500,1000` stays as written), else double-quoted.
fn scalar(value: &str, plain: bool) -> String {
    if plain {
        crate::read::yaml::scalar(value, crate::read::yaml::Reading::Text)
    } else {
        quote(value)
    }
}

/// A YAML double-quoted scalar.
pub(crate) fn quote(s: &str) -> String {
    crate::read::yaml::double_quoted(s)
}

/// A key as a plain scalar when YAML 1.1 reads it back as the same string, else quoted.
pub(crate) fn yaml_key(s: &str) -> String {
    crate::read::yaml::scalar(s, crate::read::yaml::Reading::Name { also: "_-" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_ok(text: &str) -> ExperimentFile {
        let (exp, findings) = ExperimentFile::read("e.yaml", text);
        assert!(findings.is_empty(), "{findings:?}");
        exp.expect("an experiment")
    }

    #[test]
    fn list_and_map_treatments_constants_and_order() {
        let text = "\
run:
# Harness and workload profile are defined on scenarios/guides
  constants:
    - streaming: true
  factors:
    - num_groups
    - system_prompt_len
  levels:
    system_prompt_len: \"80000,5000, 1000\"
    num_groups: 40,60
  treatments:
    long: \"40,8000\"
    short: 60,1000
setup:
  factors:
    - LLMDBENCH_A
  levels:
    LLMDBENCH_A: 1
  treatments:
    - \"1\"
    - NA
";
        let exp = read_ok(text);
        assert_eq!(exp.blocks.len(), 2);
        let run = &exp.blocks[0];
        assert_eq!((run.section, run.line), (Section::Run, 1));
        assert_eq!(
            run.comments,
            ["Harness and workload profile are defined on scenarios/guides"]
        );
        assert_eq!(
            run.constants,
            [Constant {
                name: "streaming".into(),
                value: "true".into(),
                plain: true,
                line: 4
            }]
        );
        let names: Vec<&str> = run.factors.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["num_groups", "system_prompt_len"]);
        assert_eq!(run.levels[0].factor, "system_prompt_len");
        assert_eq!(run.levels[0].values(), ["80000", "5000", "1000"]);
        assert_eq!(run.levels[1].values(), ["40", "60"]);
        assert_eq!(run.treatments[0].name.as_deref(), Some("long"));
        assert_eq!(run.treatments[0].values(), ["40", "8000"]);
        assert_eq!(run.treatments[1].line, 13);
        let setup = exp.block(Section::Setup).expect("setup");
        assert_eq!(setup.treatments[1].raw, "NA");
        assert_eq!(setup.treatments_line, Some(19));
        // Written back: the same text.
        assert_eq!(exp.render(), text);
    }

    #[test]
    fn shapes_that_are_findings() {
        let cases: &[(&str, &str)] = &[
            ("- a\n", "e.yaml:1: error: not an experiment"),
            ("other: 1\n", "e.yaml:1: warning: unknown section `other`"),
            (
                "setup: [1]\n",
                "e.yaml:1: error: section `setup` must be a mapping",
            ),
            ("setup:\n", "e.yaml:1: warning: section `setup` is empty"),
            (
                "setup:\n  factor: [A]\n",
                "e.yaml:2: warning: unknown key `factor`",
            ),
            (
                "setup:\n  factors: A\n",
                "e.yaml:2: error: `setup.factors` must be a list",
            ),
            (
                "setup:\n  factors: [[A]]\n",
                "e.yaml:2: error: a factor of `setup` must be a name",
            ),
            (
                "setup:\n  constants: {A: 1}\n",
                "e.yaml:2: error: `setup.constants` must be a list",
            ),
            (
                "setup:\n  constants:\n    - A: 1\n      B: 2\n",
                "e.yaml:3: error: `setup.constants` must be a list",
            ),
            (
                "setup:\n  constants:\n    - A:\n",
                "e.yaml:3: error: constant A has no value",
            ),
            (
                "setup:\n  levels: [1]\n",
                "e.yaml:2: error: `setup.levels` must map",
            ),
            (
                "setup:\n  levels:\n    A: [1, 2]\n",
                "e.yaml:3: error: levels of A must be one comma-separated string",
            ),
            (
                "run:\n  levels: {X: 1,2,4}\n",
                "e.yaml:2: error: levels of 2 are empty; an unquoted list inside `{...}`",
            ),
            (
                "run:\n  treatments: 1\n",
                "e.yaml:2: error: `run.treatments` must be a list",
            ),
            (
                "run:\n  treatments:\n    - [1]\n",
                "e.yaml:3: error: a treatment must be one comma-separated string",
            ),
            (
                "run:\n  treatments:\n    a:\n",
                "e.yaml:3: error: a treatment must be",
            ),
            ("setup: [\n", "e.yaml:2: error: not valid YAML"),
        ];
        for (text, want) in cases {
            let (_, findings) = ExperimentFile::read("e.yaml", text);
            let shown: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
            assert!(
                shown.iter().any(|s| s.starts_with(want)),
                "{text:?}: want {want:?}, got {shown:?}"
            );
        }
    }

    #[test]
    fn values_are_quoted_unless_plain_and_safe() {
        assert_eq!(scalar("1,2", true), "1,2");
        assert_eq!(scalar("0.80,0.85", true), "0.80,0.85");
        assert_eq!(scalar("1,2", false), "\"1,2\"");
        assert_eq!(scalar("true", true), "true");
        assert_eq!(scalar("true", false), "\"true\"");
        assert_eq!(scalar("-1", true), "-1");
        for odd in [
            "a: b", "", "#x", "a #b", "x:", " a", "[1]", "- a", "a\nb", "*x",
        ] {
            assert!(scalar(odd, true).starts_with('"'), "{odd:?}");
        }
        assert_eq!(quote("a\"b\\c\nd\u{1b}"), r#""a\"b\\c\nd\x1b""#);
        assert_eq!(yaml_key("on"), "\"on\"");
        assert_eq!(yaml_key("max-concurrency"), "max-concurrency");
    }
}
