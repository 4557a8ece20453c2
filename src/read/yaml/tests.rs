use super::parse::decode_base64;
use super::*;

/// This thread's CPU time since `now()`: the work a test bounds, whatever else the
/// machine is doing (wall time moves with the load; these bounds must not).
struct CpuClock(std::time::Duration);

impl CpuClock {
    fn now() -> Self {
        CpuClock(thread_cpu())
    }
    fn elapsed(&self) -> std::time::Duration {
        thread_cpu().saturating_sub(self.0)
    }
}

fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant of libc.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn doc(text: &str) -> Doc {
    match parse_one("t.yaml", text) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn spans_of_scalars_blocks_and_collections() {
    let d = doc(
        "a:\n  b: |\n    # x\n    y\n\n  # c\n  c: \"q\"\n  d: [1, 2]\nf:\n- x\n- y: 1\n  z: 2\n",
    );
    let a = d.root.entry("a").unwrap();
    assert_eq!((a.line, a.value.end_line), (1, 8));
    let b = d.root.at("a.b").unwrap();
    assert_eq!((b.line, b.end_line), (3, 4));
    assert_eq!(b.as_str(), Some("# x\ny\n"));
    assert_eq!(d.root.at("a.c").unwrap().line, 7);
    assert_eq!(d.root.at("f[1].z").unwrap().line, 12);
    assert_eq!(d.root.get("f").unwrap().end_line, 12);
    assert_eq!(d.lines(7, 8), vec!["  c: \"q\"", "  d: [1, 2]"]);
}

#[test]
fn scalars_keep_quoting_so_types_are_known() {
    let d = doc("a: \"true\"\nb: true\nc: ~\nd:\n");
    assert_eq!(d.root.get("a").unwrap().as_bool(), None);
    assert_eq!(d.root.get("b").unwrap().as_bool(), Some(true));
    assert!(d.root.get("c").unwrap().is_null());
    assert!(d.root.get("d").unwrap().is_null());
}

#[test]
fn anchors_and_merge_keys() {
    let d = doc("base: &B\n  x: 1\n  y: 2\nother:\n  <<: *B\n  y: 3\n");
    let other = d.root.get("other").unwrap();
    assert_eq!(other.get("x").unwrap().as_str(), Some("1"));
    assert_eq!(other.get("y").unwrap().as_str(), Some("3"));
    let ids: Vec<usize> = [d.root.at("base.x").unwrap().id, other.get("x").unwrap().id].to_vec();
    assert_ne!(ids[0], ids[1], "alias copies get their own ids");
}

#[test]
fn duplicate_keys_are_errors_naming_both_lines() {
    let err = parse_one("t.yaml", "a: 1\nb: 2\na: 3\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("t.yaml:3:1: duplicate key \"a\" (first defined on line 1)"),
        "{err}"
    );
}

