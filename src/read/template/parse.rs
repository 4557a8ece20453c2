//! The parser: actions to a tree of text, pipelines and `if` blocks, with variables
//! resolved statically and every unsupported construct refused with its position.

use super::funcs::{Func, SUPPORTED};
use super::lex::{Action, Src, Tok, Token, is_space};
use super::value::Value;
use super::{MAX_DEPTH, MAX_VARIABLES};
use crate::diag::Diagnostic;
use crate::error::Result;

#[derive(Debug)]
pub(super) enum Item {
    /// Template text `start..end` (byte offsets), trim markers applied.
    Text {
        start: usize,
        end: usize,
    },
    Action(Pipe),
    If {
        branches: Vec<(Pipe, Vec<Item>)>,
        otherwise: Vec<Item>,
    },
}

#[derive(Debug)]
pub(super) struct Pipe {
    pub(super) decl: Option<Decl>,
    pub(super) cmds: Vec<Cmd>,
}

#[derive(Debug)]
pub(super) struct Decl {
    pub(super) name: String,
    pub(super) declare: bool,
}

#[derive(Debug)]
pub(super) struct Cmd {
    pub(super) pos: usize,
    pub(super) head: Head,
    pub(super) args: Vec<Arg>,
}

#[derive(Debug)]
pub(super) enum Head {
    Func(Func),
    Operand(Arg),
}

#[derive(Debug)]
pub(super) enum Arg {
    Lit(Value),
    /// A path from the data (`.a.b`; empty for `.`).
    Field(Vec<String>, usize),
    /// A variable and a path into it; "" is `$`.
    Var(String, Vec<String>, usize),
    /// A function used as an argument: called with no arguments, as Go does.
    Call(Func, usize),
    Paren(Box<Pipe>, Vec<String>, usize),
}

/// An open `if` block.
pub(super) struct Frame {
    pub(super) open: usize,
    pub(super) branches: Vec<(Pipe, Vec<Item>)>,
    pub(super) cond: Option<Pipe>,
    pub(super) body: Vec<Item>,
    pub(super) in_else: bool,
    pub(super) vars_mark: usize,
}

pub(super) struct Parser<'s, 'a> {
    pub(super) src: &'s Src<'a>,
    /// Variables in scope, for static resolution.
    pub(super) vars: Vec<String>,
    pub(super) declared: usize,
    pub(super) warnings: Vec<Diagnostic>,
}

pub(super) const REFUSED_KEYWORDS: &[&str] = &[
    "range", "with", "define", "template", "block", "break", "continue",
];

impl<'s, 'a> Parser<'s, 'a> {
    pub(super) fn new(src: &'s Src<'a>) -> Self {
        Parser {
            src,
            vars: Vec::new(),
            declared: 0,
            warnings: Vec::new(),
        }
    }

    pub(super) fn run(mut self) -> Result<(Vec<Item>, Vec<Diagnostic>)> {
        let src = self.src;
        let text = src.text;
        let mut root: Vec<Item> = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut i = 0;
        let mut trim_next = false;
        loop {
            let open = text[i..].find("{{").map(|k| i + k);
            let mut start = i;
            let mut end = open.unwrap_or(text.len());
            if trim_next {
                while start < end && is_space(text.as_bytes()[start]) {
                    start += 1;
                }
            }
            let action = match open {
                Some(open) => Some(src.lex_action(open)?),
                None => None,
            };
            if action.as_ref().is_some_and(|a| a.left_trim) {
                while end > start && is_space(text.as_bytes()[end - 1]) {
                    end -= 1;
                }
            }
            let body = match stack.last_mut() {
                Some(f) => &mut f.body,
                None => &mut root,
            };
            if start < end {
                body.push(Item::Text { start, end });
            }
            let Some(action) = action else { break };
            i = action.end;
            trim_next = action.right_trim;
            if let Some(toks) = &action.toks {
                self.action(&action, toks, &mut stack, &mut root)?;
            }
        }
        if let Some(frame) = stack.last() {
            return Err(src.err(frame.open, "unclosed `if`: no matching `{{ end }}`"));
        }
        Ok((root, self.warnings))
    }

