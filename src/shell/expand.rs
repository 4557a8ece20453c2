//! Expansion of a word with what the container's env says, and `$(( ))` arithmetic.

use super::lex::{Part, Word};

/// The value of a word when every part is known: literal text, variables the lookup knows,
/// arithmetic over them. `Ok(None)`: the word depends on the pod at run time (keep it as
/// written). `Err`: the word uses something this reader refuses to evaluate.
pub fn expand(word: &Word, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, String> {
    let mut out = String::new();
    for part in &word.parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Var { name, op, quoted } => {
                let value = match (env(name), op) {
                    (Some(v), None) => v,
                    (Some(v), Some((op, _))) if !(op.starts_with(':') && v.is_empty()) => {
                        if op.ends_with('+') {
                            return Ok(None);
                        }
                        v
                    }
                    _ => return Ok(None),
                };
                // Unquoted, the shell would split or glob these: keep the word as written.
                if !quoted && value.contains([' ', '\t', '\n', '*', '?', '[']) {
                    return Ok(None);
                }
                out.push_str(&value);
            }
            Part::Arith(expr) => match arithmetic(expr, env)? {
                Some(n) => out.push_str(&n.to_string()),
                None => return Ok(None),
            },
            Part::Dynamic(_) => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// The names of the variables a word reads.
pub fn variables(word: &Word) -> Vec<String> {
    let mut out = Vec::new();
    for part in &word.parts {
        match part {
            Part::Var { name, .. } => out.push(name.clone()),
            Part::Arith(expr) => out.extend(
                Arith::tokens(expr)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|t| match t {
                        Tok::Name(n) => Some(n),
                        _ => None,
                    }),
            ),
            _ => {}
        }
    }
    out
}

/// Evaluate `$(( expr ))`: integers, variables (whose values must be integers), `+ - * / %`,
/// unary signs and parentheses. `Ok(None)` when a variable is not known.
pub fn arithmetic(expr: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<i64>, String> {
    let tokens = Arith::tokens(expr)?;
    let mut a = Arith {
        tokens,
        i: 0,
        env,
        unknown: false,
        depth: 0,
    };
    let v = a.sum()?;
    if a.i != a.tokens.len() {
        return Err(format!(
            "$(( {expr} )): cannot read past {:?}",
            a.tokens[a.i]
        ));
    }
    Ok((!a.unknown).then_some(v))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(char),
}

struct Arith<'e> {
    tokens: Vec<Tok>,
    i: usize,
    env: &'e dyn Fn(&str) -> Option<String>,
    unknown: bool,
    depth: usize,
}

impl Arith<'_> {
    fn tokens(expr: &str) -> Result<Vec<Tok>, String> {
        let refuse = |what: &str| {
            Err(format!(
                "$(( {expr} )) uses {what}; convert-guide evaluates + - * / % and parentheses over numbers and variables"
            ))
        };
        let chars: Vec<char> = expr.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                ' ' | '\t' | '\n' => i += 1,
                '0'..='9' => {
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                        i += 1;
                    }
                    let text: String = chars[start..i].iter().collect();
                    if text.len() > 1 && text.starts_with('0') {
                        return refuse("a number in another base");
                    }
                    match text.parse() {
                        Ok(n) => out.push(Tok::Num(n)),
                        Err(_) => return refuse(&format!("{text:?}")),
                    }
                }
                '$' | '_' | 'a'..='z' | 'A'..='Z' => {
                    // `$X` and `${X}` are the same variable inside arithmetic.
                    let braced = c == '$' && chars.get(i + 1) == Some(&'{');
                    i += if c != '$' {
                        0
                    } else if braced {
                        2
                    } else {
                        1
                    };
                    let start = i;
                    while i < chars.len() && (chars[i] == '_' || chars[i].is_ascii_alphanumeric()) {
                        i += 1;
                    }
                    if start == i {
                        return refuse("a `$` that is not a variable");
                    }
                    out.push(Tok::Name(chars[start..i].iter().collect()));
                    if braced {
                        if chars.get(i) != Some(&'}') {
                            return refuse("a `${...}` expansion with an operator");
                        }
                        i += 1;
                    }
                }
                '+' | '-' | '*' | '/' | '%' | '(' | ')' => {
                    if matches!(
                        (c, chars.get(i + 1)),
                        ('*', Some('*')) | ('+', Some('+')) | ('-', Some('-'))
                    ) {
                        return refuse(&format!("`{c}{c}`"));
                    }
                    out.push(Tok::Op(c));
                    i += 1;
                }
                other => return refuse(&format!("`{other}`")),
            }
        }
        Ok(out)
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.i)
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.product()?;
        while let Some(Tok::Op(op @ ('+' | '-'))) = self.peek().cloned() {
            self.i += 1;
            let r = self.product()?;
            v = if op == '+' {
                v.checked_add(r)
            } else {
                v.checked_sub(r)
            }
            .ok_or("arithmetic overflow")?;
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut v = self.unary()?;
        while let Some(Tok::Op(op @ ('*' | '/' | '%'))) = self.peek().cloned() {
            self.i += 1;
            let r = self.unary()?;
            if op != '*' && r == 0 {
                if self.unknown {
                    // The value is not known anyway; do not report what may not happen.
                    v = 0;
                    continue;
                }
                return Err("division by zero".into());
            }
            v = match op {
                '*' => v.checked_mul(r),
                '/' => v.checked_div(r),
                _ => v.checked_rem(r),
            }
            .ok_or("arithmetic overflow")?;
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<i64, String> {
        // Signs are counted, not recursed on: `- - - 1` cannot exhaust the stack.
        let mut negative = false;
        while let Some(Tok::Op(op @ ('-' | '+'))) = self.peek().cloned() {
            self.i += 1;
            negative ^= op == '-';
        }
        let v = self.primary()?;
        if negative {
            v.checked_neg().ok_or_else(|| "arithmetic overflow".into())
        } else {
            Ok(v)
        }
    }

    fn primary(&mut self) -> Result<i64, String> {
        let t = self.peek().cloned();
        self.i += 1;
        match t {
            Some(Tok::Num(n)) => Ok(n),
            Some(Tok::Name(name)) => match (self.env)(&name) {
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("variable {name} is {v:?}, not a whole number")),
                None => {
                    self.unknown = true;
                    Ok(1)
                }
            },
            Some(Tok::Op('(')) => {
                self.depth += 1;
                if self.depth > 64 {
                    return Err("arithmetic nested too deep".into());
                }
                let v = self.sum()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::Op(')')) {
                    return Err("a `(` is not closed".into());
                }
                self.i += 1;
                Ok(v)
            }
            other => Err(format!("unexpected {other:?} in arithmetic")),
        }
    }
}
