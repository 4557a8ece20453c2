//! Defaults of llm-d-benchmark: parsed statically from setup/env.sh, or the compiled-in table.
//!
//! `setup/env.sh` assigns each default as `export LLMDBENCH_X=${LLMDBENCH_X:-default}` before it
//! sources a scenario. We never run it: each `export` line is parsed as a bash word, then the
//! references are resolved in file order, the way bash would see them while sourcing the file.
//! Anything only known at run time (`$(...)`, unknown variables, `~`, ...) is [`DefaultValue::Dynamic`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::shell::assign::{Expr, Part, logical_lines, parse_export, parse_expression};
use crate::{Error, Result};

/// The compiled-in table: `variable<TAB>kind<TAB>value`, value being the raw default expression.
const BUILTIN_TSV: &str = include_str!("../../data/env-defaults.tsv");

/// The llm-d-benchmark date the compiled-in table was taken from.
const BUILTIN_AS_OF: &str = "2026-02-05";

/// Variables llm-d-benchmark's scripts read (or substitute as `REPLACE_ENV_` tokens) although
/// setup/env.sh does not define them.
const SCRIPT_ONLY: &[&str] = &[
    "LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS",
    "LLMDBENCH_DEPLOY_CURRENT_MODEL",
    "LLMDBENCH_DEPLOY_CURRENT_TOKENIZER",
    "LLMDBENCH_HARNESS_STACK_ENDPOINT_URL",
    "LLMDBENCH_RUN_DATASET_FILE",
    "LLMDBENCH_MAIN_DIR",
    "LLMDBENCH_CONTROL_KCMD",
    "LLMDBENCH_CONTROL_SCMD",
];

/// The default of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// A literal value after resolving references to other variables.
    Value(String),
    /// Depends on something only known at run time ($(...), undefined variables, ...): never equal to a guide value.
    Dynamic(String), // the raw expression
}

/// Where a set of defaults came from.
#[derive(Debug, Clone)]
pub enum DefaultsOrigin {
    /// Parsed from this `setup/env.sh` file.
    EnvSh(PathBuf),
    /// The compiled-in copy of `data/env-defaults.tsv`.
    Builtin,
}

/// The defaults of every `LLMDBENCH_*` variable setup/env.sh assigns.
#[derive(Debug, Clone)]
pub struct Defaults {
    origin: DefaultsOrigin,
    values: BTreeMap<String, DefaultValue>,
    /// Variable -> the `LLMDBENCH_*` variables its default expression refers to.
    refers_to: BTreeMap<String, Vec<String>>,
}

impl Defaults {
    /// The table compiled in from `data/env-defaults.tsv`.
    pub fn builtin() -> Defaults {
        let mut exprs = Vec::new();
        for line in BUILTIN_TSV.lines().skip(1) {
            let line = line.trim_end_matches('\r');
            let mut cols = line.splitn(3, '\t');
            let (Some(name), Some(_kind)) = (cols.next(), cols.next()) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            let raw = cols.next().unwrap_or("");
            // A value the parser refuses cannot be trusted: keep it, but as Dynamic.
            let parts = parse_expression(raw).unwrap_or_else(|_| vec![Part::Dyn]);
            exprs.push(Expr {
                name: name.to_string(),
                parts,
                raw: raw.to_string(),
            });
        }
        Defaults {
            origin: DefaultsOrigin::Builtin,
            refers_to: references(&exprs),
            values: resolve(exprs),
        }
    }

    /// Parse the text of a setup/env.sh statically; `path` names it in errors and in [`describe`](Self::describe).
    pub fn parse_env_sh(path: &Path, text: &str) -> Result<Defaults> {
        let file = path.display().to_string();
        let mut exprs: Vec<Expr> = Vec::new();
        for logical in logical_lines(text) {
            let chars: Vec<char> = logical.chars.iter().map(|&(c, _, _)| c).collect();
            let assigns = parse_export(&chars).map_err(|e| {
                let (line, col) = logical.position(e.at);
                Error::syntax(&file, text, line, col, e.msg)
            })?;
            for expr in assigns {
                // The `${A:-...}` guard means the first assignment wins.
                if expr.name.starts_with("LLMDBENCH_") && !exprs.iter().any(|x| x.name == expr.name)
                {
                    exprs.push(expr);
                }
            }
        }
        Ok(Defaults {
            origin: DefaultsOrigin::EnvSh(path.to_path_buf()),
            refers_to: references(&exprs),
            values: resolve(exprs),
        })
    }