    pub(super) fn action(
        &mut self,
        action: &Action,
        toks: &[Token],
        stack: &mut Vec<Frame>,
        root: &mut Vec<Item>,
    ) -> Result<()> {
        let src = self.src;
        let keyword = match toks.first().map(|t| &t.tok) {
            Some(Tok::Ident(w)) => w.as_str(),
            _ => "",
        };
        let pos = toks.first().map_or(action.open, |t| t.pos);
        match keyword {
            "if" => {
                if stack.len() >= MAX_DEPTH {
                    return Err(src.err(pos, format!("`if` nested deeper than {MAX_DEPTH}")));
                }
                let cond = self.condition(&toks[1..], pos, "if")?;
                stack.push(Frame {
                    open: action.open,
                    branches: Vec::new(),
                    cond: Some(cond),
                    body: Vec::new(),
                    in_else: false,
                    vars_mark: self.vars.len(),
                });
            }
            "else" => self.else_branch(toks, pos, stack)?,
            "end" => self.end_block(toks, pos, stack, root)?,
            w if REFUSED_KEYWORDS.contains(&w) => {
                return Err(src.refused(
                    pos,
                    &format!("`{w}`"),
                    " (supported: if / else if / else / end, variables, pipelines)",
                ));
            }
            _ => {
                if toks.is_empty() {
                    return Err(src.err(action.open, "empty action: missing value"));
                }
                let mut i = 0;
                let pipe = self.pipe(toks, &mut i, 0, true, action.open)?;
                let body = match stack.last_mut() {
                    Some(f) => &mut f.body,
                    None => root,
                };
                body.push(Item::Action(pipe));
            }
        }
        Ok(())
    }

    /// `{{ else }}` or `{{ else if ... }}`: close the branch open in the innermost `if`.
    fn else_branch(&mut self, toks: &[Token], pos: usize, stack: &mut [Frame]) -> Result<()> {
        let src = self.src;
        let Some(frame) = stack.last_mut() else {
            return Err(src.err(pos, "`{{ else }}` outside an `if`"));
        };
        if frame.in_else {
            return Err(src.err(pos, "`{{ else }}` after `{{ else }}` in the same `if`"));
        }
        self.vars.truncate(frame.vars_mark);
        let body = std::mem::take(&mut frame.body);
        if let Some(cond) = frame.cond.take() {
            frame.branches.push((cond, body));
        }
        match toks.get(1).map(|t| &t.tok) {
            None => frame.in_else = true,
            Some(Tok::Ident(w)) if w == "if" => {
                let cond = self.condition(&toks[2..], toks[1].pos, "else if")?;
                stack.last_mut().expect("frame checked above").cond = Some(cond);
            }
            Some(Tok::Ident(w)) if REFUSED_KEYWORDS.contains(&w.as_str()) => {
                return Err(src.refused(toks[1].pos, &format!("`else {w}`"), ""));
            }
            Some(_) => {
                return Err(src.err(
                    toks[1].pos,
                    "unexpected word after `else`; expected `}}` or `if`",
                ));
            }
        }
        Ok(())
    }

    /// `{{ end }}`: close the innermost `if` and add it to the body around it.
    fn end_block(
        &mut self,
        toks: &[Token],
        pos: usize,
        stack: &mut Vec<Frame>,
        root: &mut Vec<Item>,
    ) -> Result<()> {
        let src = self.src;
        if toks.len() > 1 {
            return Err(src.err(toks[1].pos, "unexpected word after `end`"));
        }
        let Some(mut frame) = stack.pop() else {
            return Err(src.err(pos, "`{{ end }}` without an open `if`"));
        };
        self.vars.truncate(frame.vars_mark);
        let body = std::mem::take(&mut frame.body);
        let otherwise = match frame.cond.take() {
            Some(cond) => {
                frame.branches.push((cond, body));
                Vec::new()
            }
            None => body,
        };
        let item = Item::If {
            branches: frame.branches,
            otherwise,
        };
        match stack.last_mut() {
            Some(f) => f.body.push(item),
            None => root.push(item),
        }
        Ok(())
    }

