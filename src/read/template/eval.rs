//! The evaluator: runs a parsed template against a [`Context`], tracking for each output
//! line the template line it came from.

use super::budget::{Budget, weight};
use super::funcs::{article, go_float, too_large};
use super::lex::Src;
use super::parse::{Arg, Decl, Head, Item, Pipe};
use super::value::Value;
use super::{Context, MAX_OUTPUT_BYTES};
use crate::diag::Diagnostic;
use crate::error::Result;
use std::cell::Cell;

#[derive(Default)]
pub(super) struct Out {
    pub(super) text: String,
    pub(super) lines: Vec<usize>,
    pub(super) mid_line: bool,
}

impl Out {
    /// Append `s`. Its first character comes from template line `line`; with `advance`, each
    /// newline of `s` moves to the next template line (text), else all lines stay at `line`
    /// (the output of an action).
    pub(super) fn push(&mut self, s: &str, mut line: usize, advance: bool) -> bool {
        if self.text.len() + s.len() > MAX_OUTPUT_BYTES {
            return false;
        }
        for b in s.bytes() {
            if !self.mid_line {
                self.lines.push(line);
                self.mid_line = true;
            }
            if b == b'\n' {
                self.mid_line = false;
                if advance {
                    line += 1;
                }
            }
        }
        self.text.push_str(s);
        true
    }
}

pub(super) struct Eval<'e, 'a> {
    pub(super) src: &'e Src<'a>,
    pub(super) ctx: &'e Context,
    pub(super) root: Value,
    pub(super) vars: Vec<(String, Value)>,
    pub(super) out: Out,
    pub(super) warnings: Vec<Diagnostic>,
    /// What this rendering may still spend (of `ctx.budget`).
    pub(super) left: Cell<Budget>,
}

impl Eval<'_, '_> {
    pub(super) fn exec(&mut self, items: &[Item]) -> Result<()> {
        let src = self.src;
        for item in items {
            match item {
                Item::Text { start, end } => {
                    self.spend(1, 0, *start)?;
                    if !self
                        .out
                        .push(&src.text[*start..*end], src.line(*start), true)
                    {
                        return Err(src.err(*start, too_large("output")));
                    }
                }
                Item::Action(pipe) => {
                    let pos = pipe.cmds[0].pos;
                    self.spend(1, 0, pos)?;
                    let value = self.pipe(pipe)?;
                    match &pipe.decl {
                        Some(Decl {
                            name,
                            declare: true,
                        }) => self.vars.push((name.clone(), value)),
                        Some(Decl {
                            name,
                            declare: false,
                        }) => match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                            Some((_, slot)) => *slot = value,
                            None => {
                                return Err(src.err(pos, format!("undefined variable \"${name}\"")));
                            }
                        },
                        None => {
                            let s = self.print(&value, pos, "output")?;
                            if !self.out.push(&s, src.line(pos), false) {
                                return Err(src.err(pos, too_large("output")));
                            }
                        }
                    }
                }
                Item::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = None;
                    for (cond, body) in branches {
                        if self.pipe(cond)?.truthy() {
                            taken = Some(body);
                            break;
                        }
                    }
                    let body = taken.unwrap_or(otherwise);
                    let mark = self.vars.len();
                    self.exec(body)?;
                    self.vars.truncate(mark);
                }
            }
        }
        Ok(())
    }

    pub(super) fn pipe(&mut self, pipe: &Pipe) -> Result<Value> {
        let mut prev: Option<Value> = None;
        for cmd in &pipe.cmds {
            self.spend(1, 0, cmd.pos)?;
            prev = Some(match &cmd.head {
                Head::Operand(arg) => self.arg(arg)?,
                Head::Func(f) => self.call(*f, cmd.pos, &cmd.args, prev.take())?,
            });
        }
        Ok(prev.unwrap_or(Value::Null))
    }

    pub(super) fn arg(&mut self, arg: &Arg) -> Result<Value> {
        match arg {
            Arg::Lit(v) => Ok(v.clone()),
            Arg::Field(path, pos) => self.copy(self.path(&self.root, "", path, *pos)?, *pos),
            Arg::Var(name, path, pos) => {
                let base = if name.is_empty() {
                    &self.root
                } else {
                    match self.vars.iter().rev().find(|(n, _)| n == name) {
                        Some((_, v)) => v,
                        None => {
                            return Err(self
                                .src
                                .err(*pos, format!("undefined variable \"${name}\"")));
                        }
                    }
                };
                self.copy(self.path(base, &format!("${name}"), path, *pos)?, *pos)
            }
            Arg::Call(f, pos) => self.call(*f, *pos, &[], None),
            Arg::Paren(pipe, path, pos) => {
                let v = self.pipe(pipe)?;
                self.copy(self.path(&v, "(...)", path, *pos)?, *pos)
            }
        }
    }

    /// Spend `steps` and `bytes` of the budget; past it, an error at `pos`.
    pub(super) fn spend(&self, steps: u64, bytes: u64, pos: usize) -> Result<()> {
        let mut left = self.left.get();
        left.spend(steps, bytes, self.ctx.budget)
            .map_err(|m| self.src.err(pos, m))?;
        self.left.set(left);
        Ok(())
    }

    /// A copy of `v`, paid for by the budget (a field or variable is a copy of its value).
    pub(super) fn copy(&self, v: &Value, pos: usize) -> Result<Value> {
        let (nodes, bytes) = weight(v, self.left.get());
        self.spend(nodes, bytes, pos)?;
        Ok(v.clone())
    }

    pub(super) fn path<'v>(
        &self,
        base: &'v Value,
        prefix: &str,
        path: &[String],
        pos: usize,
    ) -> Result<&'v Value> {
        let mut v = base;
        let mut shown = prefix.to_string();
        for key in path {
            v = match v {
                Value::Map(_) => v.get(key).ok_or_else(|| {
                    self.src.err(
                        pos,
                        format!(
                            "map has no entry for key \"{key}\" (in {shown}.{key}); helmfile fails on missing keys too",
                            shown = if shown.is_empty() { "" } else { &shown }
                        ),
                    )
                })?,
                other => {
                    return Err(self.src.err(
                        pos,
                        format!(
                            "cannot read field \"{key}\" of {} {} (in {shown}.{key})",
                            article(other),
                            other.kind_name()
                        ),
                    ));
                }
            };
            shown.push('.');
            shown.push_str(key);
        }
        Ok(v)
    }

    /// Go's %v of a value being printed.
    pub(super) fn print(&self, v: &Value, pos: usize, what: &str) -> Result<String> {
        match v {
            Value::Str(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Float(f) => Ok(go_float(*f)),
            Value::Null => Err(self.src.err(
                pos,
                format!("{what} of a null value (Go would write \"<no value>\"); give the key a value or use `default`"),
            )),
            Value::List(_) | Value::Map(_) => Err(self.src.err(
                pos,
                format!("{what} of a {}: use toYaml", v.kind_name()),
            )),
        }
    }
}