#[test]
fn helm_values_keep_the_last_duplicate_and_record_the_first() {
    let text = "a: 1\nd:\n  l:\n  - x: 1\n    x: 2\n  m: {k: 1}\n  m:\n    j: 2\na: 3\n";
    let d = match parse_values("t.yaml", text) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(d.root.get("a").and_then(Node::as_str), Some("3"));
    assert_eq!(d.root.entry("a").map(|e| e.line), Some(9));
    assert_eq!(d.root.at("d.l[0].x").and_then(Node::as_str), Some("2"));
    // A mapping given twice is replaced whole, not merged (as Helm's decoder does).
    assert!(d.root.at("d.m.k").is_none());
    assert_eq!(d.root.at("d.m.j").and_then(Node::as_str), Some("2"));
    let seen: Vec<(&str, usize, usize)> = d
        .duplicates
        .iter()
        .map(|x| (x.path.as_str(), x.dropped.line, x.kept.line))
        .collect();
    assert_eq!(
        seen,
        [("d.l[0].x", 4, 5), ("d.m", 6, 7), ("a", 1, 9)],
        "paths and both lines"
    );
    // Keys stay in the order of their first appearance, one entry each.
    let keys: Vec<&str> = d
        .root
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(keys, ["a", "d"]);
    let d = parse_values("t.yaml", "a: no\nb: On\nc: 'off'\nd: yEs\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let texts: Vec<Option<&str>> = ["a", "b", "c", "d"]
        .iter()
        .map(|k| d.root.get(k).and_then(Node::as_str))
        .collect();
    assert_eq!(
        texts,
        [Some("false"), Some("true"), Some("off"), Some("yEs")],
        "values hold what Helm renders"
    );
    // The same text read as any other YAML still refuses the duplicate.
    assert!(error_of(text).contains("duplicate key \"x\""));
}

#[test]
fn yaml11_booleans_as_helm_reads_them() {
    for t in [
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    ] {
        assert_eq!(
            doc(&format!("a: {t}\n"))
                .root
                .get("a")
                .and_then(Node::as_bool),
            Some(true),
            "{t}"
        );
    }
    for f in [
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ] {
        assert_eq!(
            doc(&format!("a: {f}\n"))
                .root
                .get("a")
                .and_then(Node::as_bool),
            Some(false),
            "{f}"
        );
    }
    // Mixed case, quoted or tagged as strings: strings, as for Helm.
    for s in ["yEs", "oN", "\"yes\"", "'off'", "!!str on", "1", "enabled"] {
        assert_eq!(
            doc(&format!("a: {s}\n"))
                .root
                .get("a")
                .and_then(Node::as_bool),
            None,
            "{s}"
        );
    }
}

#[test]
fn binary_scalars_are_decoded_or_refused() {
    let d = doc("a: !!binary aGVsbG8gd29ybGQ=\nb: !!binary |\n  aGVs\n  bG8\n");
    assert_eq!(d.root.get("a").and_then(Node::as_str), Some("hello world"));
    assert_eq!(d.root.get("b").and_then(Node::as_str), Some("hello"));
    assert!(
        !d.root
            .get("a")
            .and_then(Node::as_scalar)
            .is_some_and(|s| s.plain)
    );
    let err = error_of("a: 1\nb: !!binary /w==\n");
    assert!(
        err.starts_with("t.yaml:2:4: a !!binary value whose bytes are not UTF-8 text"),
        "{err}"
    );
    let err = error_of("b: !!binary not*base64\n");
    assert!(err.contains("not valid base64"), "{err}");
    assert_eq!(decode_base64("QQ"), Some(b"A".to_vec()));
    assert_eq!(decode_base64("QUI="), Some(b"AB".to_vec()));
    assert_eq!(decode_base64("Q"), None);
    assert_eq!(decode_base64("QQ=A"), None);
}

#[test]
fn syntax_errors_have_position_and_snippet() {
    let err = parse_one("v.yaml", "a: 1\nb: [1, 2\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("v.yaml:"), "{err}");
    assert!(err.contains(" | "), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn billion_laughs_hits_the_node_budget_quickly() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = CpuClock::now();
    let err = parse_one("bomb.yaml", &text).unwrap_err().to_string();
    assert!(err.contains("aliases expand to more than"), "{err}");
    assert!(
        started.elapsed().as_millis() < 1000,
        "{:?}",
        started.elapsed()
    );
    // The same with mappings, and with merge keys.
    let mut text = String::from("a0: &a0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x}\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!("a{i}: &a{i} {{a: *a{p}, b: *a{p}, c: *a{p}, d: *a{p}, e: *a{p}, f: *a{p}, g: *a{p}, h: *a{p}}}\n"));
    }
    assert!(error_of(&text).contains("aliases expand to more than"));
    // Few nodes, long text: priced in bytes too.
    let long = format!(
        "a: &a \"{}\"\n{}",
        "x".repeat(1 << 20),
        (0..17).map(|i| format!("r{i}: *a\n")).collect::<String>()
    );
    assert!(error_of(&long).contains("aliases copy more than"));
}

fn error_of(text: &str) -> String {
    match parse_one("t.yaml", text) {
        Ok(d) => panic!("{text:?} parsed: {:?}", d.root),
        Err(e) => e.to_string(),
    }
}

#[test]
fn tabs_in_indentation_say_what_to_do() {
    let err = error_of("a:\n\tb: 1\n");
    assert!(err.starts_with("t.yaml:2:"), "{err}");
    assert!(err.contains("replace the tab"), "{err}");
}

#[test]
fn control_characters_and_binary_are_refused_with_their_place() {
    let err = error_of("a: 1\nb: x\u{1b}[31m\n");
    assert!(
        err.starts_with("t.yaml:2:5: control character U+001B"),
        "{err}"
    );
    // The snippet shows the character escaped, never raw.
    assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{err}");
    let err = error_of("a: 1\n\0\0\u{1}PNG");
    assert!(
        err.contains("t.yaml:2:1: a NUL character: this looks like a binary file"),
        "{err}"
    );
    for c in ['\u{7f}', '\u{85}', '\u{9b}', '\u{8}'] {
        let err = error_of(&format!("a: {c}\n"));
        assert!(err.contains("control character U+"), "{c:?}: {err}");
    }
    // Escaped in a double-quoted string, a control character is a value like any other.
    let d = doc("a: \"\\e\\x01\"\n");
    assert_eq!(d.root.get("a").and_then(Node::as_str), Some("\u{1b}\u{1}"));
}

#[test]
fn line_endings_crlf_like_lf_lone_cr_refused() {
    let lf = doc("a: x\nb: |\n  l1\n  l2\nc: 3\n");
    let crlf = doc("a: x\r\nb: |\r\n  l1\r\n  l2\r\nc: 3\r\n");
    assert_eq!(lf.root, crlf.root);
    assert_eq!(crlf.lines(2, 3), vec!["b: |", "  l1"]);
    let err = error_of("a: 1\rb: 2\r");
    assert!(
        err.starts_with("t.yaml:1:5: a carriage return without a line feed"),
        "{err}"
    );
}

#[test]
fn byte_order_marks() {
    let d = doc("\u{feff}a: 1\n");
    assert_eq!(d.root.get("a").map(|n| n.line), Some(1));
    assert_eq!(d.lines(1, 1), vec!["a: 1"]);
    let err = error_of("a: 1\n\u{feff}b: 2\n");
    assert!(
        err.contains("t.yaml:2:1: a byte order mark must not appear inside a document"),
        "{err}"
    );
}

#[test]
fn documents_are_counted() {
    let err = error_of("a: 1\n---\nb: 2\n");
    assert!(
        err.starts_with("t.yaml:2:1: a second YAML document starts here"),
        "{err}"
    );
    // A stream of a million documents stops at the second.
    let many = "---\n".repeat(1_000_000);
    let started = CpuClock::now();
    assert!(error_of(&many).contains("a second YAML document"));
    assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    let err = match parse("t.yaml", &"---\na: 1\n".repeat(MAX_DOCUMENTS + 1)) {
        Ok(_) => panic!("parsed"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(&format!("more than {MAX_DOCUMENTS} YAML documents")),
        "{err}"
    );
    assert_eq!(
        parse("t.yaml", &"---\na: 1\n".repeat(3))
            .map(|d| d.len())
            .ok(),
        Some(3)
    );
}

#[test]
fn wide_mappings_are_fast_and_bounded() {
    // Duplicate keys are found by hash, not by scanning: MAX_KEYS keys parse at once.
    let wide: String = (0..MAX_KEYS).map(|i| format!("k{i}: {i}\n")).collect();
    let started = CpuClock::now();
    let d = doc(&wide);
    assert_eq!(d.root.as_map().map(<[Entry]>::len), Some(MAX_KEYS));
    assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    let wider = format!("{wide}k{MAX_KEYS}: x\n");
    assert!(error_of(&wider).contains(&format!("more than {MAX_KEYS} keys in one mapping")));
    let dup = format!("{wide}k17: again\n");
    let err = error_of(&dup);
    assert!(
        err.contains(&format!(
            "t.yaml:{}:1: duplicate key \"k17\" (first defined on line 18)",
            MAX_KEYS + 1
        )),
        "{err}"
    );
}

#[test]
fn wide_sequences_hit_the_node_budget() {
    let text = format!("a: [{}]\n", vec!["x"; MAX_NODES + 1].join(","));
    assert!(error_of(&text).contains(&format!("more than {MAX_NODES} YAML nodes")));
}

#[test]
fn every_kind_of_deep_nesting_is_an_error() {
    let n = 10_000;
    let cases = [
        "[".repeat(n) + &"]".repeat(n),
        "{a: ".repeat(n) + "x" + &"}".repeat(n),
        "- ".repeat(n) + "x\n",
        // Block mappings by indentation: 2,000 levels are already 2 MB of spaces.
        (0..2_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect::<String>(),
    ];
    for text in cases {
        let started = CpuClock::now();
        let err = error_of(&text);
        assert!(
            err.contains("nested deeper than 512 levels")
                || err.contains("flow collections ([...] or {...}) nested too deeply"),
            "{}",
            &err[..err.len().min(300)]
        );
        assert!(err.len() < 2000, "the snippet of a huge line is cut");
        assert!(
            started.elapsed().as_millis() < 1000,
            "{:?}: {:?}",
            &text[..20],
            started.elapsed()
        );
    }
    // Just inside the limit is fine.
    let ok = "- ".repeat(MAX_DEPTH) + "x\n";
    assert!(parse_one("t.yaml", &ok).is_ok());
    assert!(error_of(&("- ".repeat(MAX_DEPTH + 1) + "x\n")).contains("nested deeper"));
}

#[test]
fn paths_with_indexes() {
    let d = doc("decode:\n  containers:\n  - args: [a, b]\n");
    assert_eq!(
        d.root.at("decode.containers[0].args[1]").unwrap().as_str(),
        Some("b")
    );
    assert!(d.root.at("decode.containers[1]").is_none());
    assert!(d.root.at("decode.containers[x]").is_none());
}