    pub(super) fn condition(&mut self, toks: &[Token], pos: usize, what: &str) -> Result<Pipe> {
        if toks.is_empty() {
            return Err(self
                .src
                .err(pos, format!("missing condition after `{what}`")));
        }
        let mut i = 0;
        self.pipe(toks, &mut i, 0, false, pos)
    }

    /// A pipeline from `toks[*i]` up to the end of the tokens (depth 0) or a `)`.
    pub(super) fn pipe(
        &mut self,
        toks: &[Token],
        i: &mut usize,
        depth: usize,
        allow_decl: bool,
        fallback: usize,
    ) -> Result<Pipe> {
        let src = self.src;
        let mut decl = None;
        if let (
            Some(Token {
                tok: Tok::Var(name, fields),
                pos,
            }),
            Some(next),
        ) = (toks.get(*i), toks.get(*i + 1))
        {
            let pos = *pos;
            match next.tok {
                Tok::Declare | Tok::Assign => {
                    if !allow_decl {
                        return Err(src.refused(
                            pos,
                            "a variable declaration here",
                            " (declare variables in their own action: {{ $x := ... }})",
                        ));
                    }
                    if !fields.is_empty() || name.is_empty() {
                        return Err(src.err(pos, "cannot assign to a field or to `$`"));
                    }
                    let declare = next.tok == Tok::Declare;
                    if !declare && !self.vars.iter().any(|v| v == name) {
                        return Err(src.err(pos, format!("undefined variable \"${name}\"")));
                    }
                    decl = Some((
                        Decl {
                            name: name.clone(),
                            declare,
                        },
                        pos,
                    ));
                    *i += 2;
                }
                Tok::Comma => {
                    return Err(src.refused(next.pos, "declaring several variables at once", ""));
                }
                _ => {}
            }
        }
        let mut cmds = Vec::new();
        loop {
            let cmd = self.cmd(toks, i, depth, cmds.len(), fallback)?;
            cmds.push(cmd);
            match toks.get(*i).map(|t| &t.tok) {
                Some(Tok::Pipe) => *i += 1,
                Some(Tok::RParen) if depth > 0 => break,
                None if depth == 0 => break,
                None => return Err(src.err(fallback, "unclosed `(`")),
                Some(_) => return Err(src.err(toks[*i].pos, "unexpected `)`")),
            }
        }
        let decl = match decl {
            Some((d, pos)) if d.declare => {
                self.declared += 1;
                if self.declared > MAX_VARIABLES {
                    return Err(src.err(
                        pos,
                        format!("more than {MAX_VARIABLES} variable declarations"),
                    ));
                }
                self.vars.push(d.name.clone());
                Some(d)
            }
            other => other.map(|(d, _)| d),
        };
        Ok(Pipe { decl, cmds })
    }

    pub(super) fn cmd(
        &mut self,
        toks: &[Token],
        i: &mut usize,
        depth: usize,
        stage: usize,
        fallback: usize,
    ) -> Result<Cmd> {
        let src = self.src;
        let pos = toks.get(*i).map_or(fallback, |t| t.pos);
        let mut words = Vec::new();
        while let Some(t) = toks.get(*i) {
            if matches!(t.tok, Tok::Pipe | Tok::RParen) {
                break;
            }
            words.push(self.operand(toks, i, depth, fallback)?);
        }
        if words.is_empty() {
            return Err(src.err(pos, "missing command in pipeline"));
        }
        let mut words = words.into_iter();
        let first = words.next().expect("not empty");
        let args: Vec<Arg> = words.collect();
        // A function as an argument is called with no arguments, as Go does.
        for a in &args {
            if let Arg::Call(f, at) = a
                && let Some(message) = f.arity_error(0)
            {
                return Err(src.err(
                    *at,
                    format!("{message} (to pass its result, write ({} ...))", f.name()),
                ));
            }
        }
        let head = match first {
            Arg::Call(f, _) => {
                let n = args.len() + usize::from(stage > 0);
                if let Some(message) = f.arity_error(n) {
                    return Err(src.err(pos, message));
                }
                Head::Func(f)
            }
            operand => {
                let method = match &operand {
                    Arg::Field(path, _) | Arg::Var(_, path, _) | Arg::Paren(_, path, _) => {
                        !path.is_empty()
                    }
                    _ => false,
                };
                if method && (stage > 0 || !args.is_empty()) {
                    return Err(src.refused(
                        pos,
                        "a method call",
                        " (a field given arguments, or a field after `|`)",
                    ));
                }
                if stage > 0 {
                    return Err(src.err(pos, "only a function can follow `|`"));
                }
                if !args.is_empty() {
                    return Err(src.err(
                        pos,
                        "cannot give arguments to a value that is not a function",
                    ));
                }
                Head::Operand(operand)
            }
        };
        Ok(Cmd { pos, head, args })
    }

