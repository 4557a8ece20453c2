//! Go text/template, the subset llm-d helmfiles use: text and `{{ }}` actions with trim
//! markers and comments; `if` / `else if` / `else` / `end`; variables (`$x := ...`,
//! `$x = ...`) with Go's scoping; pipelines and parenthesized pipelines; fields of the
//! helmfile data (`.Environment.Name`, `.Environment.Values.*`, `.Values.*`, `.Namespace`);
//! literals; and the functions `and or not eq ne printf quote default env toYaml nindent
//! indent`. `readFile`, `exec` and `tpl` are known but never run: they render as `""` with a
//! warning. Everything else (`range`, `with`, `define`, other functions, method calls) is
//! refused with its position, even in branches the chosen environment does not take.
//!
//! Missing map keys are errors, as in helmfile (which renders with `missingkey=error`).
//! Hostile input is bounded: template size, nesting depth, variable count and output size
//! all have limits, recursion never goes deeper than [`MAX_DEPTH`], and the work of an
//! evaluation (steps, bytes copied or produced) is bounded by a [`Budget`].

mod budget;
mod eval;
mod funcs;
mod lex;
mod parse;
#[cfg(test)]
mod tests;
mod to_yaml;
mod value;

use std::cell::Cell;
use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::error::Result;
use eval::{Eval, Out};
use lex::Src;
use parse::Parser;

/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;
/// Deepest nesting of `if` blocks, and separately of parentheses.
pub const MAX_DEPTH: usize = 100;
/// Largest rendered output, and largest string any function may produce, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 4 << 20;
/// Most variable declarations one template may hold.
pub const MAX_VARIABLES: usize = 1000;
/// Largest `indent` / `nindent` width.
const MAX_INDENT: i64 = 1000;
/// Deepest value `toYaml` writes (values from YAML files are at most `yaml::MAX_DEPTH` deep).
const MAX_VALUE_DEPTH: usize = 1000;

pub use budget::{Budget, MAX_STEPS, MAX_WORK_BYTES};
pub use value::{Value, from_yaml};

/// The data a helmfile template sees.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `.Environment.Name`
    pub environment_name: String,
    /// `.Environment.Values` (a Map); `.Values` is the same map.
    pub environment_values: Value,
    /// `.Namespace` ("" unless given).
    pub namespace: String,
    /// What `env "X"` sees; empty by default so output never depends on the machine.
    pub env: BTreeMap<String, String>,
    /// The work this rendering may do (see [`Budget`]); the whole budget by default.
    pub budget: Budget,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    /// For output line i (0-based), the template line (1-based, in the file) that produced its
    /// first character. One entry per line of `text` as [`str::lines`] counts them.
    pub lines: Vec<usize>,
    /// `file:line: readFile is not run by convert-guide; rendered as an empty string`
    /// (code `template-not-run`), for each known-but-not-run function the rendering went
    /// through.
    pub warnings: Vec<Diagnostic>,
}

/// Render `template`, which starts at line `first_line` of `file` (helmfiles: the second document).
pub fn render(file: &str, template: &str, first_line: usize, ctx: &Context) -> Result<Rendered> {
    let src = Src::new(file, template, first_line)?;
    let (items, _) = Parser::new(&src).run()?;
    let values = match &ctx.environment_values {
        Value::Null => Value::Map(Vec::new()),
        v => v.clone(),
    };
    let root = Value::Map(vec![
        (
            "Environment".into(),
            Value::Map(vec![
                ("Name".into(), Value::Str(ctx.environment_name.clone())),
                ("Values".into(), values.clone()),
            ]),
        ),
        ("Values".into(), values),
        ("Namespace".into(), Value::Str(ctx.namespace.clone())),
    ]);
    let mut eval = Eval {
        src: &src,
        ctx,
        root,
        vars: Vec::new(),
        out: Out::default(),
        warnings: Vec::new(),
        left: Cell::new(ctx.budget),
    };
    eval.exec(&items)?;
    Ok(Rendered {
        text: eval.out.text,
        lines: eval.out.lines,
        warnings: eval.warnings,
    })
}

/// Parse only; reject unknown functions and constructs anywhere, even in branches a given
/// environment never takes. Returns the warnings of every known-but-not-run function
/// (`readFile`, `exec`, `tpl`) in the template, in the format of [`Rendered::warnings`].
pub fn check(file: &str, template: &str, first_line: usize) -> Result<Vec<Diagnostic>> {
    let src = Src::new(file, template, first_line)?;
    let (_, warnings) = Parser::new(&src).run()?;
    Ok(warnings)
}
