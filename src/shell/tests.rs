use super::*;

fn cmds(s: &str) -> Vec<Command> {
    parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn words(s: &str) -> Vec<String> {
    let env = |_: &str| None;
    cmds(s)
        .into_iter()
        .flat_map(|c| c.words)
        .map(|w| expand(&w, &env).ok().flatten().unwrap_or(w.text))
        .collect()
}

#[test]
fn tricky_quoting() {
    assert_eq!(
        words(r#"a'b'"c" 'it'\''s' "say \"hi\" \$x" 'a "b"'"#),
        vec!["abc", "it's", "say \"hi\" $x", "a \"b\"",]
    );
    assert_eq!(words(r"a\ b c\\d"), vec!["a b", r"c\d"]);
    assert_eq!(words("x#y # comment\n"), vec!["x#y"]);
    assert!(parse("echo 'open").is_err());
    assert!(parse("echo \"open").is_err());
}

#[test]
fn continuations_and_comments() {
    let c = cmds("# header\nexec vllm serve \\\n  m \\\n  --a 1\n\n# tail\n");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].text, "exec vllm serve m --a 1");
    assert_eq!((c[0].line, c[0].end_line), (1, 3));
    let lines: Vec<usize> = c[0].words.iter().map(|w| w.line).collect();
    assert_eq!(lines, vec![1, 1, 1, 2, 3, 3]);
    assert_eq!(words("ab\\\ncd"), vec!["abcd"]);
}

#[test]
fn multi_line_json_values() {
    let c = cmds("vllm serve m --kv '{\"a\":1,\n   \"b\":2}' \\\n  --x '{}'\n");
    assert_eq!(c.len(), 1);
    let w = &c[0].words[4];
    assert_eq!(w.parts, vec![Part::Lit("{\"a\":1,\n   \"b\":2}".into())]);
    assert_eq!((w.line, w.end_line), (0, 1));
    assert!(c[0].multiline);
    assert_eq!(c[0].words[6].line, 2);
}

#[test]
fn sequences_and_separators() {
    let c = cmds(
        "find /dev/shm -type f -delete\nX=$(( 1 + 2 )); pip install a && exec vllm serve m | tee log &\n",
    );
    let seps: Vec<&str> = c.iter().map(|c| c.sep).collect();
    assert_eq!(seps, vec![";", ";", "&&", "|", "&"]);
    assert_eq!(c[1].text, "X=$(( 1 + 2 ))");
    assert!(cmds("if true; then x; fi")[0].compound);
    assert!(cmds("(cd x)")[0].compound);
    assert!(cmds("x > /tmp/log 2>&1")[0].redirect);
    assert!(parse("cat <<EOF\nx\nEOF\n").is_err());
}

#[test]
fn variables_and_arithmetic() {
    let env = |n: &str| match n {
        "TP" => Some("2".to_string()),
        "DP_LOCAL" => Some("8".to_string()),
        "GROUP" => Some("2".to_string()),
        "SPACED" => Some("a b".to_string()),
        _ => None,
    };
    let one = |s: &str| {
        let w = cmds(s).remove(0).words.remove(0);
        expand(&w, &env)
    };
    assert_eq!(one("$TP"), Ok(Some("2".into())));
    assert_eq!(one("${TP}x"), Ok(Some("2x".into())));
    assert_eq!(one("$((GROUP * DP_LOCAL))"), Ok(Some("16".into())));
    assert_eq!(
        one("$(( (TP + 1) * -$DP_LOCAL % 5 ))"),
        Ok(Some("-4".into()))
    );
    assert_eq!(one("${MISSING-}"), Ok(None), "unknown at conversion");
    assert_eq!(one("${TP:-4}"), Ok(Some("2".into())));
    assert_eq!(one("$LWS_LEADER_ADDRESS"), Ok(None));
    assert_eq!(
        one("$(( ${LWS_WORKER_INDEX:-0} * DP_LOCAL ))").ok(),
        None,
        "operator inside arithmetic is refused"
    );
    assert_eq!(one("$SPACED"), Ok(None), "unquoted: split at run time");
    assert_eq!(one("\"$SPACED\""), Ok(Some("a b".into())));
    assert!(one("$((2 ** 3))").is_err());
    assert!(one("$((1 / 0))").is_err());
    assert_eq!(one("$(hostname)"), Ok(None));
    assert_eq!(arithmetic("9223372036854775807 + 1", &env).ok(), None);
    let deep = "- ".repeat(100_000) + "1";
    assert_eq!(arithmetic(&deep, &env), Ok(Some(1)));
    let nested = "(".repeat(100) + "1" + &")".repeat(100);
    assert!(
        arithmetic(&nested, &env).is_err(),
        "parentheses nest at most 64 deep"
    );
}