    // Over 80 lines on purpose: one arm per kind of operand (field, variable, literal,
    // parenthesized pipeline, function); each arm is short and they share the cursor.
    pub(super) fn operand(
        &mut self,
        toks: &[Token],
        i: &mut usize,
        depth: usize,
        fallback: usize,
    ) -> Result<Arg> {
        let src = self.src;
        let t = &toks[*i];
        *i += 1;
        let pos = t.pos;
        Ok(match &t.tok {
            Tok::Str(s) => Arg::Lit(Value::Str(s.clone())),
            Tok::Int(v) => Arg::Lit(Value::Int(*v)),
            Tok::Float(v) => Arg::Lit(Value::Float(*v)),
            Tok::Field(path) => Arg::Field(path.clone(), pos),
            Tok::Var(name, path) => {
                if !name.is_empty() && !self.vars.iter().any(|v| v == name) {
                    return Err(src.err(pos, format!("undefined variable \"${name}\"")));
                }
                Arg::Var(name.clone(), path.clone(), pos)
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => Arg::Lit(Value::Bool(true)),
                "false" => Arg::Lit(Value::Bool(false)),
                "nil" => Arg::Lit(Value::Null),
                w if REFUSED_KEYWORDS.contains(&w) => {
                    return Err(src.refused(pos, &format!("`{w}`"), ""));
                }
                "if" | "else" | "end" => {
                    return Err(src.err(pos, format!("`{word}` must start its own action")));
                }
                name => match Func::lookup(name) {
                    Some(f) => {
                        if f.not_run() {
                            self.warnings.push(src.warning(pos, f));
                        }
                        Arg::Call(f, pos)
                    }
                    None => {
                        return Err(src.refused(
                            pos,
                            &format!("function `{name}`"),
                            &format!(" (supported: {SUPPORTED})"),
                        ));
                    }
                },
            },
            Tok::LParen => {
                if depth + 1 > MAX_DEPTH {
                    return Err(src.err(pos, format!("parentheses nested deeper than {MAX_DEPTH}")));
                }
                if toks.get(*i).is_some_and(|t| t.tok == Tok::RParen) {
                    return Err(src.err(pos, "empty parentheses"));
                }
                let inner = self.pipe(toks, i, depth + 1, false, pos)?;
                match toks.get(*i) {
                    Some(Token {
                        tok: Tok::RParen, ..
                    }) => *i += 1,
                    _ => return Err(src.err(pos, "unclosed `(`")),
                }
                let mut path = Vec::new();
                if let Some(Token {
                    tok: Tok::Chain(p), ..
                }) = toks.get(*i)
                {
                    path = p.clone();
                    *i += 1;
                }
                Arg::Paren(Box::new(inner), path, pos)
            }
            Tok::RParen => return Err(src.err(pos, "unexpected `)`")),
            Tok::Pipe => return Err(src.err(pos, "unexpected `|`")),
            Tok::Declare | Tok::Assign => {
                return Err(src.err(pos, "unexpected assignment; write {{ $x := ... }}"));
            }
            Tok::Comma => return Err(src.refused(pos, "`,` (range variables)", "")),
            Tok::Chain(_) => return Err(src.err(fallback.max(pos), "unexpected field access")),
        })
    }
}