    /// Read and parse `<bench_dir>/setup/env.sh`.
    pub fn load(bench_dir: &Path) -> Result<Defaults> {
        let dir = bench_dir
            .canonicalize()
            .or_else(|_| std::path::absolute(bench_dir))
            .unwrap_or_else(|_| bench_dir.to_path_buf());
        let path = dir.join("setup").join("env.sh");
        let bytes = crate::load::source::read_bytes(&path)?;
        Defaults::parse_env_sh(&path, &String::from_utf8_lossy(&bytes))
    }

    /// The default of `name`, if setup/env.sh assigns it.
    pub fn get(&self, name: &str) -> Option<&DefaultValue> {
        self.values.get(name)
    }

    /// True when setup/env.sh defines it, or llm-d-benchmark's scripts read it without env.sh defining it
    /// (a short compiled list: LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS is one).
    pub fn is_known(&self, name: &str) -> bool {
        self.values.contains_key(name) || SCRIPT_ONLY.contains(&name)
    }

    /// One line for the scenario header, e.g. "setup/env.sh of /abs/path/llm-d-benchmark" or
    /// "built-in table of llm-d-benchmark setup/env.sh as of 2026-02-05 (no checkout found)".
    pub fn describe(&self) -> String {
        match &self.origin {
            DefaultsOrigin::Builtin => {
                format!(
                    "built-in table of llm-d-benchmark setup/env.sh as of {BUILTIN_AS_OF} (no checkout found)"
                )
            }
            DefaultsOrigin::EnvSh(path) if path.ends_with("setup/env.sh") => {
                match path.parent().and_then(Path::parent) {
                    Some(dir) if !dir.as_os_str().is_empty() => {
                        format!("setup/env.sh of {}", dir.display())
                    }
                    _ => "setup/env.sh".to_string(),
                }
            }
            DefaultsOrigin::EnvSh(path) => path.display().to_string(),
        }
    }

    /// Where these defaults came from.
    pub fn origin(&self) -> &DefaultsOrigin {
        &self.origin
    }

    /// Every variable with a default, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Variables whose default setup/env.sh computes from `name` (`X=${X:-$NAME}`), sorted.
    /// env.sh computes them before it sources the scenario, so a scenario (or e2e.sh) that
    /// sets `name` does not change them.
    pub fn derived_from(&self, name: &str) -> Vec<&str> {
        self.refers_to
            .iter()
            .filter(|(_, refs)| refs.iter().any(|r| r == name))
            .map(|(v, _)| v.as_str())
            .collect()
    }

    /// True when `value` equals the default of `name` (Value only; Dynamic never equals).
    pub fn is_default(&self, name: &str, value: &str) -> bool {
        matches!(self.values.get(name), Some(DefaultValue::Value(v)) if v == value)
    }
}

/// Search `start` and its ancestors for a folder holding `setup/env.sh`.
pub fn find_bench_dir(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find(|dir| dir.join("setup").join("env.sh").is_file())
        .map(Path::to_path_buf)
}

/// The `LLMDBENCH_*` variables each default expression refers to (its own name excluded).
fn references(exprs: &[Expr]) -> BTreeMap<String, Vec<String>> {
    fn walk(parts: &[Part], out: &mut Vec<String>) {
        for part in parts {
            match part {
                Part::Var(name) => out.push(name.clone()),
                Part::Default { name, word, .. } | Part::Alt { name, word, .. } => {
                    out.push(name.clone());
                    walk(word, out);
                }
                Part::Lit(_) | Part::Dyn => {}
            }
        }
    }
    let mut map = BTreeMap::new();
    for expr in exprs {
        let mut refs = Vec::new();
        walk(&expr.parts, &mut refs);
        refs.retain(|r| r.starts_with("LLMDBENCH_") && *r != expr.name);
        refs.sort();
        refs.dedup();
        if !refs.is_empty() {
            map.entry(expr.name.clone()).or_insert(refs);
        }
    }
    map
}

