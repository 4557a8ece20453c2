//! Work limits of template evaluation: steps taken and bytes copied or produced.
//!
//! Size limits alone do not bound the time a rendering takes: a 1 MiB template can repeat
//! `{{ $x = toYaml .Values }}` a hundred thousand times over a large environment, and every
//! result is discarded, so the output limit never trips. The template language has no loops,
//! so steps grow only with the template; what grows without bound is the data each step
//! copies (a field or variable is a copy of its value) and produces (`toYaml`, `printf`,
//! `indent`, ...). Both are counted against a [`Budget`] and the rendering stops with the
//! position of the action that went over it.

use super::value::Value;

/// Most evaluation steps (items, commands, function calls and copied value nodes) all the
/// renderings of one template may take together.
pub const MAX_STEPS: u64 = 1_000_000;
/// Most bytes (strings copied with values, strings functions produce) all the renderings of
/// one template may copy or produce together.
pub const MAX_WORK_BYTES: u64 = 64 << 20;

/// What a rendering may still spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub steps: u64,
    pub bytes: u64,
}

impl Default for Budget {
    /// The whole budget, for a template rendered once.
    fn default() -> Self {
        Budget {
            steps: MAX_STEPS,
            bytes: MAX_WORK_BYTES,
        }
    }
}

impl Budget {
    /// One of `n` equal shares of the whole budget: a helmfile's environments split it, so
    /// converting every variant (`--all`, `--list-variants`) costs no more than one budget
    /// however many environments the file declares.
    pub fn share(n: usize) -> Budget {
        let n = n.max(1) as u64;
        Budget {
            steps: MAX_STEPS / n,
            bytes: MAX_WORK_BYTES / n,
        }
    }

    /// Spend `steps` and `bytes`; on overdraft, the message for a rendering given `limit`.
    pub(super) fn spend(&mut self, steps: u64, bytes: u64, limit: Budget) -> Result<(), String> {
        let over = |what: &str, limit: u64| {
            format!(
                "template evaluation stopped: more than {limit} {what} in this rendering; a \
                 guide's template needs far less (look for toYaml or copies of large values \
                 repeated many times)"
            )
        };
        self.steps = (self.steps.checked_sub(steps)).ok_or_else(|| over("steps", limit.steps))?;
        self.bytes = (self.bytes.checked_sub(bytes))
            .ok_or_else(|| over("bytes copied or produced", limit.bytes))?;
        Ok(())
    }
}

/// Nodes and string bytes of `v`: the work of copying it. Counting stops once past `cap`
/// nodes or bytes, so weighing a large value costs no more than the budget left.
pub(super) fn weight(v: &Value, cap: Budget) -> (u64, u64) {
    let (mut nodes, mut bytes) = (0u64, 0u64);
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        nodes += 1;
        match v {
            Value::Str(s) => bytes += s.len() as u64,
            Value::List(items) => todo.extend(items),
            Value::Map(entries) => {
                for (k, v) in entries {
                    bytes += k.len() as u64;
                    todo.push(v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
        }
        if nodes > cap.steps || bytes > cap.bytes {
            break;
        }
    }
    (nodes, bytes)
}