/// The word splitter the vLLM command-line editor used before it read through [`words`],
/// kept verbatim (hence its length) as the oracle that [`words`] splits and reads exactly
/// as it did.
mod oracle {
    use proptest::prelude::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Piece {
        Lit(String),
        Var(String),
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct RefWord {
        start: usize,
        end: usize,
        pieces: Option<Vec<Piece>>,
    }

    // Over 80 lines on purpose: the word splitter the lexer replaced, kept as it was, as the
    // reference the property test compares the lexer with.
    fn reference_words(line: &str) -> Option<Vec<RefWord>> {
        fn push_lit(pieces: &mut Vec<Piece>, c: char) {
            match pieces.last_mut() {
                Some(Piece::Lit(t)) => t.push(c),
                _ => pieces.push(Piece::Lit(c.to_string())),
            }
        }
        /// A variable at `chars` (after `$`): its name and how many chars it took.
        fn variable(rest: &[(usize, char)]) -> Option<(String, usize)> {
            let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
            match rest.first()?.1 {
                '{' => {
                    let close = rest.iter().position(|(_, c)| *c == '}')?;
                    let name: String = rest[1..close].iter().map(|(_, c)| c).collect();
                    (!name.is_empty()
                        && name.chars().all(name_char)
                        && !name.starts_with(|c: char| c.is_ascii_digit()))
                    .then_some((name, close + 1))
                }
                c if c.is_ascii_alphabetic() || c == '_' => {
                    let n = rest.iter().take_while(|(_, c)| name_char(*c)).count();
                    Some((rest[..n].iter().map(|(_, c)| c).collect(), n))
                }
                _ => None,
            }
        }
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut words = Vec::new();
        let mut k = 0;
        while k < chars.len() {
            if chars[k].1.is_whitespace() {
                k += 1;
                continue;
            }
            let start = chars[k].0;
            let mut pieces = Vec::new();
            let mut plain = true;
            while k < chars.len() && !chars[k].1.is_whitespace() {
                let c = chars[k].1;
                k += 1;
                match c {
                    '\'' => loop {
                        let (_, c) = *chars.get(k)?;
                        k += 1;
                        if c == '\'' {
                            break;
                        }
                        push_lit(&mut pieces, c);
                    },
                    '"' => loop {
                        let (_, c) = *chars.get(k)?;
                        k += 1;
                        match c {
                            '"' => break,
                            '\\' => {
                                let (_, n) = *chars.get(k)?;
                                k += 1;
                                if !matches!(n, '"' | '\\' | '$' | '`') {
                                    push_lit(&mut pieces, '\\');
                                }
                                push_lit(&mut pieces, n);
                            }
                            '$' => match variable(&chars[k..]) {
                                Some((name, n)) => {
                                    pieces.push(Piece::Var(name));
                                    k += n;
                                }
                                None => {
                                    plain &= chars.get(k).is_none_or(|(_, n)| *n == '"');
                                    push_lit(&mut pieces, '$');
                                }
                            },
                            '`' => {
                                plain = false;
                                push_lit(&mut pieces, c);
                            }
                            c => push_lit(&mut pieces, c),
                        }
                    },
                    '\\' => {
                        let (_, n) = *chars.get(k)?;
                        k += 1;
                        push_lit(&mut pieces, n);
                    }
                    '$' => match variable(&chars[k..]) {
                        Some((name, n)) => {
                            pieces.push(Piece::Var(name));
                            k += n;
                        }
                        None => {
                            plain = false;
                            push_lit(&mut pieces, c);
                        }
                    },
                    '`' | '*' | '?' | '[' | '~' | '{' | '(' | ')' | ';' | '&' | '|' | '<' | '>'
                    | '#' => {
                        plain = false;
                        push_lit(&mut pieces, c);
                    }
                    c => push_lit(&mut pieces, c),
                }
            }
            let end = chars.get(k).map_or(line.len(), |(i, _)| *i);
            words.push(RefWord {
                start,
                end,
                pieces: plain.then_some(pieces),
            });
        }
        Some(words)
    }

    fn through_words(line: &str) -> Option<Vec<RefWord>> {
        use crate::shell::Part;
        let words = crate::shell::words(line).ok()?;
        let piece = |p: &Part| match p {
            Part::Lit(t) => Some(Piece::Lit(t.clone())),
            Part::Var { name, op: None, .. } => Some(Piece::Var(name.clone())),
            _ => None,
        };
        Some(
            words
                .iter()
                .map(|w| RefWord {
                    start: w.start,
                    end: w.end,
                    pieces: w.parts.iter().map(piece).collect(),
                })
                .collect(),
        )
    }

    #[test]
    fn fixed_lines() {
        for line in [
            "",
            "exec vllm serve m --port 8000 --kv \"{\\\"a\\\":\\\"tcp://${NS}.x\\\"}\" 'it''s' $(id)",
            "a$ \"a$\" \"$\" \"${X:-y}\" ${X:-y} $1 \"$1\" ${9} ${_a1} $_ x\\ y",
            "source /x/env.sh; vllm serve m --port 8200 && echo `id` \"`id`\" \"a\\\nb\"",
            "'open",
            "\"open",
            "trailing\\",
            "tab\tand\u{a0}nbsp\nnewline ~/x *.y [a] {a,b} (x) a|b a&b a<b a>b #c",
            "\"${a b}\" ${a b} ${ab \"$\"x",
        ] {
            assert_eq!(through_words(line), reference_words(line), "{line:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn same_words_as_the_reference(line in "[ a_1$'\"\\\\{}()`;#*\t\n\u{a0}é:-]{0,24}") {
            prop_assert_eq!(through_words(&line), reference_words(&line));
        }
    }
}