/// Resolve in file order: a reference sees only the variables assigned before it.
fn resolve(exprs: Vec<Expr>) -> BTreeMap<String, DefaultValue> {
    let mut values = BTreeMap::new();
    for expr in exprs {
        let parts = match expr.parts.as_slice() {
            // `export A=${A:-word}`: the default is `word`.
            [Part::Default { name, word, .. }] if *name == expr.name => word.as_slice(),
            parts => parts,
        };
        let value = match eval(parts, &values) {
            Some(v) => DefaultValue::Value(v),
            None => DefaultValue::Dynamic(default_raw(&expr)),
        };
        values.entry(expr.name).or_insert(value);
    }
    values
}

/// The raw text of the default expression: for `${A:-word}`, `word`.
fn default_raw(expr: &Expr) -> String {
    match expr.parts.as_slice() {
        [Part::Default { name, raw, .. }] if *name == expr.name => raw.clone(),
        _ => expr.raw.clone(),
    }
}

/// The value of `parts`, or None when it depends on something unknown.
fn eval(parts: &[Part], values: &BTreeMap<String, DefaultValue>) -> Option<String> {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Var(name) => match values.get(name) {
                Some(DefaultValue::Value(v)) => out.push_str(v),
                _ => return None,
            },
            Part::Default {
                name, colon, word, ..
            } => match values.get(name) {
                Some(DefaultValue::Value(v)) if !(*colon && v.is_empty()) => out.push_str(v),
                Some(DefaultValue::Dynamic(_)) => return None,
                _ => out.push_str(&eval(word, values)?),
            },
            Part::Alt { name, colon, word } => match values.get(name) {
                Some(DefaultValue::Value(v)) if !(*colon && v.is_empty()) => {
                    out.push_str(&eval(word, values)?)
                }
                Some(DefaultValue::Dynamic(_)) => return None,
                _ => {}
            },
            Part::Dyn => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bench");

    fn parse(text: &str) -> Defaults {
        Defaults::parse_env_sh(Path::new("setup/env.sh"), text).expect("parses")
    }

    fn value(d: &Defaults, name: &str) -> String {
        match d.get(name) {
            Some(DefaultValue::Value(v)) => v.clone(),
            other => panic!("{name}: expected a Value, got {other:?}"),
        }
    }

    fn dynamic(d: &Defaults, name: &str) -> String {
        match d.get(name) {
            Some(DefaultValue::Dynamic(raw)) => raw.clone(),
            other => panic!("{name}: expected Dynamic, got {other:?}"),
        }
    }

    fn syntax_at(text: &str) -> (usize, usize, String) {
        match Defaults::parse_env_sh(Path::new("env.sh"), text) {
            Err(Error::Syntax {
                location, message, ..
            }) => {
                assert_eq!(location.file, "env.sh");
                (location.line, location.column, message)
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn the_four_quoting_forms() {
        let d = parse(concat!(
            "export LLMDBENCH_A=${LLMDBENCH_A:-v1}\n",
            "export LLMDBENCH_B=\"${LLMDBENCH_B:-v 2}\"\n",
            "export LLMDBENCH_C=${LLMDBENCH_C:-\"v 3\"}\n",
            "export LLMDBENCH_D=\"${LLMDBENCH_D:-\"v 4\"}\"\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_A"), "v1");
        assert_eq!(value(&d, "LLMDBENCH_B"), "v 2");
        assert_eq!(value(&d, "LLMDBENCH_C"), "v 3");
        assert_eq!(value(&d, "LLMDBENCH_D"), "v 4");
        assert_eq!(
            d.names().collect::<Vec<_>>(),
            ["LLMDBENCH_A", "LLMDBENCH_B", "LLMDBENCH_C", "LLMDBENCH_D"]
        );
    }

    #[test]
    fn empty_defaults() {
        let d = parse(
            "export LLMDBENCH_A=${LLMDBENCH_A:-}\nexport LLMDBENCH_B=\"${LLMDBENCH_B:-\"\"}\"\n",
        );
        assert_eq!(value(&d, "LLMDBENCH_A"), "");
        assert_eq!(value(&d, "LLMDBENCH_B"), "");
    }

    #[test]
    fn references_to_earlier_variables() {
        let d = parse(concat!(
            "export LLMDBENCH_B=${LLMDBENCH_B:-base}\n",
            "export LLMDBENCH_C=${LLMDBENCH_C:-$LLMDBENCH_B}\n",
            "export LLMDBENCH_D=${LLMDBENCH_D:-${LLMDBENCH_B}}\n",
            "export LLMDBENCH_E=${LLMDBENCH_E:-${LLMDBENCH_B}-env}\n",
            "export LLMDBENCH_F=${LLMDBENCH_F:-https://x/${LLMDBENCH_B}/}\n",
            "export LLMDBENCH_G=\"${LLMDBENCH_G:-\"$LLMDBENCH_C.$LLMDBENCH_E\"}\"\n",
            "export LLMDBENCH_H=${LLMDBENCH_H:-$LLMDBENCH_B:$LLMDBENCH_B}\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_C"), "base");
        assert_eq!(value(&d, "LLMDBENCH_D"), "base");
        assert_eq!(value(&d, "LLMDBENCH_E"), "base-env");
        assert_eq!(value(&d, "LLMDBENCH_F"), "https://x/base/");
        assert_eq!(value(&d, "LLMDBENCH_G"), "base.base-env");
        assert_eq!(value(&d, "LLMDBENCH_H"), "base:base");
    }

    #[test]
    fn command_substitutions_are_dynamic() {
        let d = parse(concat!(
            "export LLMDBENCH_U=${LLMDBENCH_U:-$(id -un)}\n",
            "export LLMDBENCH_W=${LLMDBENCH_W:-$(mktemp -d -t ${LLMDBENCH_U}-$(echo $0 | rev | cut -d '/' -f 1)XXX)}\n",
            "export LLMDBENCH_X=${LLMDBENCH_X:-`date`}\n",
            "export LLMDBENCH_Y=${LLMDBENCH_Y:-$((1 + 2))}\n",
            "export LLMDBENCH_Z=${LLMDBENCH_Z:-prefix-$(date +%s)}\n",
        ));
        assert_eq!(dynamic(&d, "LLMDBENCH_U"), "$(id -un)");
        assert_eq!(
            dynamic(&d, "LLMDBENCH_W"),
            "$(mktemp -d -t ${LLMDBENCH_U}-$(echo $0 | rev | cut -d '/' -f 1)XXX)"
        );
        dynamic(&d, "LLMDBENCH_X");
        dynamic(&d, "LLMDBENCH_Y");
        assert_eq!(dynamic(&d, "LLMDBENCH_Z"), "prefix-$(date +%s)");
    }

    #[test]
    fn unknown_later_and_dynamic_references_are_dynamic() {
        let d = parse(concat!(
            "export LLMDBENCH_A=${LLMDBENCH_A:-${LLMDBENCH_MAIN_DIR}/workload}\n",
            "export LLMDBENCH_B=${LLMDBENCH_B:-$LLMDBENCH_LATER}\n",
            "export LLMDBENCH_LATER=${LLMDBENCH_LATER:-x}\n",
            "export LLMDBENCH_U=${LLMDBENCH_U:-$(id -un)}\n",
            "export LLMDBENCH_C=${LLMDBENCH_C:-$LLMDBENCH_U}\n",
            "export LLMDBENCH_D=${LLMDBENCH_D:-$HOME/x}\n",
            "export LLMDBENCH_E=${SHELL:5}\n",
            "export LLMDBENCH_F=${LLMDBENCH_F:-~/x}\n",
            "export LLMDBENCH_G=${LLMDBENCH_G:-$1}\n",
            "export LLMDBENCH_H=${LLMDBENCH_H}\n",
        ));
        assert_eq!(dynamic(&d, "LLMDBENCH_A"), "${LLMDBENCH_MAIN_DIR}/workload");
        assert_eq!(dynamic(&d, "LLMDBENCH_B"), "$LLMDBENCH_LATER");
        assert_eq!(value(&d, "LLMDBENCH_LATER"), "x");
        assert_eq!(dynamic(&d, "LLMDBENCH_C"), "$LLMDBENCH_U");
        dynamic(&d, "LLMDBENCH_D");
        assert_eq!(dynamic(&d, "LLMDBENCH_E"), "${SHELL:5}");
        dynamic(&d, "LLMDBENCH_F");
        dynamic(&d, "LLMDBENCH_G");
        dynamic(&d, "LLMDBENCH_H");
        assert!(!d.is_default("LLMDBENCH_U", "$(id -un)"));
    }

    #[test]
    fn nested_default_of_unknown_variable_is_its_default() {
        let d = parse(concat!(
            "export LLMDBENCH_K=${LLMDBENCH_K:-known}\n",
            "export LLMDBENCH_E=${LLMDBENCH_E:-}\n",
            "export LLMDBENCH_A=${LLMDBENCH_A:-${NOT_SET_ANYWHERE:-fallback}}\n",
            "export LLMDBENCH_B=${LLMDBENCH_B:-${LLMDBENCH_K:-fallback}}\n",
            "export LLMDBENCH_C=${LLMDBENCH_C:-${LLMDBENCH_E:-empty}}\n",
            "export LLMDBENCH_D=${LLMDBENCH_D:-${LLMDBENCH_E-unset}}\n",
            "export LLMDBENCH_F=${LLMDBENCH_F:-${LLMDBENCH_K:+set}${NOT_SET:+no}}\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_A"), "fallback");
        assert_eq!(value(&d, "LLMDBENCH_B"), "known");
        assert_eq!(value(&d, "LLMDBENCH_C"), "empty");
        assert_eq!(value(&d, "LLMDBENCH_D"), "");
        assert_eq!(value(&d, "LLMDBENCH_F"), "set");
    }

    #[test]
    fn fixed_assignments() {
        let d = parse(concat!(
            "export LLMDBENCH_COMMON=${LLMDBENCH_COMMON:-/bin/true}\n",
            "export LLMDBENCH_A=${LLMDBENCH_COMMON}\n",
            "export LLMDBENCH_B=helm\n",
            "export LLMDBENCH_C=\"a b\"'c d'\n",
            "export LLMDBENCH_D=$LLMDBENCH_COMMON-x\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_A"), "/bin/true");
        assert_eq!(value(&d, "LLMDBENCH_B"), "helm");
        assert_eq!(value(&d, "LLMDBENCH_C"), "a bc d");
        assert_eq!(value(&d, "LLMDBENCH_D"), "/bin/true-x");
    }

    #[test]
    fn quotes_and_escapes() {
        let d = parse(concat!(
            "export LLMDBENCH_A=${LLMDBENCH_A:-'$NOT a ref'}\n",
            "export LLMDBENCH_B=${LLMDBENCH_B:-\"x\\\"\\$y\"}\n",
            "export LLMDBENCH_C=\"${LLMDBENCH_C:-'a'}\"\n",
            "export LLMDBENCH_D=\"${LLMDBENCH_D:-\\\"q\\$\\}}\"\n",
            "export LLMDBENCH_E=${LLMDBENCH_E:-{}}\n",
            "export LLMDBENCH_F=\"${LLMDBENCH_F:-a\\ b}\"\n",
            "export LLMDBENCH_G=${LLMDBENCH_G:-a\\ b}\n",
            "export LLMDBENCH_H=${LLMDBENCH_H:-$'a\\tb'}\n",
            "export LLMDBENCH_I=${LLMDBENCH_I:-[]}\n",
            "export LLMDBENCH_J=${LLMDBENCH_J:-a}b}\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_A"), "$NOT a ref");
        assert_eq!(value(&d, "LLMDBENCH_B"), "x\"$y");
        assert_eq!(value(&d, "LLMDBENCH_C"), "'a'");
        assert_eq!(value(&d, "LLMDBENCH_D"), "\"q$}");
        assert_eq!(value(&d, "LLMDBENCH_E"), "{}");
        assert_eq!(value(&d, "LLMDBENCH_F"), "a\\ b");
        assert_eq!(value(&d, "LLMDBENCH_G"), "a b");
        assert_eq!(value(&d, "LLMDBENCH_H"), "a\tb");
        assert_eq!(value(&d, "LLMDBENCH_I"), "[]");
        assert_eq!(value(&d, "LLMDBENCH_J"), "ab}");
    }

    #[test]
    fn if_blocks_comments_and_other_lines() {
        let d = parse(concat!(
            "#!/usr/bin/env bash\n",
            "# export LLMDBENCH_COMMENTED=${LLMDBENCH_COMMENTED:-no}\n",
            "export KUBECONFIG=${KUBECONFIG:-~/.kube/config}\n",
            "LLMDBENCH_NOT_EXPORTED=1\n",
            "echo \"unbalanced ${ is fine here\n",
            "if [[ -z $X ]]; then\n",
            "    export LLMDBENCH_A=${LLMDBENCH_A:-a} # trailing comment with ${ and \"\n",
            "\texport LLMDBENCH_B=\"${LLMDBENCH_B:-b#not-a-comment}\"   # comment\n",
            "else\n",
            "  export LLMDBENCH_C=${LLMDBENCH_C:-c}; echo done\n",
            "fi\n",
            "export LLMDBENCH_D=${LLMDBENCH_D:-\\\n",
            "continued}\n",
            "export LLMDBENCH_E=e LLMDBENCH_F=${LLMDBENCH_F:-f}\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_A"), "a");
        assert_eq!(value(&d, "LLMDBENCH_B"), "b#not-a-comment");
        assert_eq!(value(&d, "LLMDBENCH_C"), "c");
        assert_eq!(value(&d, "LLMDBENCH_D"), "continued");
        assert_eq!(value(&d, "LLMDBENCH_E"), "e");
        assert_eq!(value(&d, "LLMDBENCH_F"), "f");
        assert!(d.get("KUBECONFIG").is_none());
        assert!(d.get("LLMDBENCH_COMMENTED").is_none());
        assert!(d.get("LLMDBENCH_NOT_EXPORTED").is_none());
        assert_eq!(d.names().count(), 6);
    }

    #[test]
    fn first_assignment_wins() {
        let d = parse(concat!(
            "export LLMDBENCH_R=${LLMDBENCH_R:-1}\n",
            "if true; then\n",
            "  export LLMDBENCH_R=${LLMDBENCH_R:-2}\n",
            "fi\n",
            "export LLMDBENCH_S=${LLMDBENCH_S:-$LLMDBENCH_R}\n",
        ));
        assert_eq!(value(&d, "LLMDBENCH_R"), "1");
        assert_eq!(value(&d, "LLMDBENCH_S"), "1");
    }

    #[test]
    fn malformed_lines_are_errors_with_position() {
        let (line, col, msg) =
            syntax_at("# x\nexport LLMDBENCH_OK=1\n  export LLMDBENCH_A=${LLMDBENCH_A:-v\n");
        assert_eq!((line, col, msg.as_str()), (3, 22, "unterminated ${"));
        let (line, col, msg) = syntax_at("export LLMDBENCH_A=\"${LLMDBENCH_A:-v}\n");
        assert_eq!(
            (line, col, msg.as_str()),
            (1, 20, "unterminated double quote")
        );
        let (line, col, msg) = syntax_at("\n\nexport LLMDBENCH_A=${LLMDBENCH_A:-'v}\n");
        assert_eq!(
            (line, col, msg.as_str()),
            (3, 35, "unterminated single quote")
        );
        let (line, col, msg) = syntax_at("export LLMDBENCH_A=${LLMDBENCH_A:-$(id -un}\n");
        assert_eq!((line, col, msg.as_str()), (1, 35, "unterminated $("));
        let err =
            Defaults::parse_env_sh(Path::new("env.sh"), "export LLMDBENCH_A=\"x\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("env.sh:1:20: unterminated double quote\n"),
            "{err}"
        );
    }

    #[test]
    fn derived_defaults_name_their_sources() {
        let d = Defaults::builtin();
        assert_eq!(
            d.derived_from("LLMDBENCH_VLLM_COMMON_REPLICAS"),
            [
                "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS",
                "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_REPLICAS"
            ]
        );
        assert!(
            d.derived_from("LLMDBENCH_VLLM_COMMON_ACCELERATOR_MEM_UTIL")
                .contains(&"LLMDBENCH_VLLM_MODELSERVICE_DECODE_ACCELERATOR_MEM_UTIL")
        );
        assert!(
            d.derived_from("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS")
                .is_empty()
        );
        let text = "export LLMDBENCH_A=${LLMDBENCH_A:-1}\n\
                    export LLMDBENCH_B=${LLMDBENCH_B:-${LLMDBENCH_A}-x}\n\
                    export LLMDBENCH_C=\"${LLMDBENCH_C:-$(f $LLMDBENCH_A)}\"\n\
                    export LLMDBENCH_D=${LLMDBENCH_D:-${LLMDBENCH_E:-$LLMDBENCH_A}}\n";
        let d = Defaults::parse_env_sh(Path::new("env.sh"), text).unwrap();
        assert_eq!(
            d.derived_from("LLMDBENCH_A"),
            ["LLMDBENCH_B", "LLMDBENCH_D"]
        );
        assert_eq!(d.derived_from("LLMDBENCH_E"), ["LLMDBENCH_D"]);
    }

    #[test]
    fn builtin_resolves_references() {
        let d = Defaults::builtin();
        assert!(matches!(d.origin(), DefaultsOrigin::Builtin));
        assert_eq!(
            d.get("LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
            Some(&DefaultValue::Value("1".into()))
        );
        assert_eq!(
            d.get("LLMDBENCH_VLLM_MODELSERVICE_DECODE_CPU_MEM"),
            Some(&DefaultValue::Value("40Gi".into()))
        );
        assert_eq!(
            value(&d, "LLMDBENCH_VLLM_INFRA_HELM_REPOSITORY_URL"),
            "https://llm-d-incubation.github.io/llm-d-infra/"
        );
        assert_eq!(dynamic(&d, "LLMDBENCH_CONTROL_USERNAME"), "$(id -un)");
        assert_eq!(value(&d, "LLMDBENCH_HF_TOKEN"), "");
        assert_eq!(
            value(&d, "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_PODANNOTATIONS"),
            "auto"
        );
        assert_eq!(
            value(&d, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_PREPROCESS"),
            "/bin/true"
        );
        assert_eq!(
            value(&d, "LLMDBENCH_HARNESS_CONDA_ENV_NAME"),
            "inference-perf-env"
        );
        assert_eq!(value(&d, "LLMDBENCH_VLLM_COMMON_EXTRA_POD_CONFIG"), "{}");
        assert_eq!(
            value(&d, "LLMDBENCH_GATEWAY_API_INFERENCE_EXTENSION_CRD_REVISION"),
            "v1.2.0"
        );
        assert!(value(&d, "LLMDBENCH_VLLM_STANDALONE_ARGS").ends_with(
            "--model-loader-extra-config____\"$LLMDBENCH_VLLM_COMMON_MODEL_LOADER_EXTRA_CONFIG\""
        ));
        dynamic(&d, "LLMDBENCH_HARNESS_PROFILES_DIR");
        dynamic(&d, "LLMDBENCH_CONTROL_WORK_DIR");
        dynamic(&d, "LLMDBENCH_CONTROL_DEPLOY_HOST_SHELL");
        assert_eq!(d.names().count(), 266);
        assert_eq!(
            d.names().count(),
            BUILTIN_TSV
                .lines()
                .skip(1)
                .filter(|l| !l.is_empty())
                .count()
        );
        assert!(
            d.describe()
                .starts_with("built-in table of llm-d-benchmark setup/env.sh as of 2026-02-05")
        );
    }

    #[test]
    fn builtin_table_matches_the_corpus_facts() {
        let corpus = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/llm-d-benchmark/2026-02-05/env-defaults.tsv"
        );
        if let Ok(facts) = std::fs::read_to_string(corpus) {
            assert_eq!(
                facts, BUILTIN_TSV,
                "data/env-defaults.tsv differs from the corpus facts"
            );
        }
    }

    #[test]
    fn is_known_covers_script_only_variables() {
        let d = Defaults::builtin();
        assert!(d.is_known("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS"));
        assert!(
            d.get("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS")
                .is_none()
        );
        assert!(d.is_known("LLMDBENCH_VLLM_COMMON_REPLICAS"));
        assert!(!d.is_known("LLMDBENCH_VLLM_COMMON_REPLICA"));
        let parsed = parse("export LLMDBENCH_ONLY=${LLMDBENCH_ONLY:-1}\n");
        assert!(parsed.is_known("LLMDBENCH_ONLY"));
        assert!(parsed.is_known("LLMDBENCH_VLLM_MODELSERVICE_GAIE_CUSTOM_PLUGINS"));
        assert!(!parsed.is_known("LLMDBENCH_VLLM_COMMON_REPLICAS"));
    }

    #[test]
    fn is_default_compares_values_only() {
        let d = Defaults::builtin();
        assert!(d.is_default("LLMDBENCH_VLLM_COMMON_REPLICAS", "1"));
        assert!(!d.is_default("LLMDBENCH_VLLM_COMMON_REPLICAS", "2"));
        assert!(d.is_default("LLMDBENCH_VLLM_MODELSERVICE_DECODE_SHM_MEM", "16Gi"));
        assert!(!d.is_default("LLMDBENCH_CONTROL_USERNAME", "$(id -un)"));
        assert!(!d.is_default("LLMDBENCH_NOT_A_VARIABLE", ""));
        assert!(d.is_default("LLMDBENCH_HF_TOKEN", ""));
    }

    #[test]
    fn find_bench_dir_searches_ancestors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let deep = root.join("guides/x/y");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find_bench_dir(&deep), None);
        std::fs::create_dir_all(root.join("setup")).unwrap();
        std::fs::write(root.join("setup/env.sh"), "export LLMDBENCH_A=1\n").unwrap();
        assert_eq!(find_bench_dir(&deep), Some(root.clone()));
        assert_eq!(find_bench_dir(&root), Some(root.clone()));
        // A folder named env.sh does not count.
        let other = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(other.path().join("setup/env.sh")).unwrap();
        assert_eq!(find_bench_dir(other.path()), None);
    }

    #[test]
    fn load_reads_setup_env_sh() {
        let d = Defaults::load(Path::new(FIXTURE)).expect("fixture loads");
        let root = Path::new(FIXTURE).canonicalize().unwrap();
        assert!(matches!(d.origin(), DefaultsOrigin::EnvSh(p) if *p == root.join("setup/env.sh")));
        assert_eq!(d.describe(), format!("setup/env.sh of {}", root.display()));
        assert_eq!(
            find_bench_dir(&root.join("workload/profiles/inference-perf")),
            Some(root)
        );
        let missing = tempfile::tempdir().unwrap();
        assert!(matches!(
            Defaults::load(missing.path()),
            Err(Error::Read { .. })
        ));
    }

    #[test]
    fn fixture_values_agree_with_builtin_table() {
        let fixture = Defaults::load(Path::new(FIXTURE)).unwrap();
        let builtin = Defaults::builtin();
        assert!(fixture.names().count() >= 40);
        for name in fixture.names() {
            if let Some(DefaultValue::Value(v)) = fixture.get(name)
                && let Some(DefaultValue::Value(b)) = builtin.get(name)
            {
                assert_eq!(v, b, "{name}");
            }
        }
        assert_eq!(
            value(&fixture, "LLMDBENCH_VLLM_MODELSERVICE_DECODE_REPLICAS"),
            "1"
        );
        assert_eq!(
            value(&fixture, "LLMDBENCH_VLLM_MODELSERVICE_PREFILL_CPU_MEM"),
            "40Gi"
        );
        dynamic(&fixture, "LLMDBENCH_CONTROL_USERNAME");
        dynamic(&fixture, "LLMDBENCH_CONTROL_WORK_DIR");
    }

    /// The static parse must agree with bash sourcing the same file.
    #[test]
    fn fixture_resolves_like_bash() {
        let env_sh = Path::new(FIXTURE).join("setup/env.sh");
        let d = Defaults::load(Path::new(FIXTURE)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg("set -a; source \"$1\"; env -0")
            .arg("bash")
            .arg(&env_sh)
            .env_clear()
            .env("HOME", tmp.path())
            .env("TMPDIR", tmp.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(tmp.path())
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut compared = 0;
        for name in d.names() {
            assert!(env.contains_key(name), "{name} not defined by bash");
            if let Some(DefaultValue::Value(v)) = d.get(name) {
                assert_eq!(Some(v), env.get(name), "{name}");
                compared += 1;
            }
        }
        let bash_names = env.keys().filter(|k| k.starts_with("LLMDBENCH_")).count();
        assert_eq!(
            bash_names,
            d.names().count(),
            "bash defines other LLMDBENCH_ variables"
        );
        assert!(compared >= 40, "only {compared} values compared");
    }
}
