use super::funcs::go_quote;
use super::to_yaml::to_yaml;
use super::*;
use crate::diag::Severity;

mod helmfiles;

const F: &str = "helmfile.yaml.gotmpl";

fn ctx(name: &str) -> Context {
    Context {
        environment_name: name.into(),
        environment_values: Value::Map(vec![
            (
                "gateway".into(),
                Value::Map(vec![("className".into(), Value::Str("istio".into()))]),
            ),
            ("flag".into(), Value::Bool(true)),
            ("n".into(), Value::Int(3)),
            ("empty".into(), Value::Str(String::new())),
            ("nothing".into(), Value::Null),
            (
                "list".into(),
                Value::List(vec![Value::Int(1), Value::Str("a".into())]),
            ),
        ]),
        ..Context::default()
    }
}

/// Warnings as the user reads them.
fn shown(warnings: &[Diagnostic]) -> Vec<String> {
    warnings.iter().map(|w| w.plain().to_string()).collect()
}

fn r(t: &str) -> String {
    render(F, t, 1, &ctx("default")).unwrap().text
}

fn err(t: &str) -> String {
    let e = render(F, t, 1, &ctx("default")).unwrap_err();
    e.to_string()
}

fn check_err(t: &str) -> String {
    check(F, t, 1).unwrap_err().to_string()
}

#[test]
fn text_passes_through_with_its_lines() {
    let out = render(F, "a: 1\n\nb: 2\n", 10, &Context::default()).unwrap();
    assert_eq!(out.text, "a: 1\n\nb: 2\n");
    assert_eq!(out.lines, vec![10, 11, 12]);
    assert!(out.warnings.is_empty());
}

#[test]
fn actions_print_values() {
    assert_eq!(r("x{{ .Environment.Name }}y"), "xdefaulty");
    assert_eq!(
        r("{{ .Values.n }} {{ .Values.flag }} {{ 1.5 }} {{ 1e6 }}"),
        "3 true 1.5 1e+06"
    );
    assert_eq!(r("{{ .Environment.Values.gateway.className }}"), "istio");
    assert_eq!(r("[{{ .Namespace }}]"), "[]");
}

#[test]
fn comments_render_nothing() {
    assert_eq!(r("a{{/* x }} y */}}b"), "ab");
    assert_eq!(r("a \n {{- /* multi\nline */ -}} \n b"), "ab");
    assert!(err("{{/* x */ }}").contains("comment ends before closing delimiter"));
    assert!(err("{{/* x").contains("unclosed comment"));
}

#[test]
fn trim_markers() {
    assert_eq!(r("a  \n\t {{- \"x\" }} b"), "ax b");
    assert_eq!(r("a {{ \"x\" -}} \n\n b"), "a xb");
    assert_eq!(r("a\n{{- \"x\" -}}\nb"), "axb");
    // `{{-3}}` is the number -3, not a trim marker.
    assert_eq!(r("a {{-3}} b"), "a -3 b");
    let out = render(
        F,
        "a:\n{{- if true }}\n  b: 1\n{{- end }}\nc: 2",
        5,
        &Context::default(),
    )
    .unwrap();
    assert_eq!(out.text, "a:\n  b: 1\nc: 2");
    assert_eq!(out.lines, vec![5, 7, 9]);
}

#[test]
fn if_else_if_else_nested() {
    let t = "{{ if eq .Environment.Name \"a\" }}A{{ else if eq .Environment.Name \"b\" }}B{{ if .Values.flag }}+{{ else }}-{{ end }}{{ else }}C{{ end }}";
    for (env, want) in [("a", "A"), ("b", "B+"), ("c", "C")] {
        assert_eq!(render(F, t, 1, &ctx(env)).unwrap().text, want, "{env}");
    }
    assert_eq!(r("{{ if .Values.empty }}x{{ end }}"), "");
    assert_eq!(r("{{ if .Values.list }}x{{ end }}"), "x");
    assert_eq!(r("{{ if 0 }}x{{ else }}y{{ end }}"), "y");
    assert_eq!(
        r("{{ if nil }}x{{ else if \"\" }}y{{ else if .Values.n }}z{{ end }}"),
        "z"
    );
}

#[test]
fn block_errors() {
    assert!(err("{{ if true }}x").contains("1:1: unclosed `if`"));
    assert!(err("x{{ end }}").contains("1:5: `{{ end }}` without an open `if`"));
    assert!(err("{{ else }}").contains("outside an `if`"));
    assert!(err("{{ if 1 }}{{ else }}{{ else }}{{ end }}").contains("after `{{ else }}`"));
    assert!(err("{{ if }}{{ end }}").contains("missing condition"));
    assert!(err("{{ if 1 }}{{ end 2 }}").contains("after `end`"));
    assert!(err("{{ }}").contains("empty action"));
    assert!(err("a\n  {{ .x").contains("2:3: unclosed action"));
}

#[test]
fn variables_and_scoping() {
    assert_eq!(r("{{ $x := \"a\" }}{{ $x }}{{ $x = \"b\" }}{{ $x }}"), "ab");
    // Assignment inside an if changes the outer variable.
    assert_eq!(
        r("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"),
        "2"
    );
    // A declaration inside an if shadows until its end.
    assert_eq!(
        r("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}"),
        "21"
    );
    // ... and does not exist after it, nor in the else branch.
    assert!(
        check_err("{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}")
            .contains("undefined variable \"$y\"")
    );
    assert!(
        check_err("{{ if true }}{{ $y := 2 }}{{ else }}{{ $y }}{{ end }}")
            .contains("undefined variable")
    );
    assert!(check_err("{{ $z = 1 }}").contains("1:4: undefined variable \"$z\""));
    // Fields of variables, and `$` for the data.
    assert_eq!(
        r("{{ $g := .Values.gateway }}{{ $g.className }} {{ $.Environment.Name }}"),
        "istio default"
    );
    assert!(check_err("{{ $a, $b := 1 }}").contains("declaring several variables"));
    assert!(
        check_err("{{ if $x := 1 }}{{ end }}")
            .contains("variable declaration here is not supported")
    );
    assert!(
        check_err("{{ $x.y := 1 }}").contains("undefined variable")
            || check_err("{{ $x := 1 }}{{ $x.y := 1 }}").contains("cannot assign")
    );
    assert!(check_err("{{ $x := 1 }}{{ $x.y := 1 }}").contains("cannot assign"));
}

#[test]
fn variable_count_is_limited() {
    let t = "{{ $v := 1 }}".repeat(MAX_VARIABLES + 1);
    assert!(check_err(&t).contains("more than 1000 variable declarations"));
    assert!(check(F, &"{{ $v := 1 }}".repeat(MAX_VARIABLES), 1).is_ok());
}

#[test]
fn pipelines_and_parentheses() {
    assert_eq!(r("{{ \"a\" | printf \"%s-%s\" \"b\" }}"), "b-a");
    assert_eq!(r("{{ \"x\" | quote | quote }}"), "\"\\\"x\\\"\"");
    assert_eq!(r("{{ (printf \"%s\" \"p\") | quote }}"), "\"p\"");
    assert_eq!(r("{{ (.Values.gateway).className }}"), "istio");
    assert_eq!(r("{{ not (or (eq 1 2) (eq \"a\" \"a\")) }}"), "false");
    assert!(check_err("{{ \"a\" | 1 }}").contains("only a function can follow"));
    assert!(check_err("{{ 1 2 }}").contains("cannot give arguments"));
    assert!(check_err("{{ (1 }}").contains("unclosed `(`"));
    assert!(check_err("{{ 1) }}").contains("unexpected `)`"));
    assert!(check_err("{{ () }}").contains("empty parentheses"));
    assert!(check_err("{{ 1 | }}").contains("missing command"));
    assert!(check_err("{{ env\"x\".y }}").contains("unexpected field access"));
}

#[test]
fn literals() {
    assert_eq!(
        r(r#"{{ "a\tb\n\"c\"\\\x41\101\u00e9\U0001F600" }}"#),
        "a\tb\n\"c\"\\AAé😀"
    );
    assert_eq!(r("{{ `raw \\n {{ }}` }}"), "raw \\n {{ }}");
    assert_eq!(
        r(
            "{{ 42 }} {{ -7 }} {{ 0x1f }} {{ 0o17 }} {{ 017 }} {{ 1_000 }} {{ 2.50 }} {{ true }} {{ false }}"
        ),
        "42 -7 31 15 15 1000 2.5 true false"
    );
    assert!(check_err("{{ \"a\nb\" }}").contains("newline in string"));
    assert!(check_err("{{ \"\\q\" }}").contains("unknown escape"));
    assert!(check_err("{{ \"\\x+1\" }}").contains("1:5: bad or unterminated escape"));
    assert!(check_err("{{ \"abc }}").contains("unterminated string"));
    assert!(check_err("{{ 'a' }}").contains("a character constant is not supported"));
    assert!(check_err("{{ 12abc }}").contains("bad number syntax"));
    assert!(check_err("{{ 99999999999999999999 }}").contains("integer overflow"));
    assert!(check_err("{{ # }}").contains("unexpected '#'"));
    assert!(err("{{ nil }}").contains("null value"));
}

#[test]
fn missing_keys_are_errors_with_position() {
    let e = render(
        F,
        "a: 1\nb: {{ .Environment.Values.provider.name }}",
        40,
        &ctx("default"),
    )
    .unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("helmfile.yaml.gotmpl:41:7: map has no entry for key \"provider\" (in .Environment.Values.provider)"), "{s}");
    assert!(
        s.contains("41 | b: {{ .Environment.Values.provider.name }}"),
        "{s}"
    );
    assert!(
        err("{{ .Values.gateway.missing }}")
            .contains("key \"missing\" (in .Values.gateway.missing)")
    );
    assert!(err("{{ .Environment.Name.x }}").contains("cannot read field \"x\" of a string"));
    assert!(err("{{ .Values.nothing.x }}").contains("of a null"));
    // Through default too: Go evaluates the argument first.
    assert!(err("{{ .Values.missing | default \"x\" }}").contains("no entry for key \"missing\""));
    // Only where the branch runs; check does not know the values.
    assert_eq!(r("{{ if false }}{{ .Values.missing }}{{ end }}"), "");
}

#[test]
fn printing_collections_and_null_is_an_error() {
    assert!(err("{{ .Values.gateway }}").contains("output of a map: use toYaml"));
    assert!(err("{{ .Values.list }}").contains("output of a list: use toYaml"));
    assert!(err("{{ .Values.nothing }}").contains("null value"));
}

#[test]
fn function_eq_ne() {
    assert_eq!(
        r(
            "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"c\" \"a\" }} {{ eq \"a\" \"b\" }} {{ eq nil nil }} {{ eq .Values.nothing \"x\" }}"
        ),
        "true true false true false"
    );
    assert_eq!(
        r("{{ ne .Environment.Name \"standalone\" }} {{ ne 1 1 }}"),
        "true false"
    );
    assert!(
        err("{{ eq 1 \"1\" }}")
            .contains("eq: incompatible types for comparison: integer and string")
    );
    assert!(err("{{ eq .Values.list .Values.list }}").contains("cannot compare a list"));
    assert!(
        check_err("{{ eq 1 }}")
            .contains("wrong number of arguments for eq: want at least 2, got 1")
    );
    assert!(check_err("{{ ne 1 2 3 }}").contains("want 2, got 3"));
}

#[test]
fn function_and_or_not() {
    assert_eq!(
        r("{{ or \"\" 0 \"x\" \"y\" }} {{ or 0 \"\" }} {{ and 1 \"x\" }} {{ and 1 0 \"x\" }}"),
        "x  x 0"
    );
    // Short-circuit: the missing key is never read.
    assert_eq!(
        r("{{ or true .Values.missing }} {{ and false .Values.missing }}"),
        "true false"
    );
    assert_eq!(r("{{ \"\" | or \"p\" }} {{ 0 | and 1 }}"), "p 0");
    assert_eq!(
        r("{{ not 0 }} {{ not \"x\" }} {{ not .Values.list }}"),
        "true false false"
    );
    assert!(check_err("{{ not 1 2 }}").contains("wrong number of arguments for not"));
    assert!(check_err("{{ and }}").contains("want at least 1, got 0"));
}

#[test]
fn function_printf() {
    assert_eq!(
        r("{{ printf \"%s-%d-%v-%v-%q-%%\" \"a\" 5 true 7 \"q\" }}"),
        "a-5-true-7-\"q\"-%"
    );
    assert_eq!(
        r("{{ printf \"gaie-%s-epp.%s.svc\" \"rn\" \"ns\" }}"),
        "gaie-rn-epp.ns.svc"
    );
    assert!(
        err("{{ printf \"%s %s\" \"a\" }}").contains("printf: format needs more than 1 argument")
    );
    assert!(err("{{ printf \"%s\" \"a\" \"b\" }}").contains("uses 1 argument(s) but 2 were given"));
    assert!(err("{{ printf \"%x\" 1 }}").contains("verb %x is not supported"));
    assert!(err("{{ printf \"%d\" \"a\" }}").contains("%d of a string is not supported"));
    assert!(err("{{ printf 1 }}").contains("the format must be a string"));
    assert!(err("{{ printf \"%\" }}").contains("lone %"));
}

#[test]
fn function_quote() {
    assert_eq!(r("{{ quote \"a\\\"b\\n\" }}"), "\"a\\\"b\\n\"");
    assert_eq!(r("{{ quote \"a\" 1 true nil }}"), "\"a\" \"1\" \"true\"");
    assert_eq!(r("{{ quote }}"), "");
    assert_eq!(go_quote("\u{1}é\u{202e}"), "\"\\x01é\\u202e\"");
    assert!(err("{{ quote .Values.list }}").contains("quote of a list: use toYaml"));
}

#[test]
fn function_default() {
    assert_eq!(
        r(
            "{{ .Namespace | default \"ns\" }} {{ default \"d\" \"v\" }} {{ default \"d\" 0 }} {{ default \"d\" }}"
        ),
        "ns v d d"
    );
    let mut c = ctx("x");
    c.namespace = "given".into();
    assert_eq!(
        render(F, "{{ .Namespace | default \"ns\" }}", 1, &c)
            .unwrap()
            .text,
        "given"
    );
    assert!(check_err("{{ default 1 2 3 }}").contains("want 1 to 2, got 3"));
}

#[test]
fn function_env() {
    let t = "{{ $rn := (env \"RELEASE\") | default \"dflt\" }}{{ $rn }}";
    assert_eq!(render(F, t, 1, &Context::default()).unwrap().text, "dflt");
    let mut c = Context::default();
    c.env.insert("RELEASE".into(), "mine".into());
    assert_eq!(render(F, t, 1, &c).unwrap().text, "mine");
    assert!(err("{{ env 1 }}").contains("env: the name must be a string"));
}

#[test]
fn function_to_yaml() {
    let v = Value::Map(vec![
        (
            "a".into(),
            Value::Map(vec![
                ("b".into(), Value::Int(1)),
                (
                    "c".into(),
                    Value::List(vec![
                        Value::Str("x".into()),
                        Value::Map(vec![
                            ("k".into(), Value::Bool(true)),
                            ("l".into(), Value::Null),
                        ]),
                    ]),
                ),
            ]),
        ),
        ("empty".into(), Value::Map(vec![])),
        ("none".into(), Value::List(vec![])),
        ("f".into(), Value::Float(0.5)),
        (
            "nested".into(),
            Value::List(vec![Value::List(vec![Value::Int(1), Value::Int(2)])]),
        ),
    ]);
    let y = to_yaml(&v).unwrap();
    assert_eq!(
        y,
        "a:\n  b: 1\n  c:\n  - x\n  - k: true\n    l: null\nempty: {}\nnone: []\nf: 0.5\nnested:\n- - 1\n  - 2"
    );
    let back = from_yaml(&crate::read::yaml::parse_one("t", &y).unwrap().root);
    assert_eq!(back, v);
    assert_eq!(to_yaml(&Value::Str("plain".into())).unwrap(), "plain");
    assert_eq!(to_yaml(&Value::Null).unwrap(), "null");
    assert_eq!(r("{{ .Values.gateway | toYaml }}"), "className: istio");
}

#[test]
fn to_yaml_quotes_strings_that_would_change_type() {
    let quoted = [
        "",
        "true",
        "False",
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "null",
        "~",
        "1",
        "-1",
        "1.5",
        ".5",
        "1e3",
        "0x1F",
        "0o17",
        "012",
        "1_000",
        "1:20",
        ".inf",
        "-.Inf",
        ".nan",
        "2001-12-14",
        "a: b",
        "a #b",
        "key:",
        "- x",
        "#c",
        "*x",
        "&x",
        "!x",
        "|",
        ">",
        "%x",
        "@x",
        "`x",
        "'x",
        "\"x",
        "{x",
        "[x",
        " lead",
        "trail ",
        "two\nlines",
        "tab\there",
    ];
    for s in quoted {
        let y = to_yaml(&Value::Map(vec![("k".into(), Value::Str(s.into()))])).unwrap();
        assert!(y.starts_with("k: \""), "{s:?} -> {y}");
        let back = from_yaml(&crate::read::yaml::parse_one("t", &y).unwrap().root);
        assert_eq!(back.get("k"), Some(&Value::Str(s.into())), "{s:?} -> {y}");
    }
    for s in [
        "istio",
        "16Gi",
        "900s",
        "a-b",
        "http://x:1/y",
        "1.2.3",
        "v1.3.6",
        "gke-l7-regional-external-managed",
    ] {
        let y = to_yaml(&Value::Map(vec![("k".into(), Value::Str(s.into()))])).unwrap();
        assert_eq!(y, format!("k: {s}"));
        let back = from_yaml(&crate::read::yaml::parse_one("t", &y).unwrap().root);
        assert_eq!(back.get("k"), Some(&Value::Str(s.into())));
    }
    assert_eq!(
        to_yaml(&Value::Map(vec![("true".into(), Value::Int(1))])).unwrap(),
        "\"true\": 1"
    );
}

#[test]
fn function_indent_nindent() {
    assert_eq!(r("{{ \"a\\nb\" | indent 2 }}"), "  a\n  b");
    assert_eq!(r("x:{{ \"a\\nb\" | nindent 4 }}"), "x:\n    a\n    b");
    assert_eq!(r("{{ \"\" | indent 3 }}|"), "   |");
    assert!(err("{{ \"a\" | indent -1 }}").contains("width -1 is outside"));
    assert!(err("{{ \"a\" | indent \"2\" }}").contains("the width must be an integer"));
    assert!(err("{{ 5 | nindent 2 }}").contains("the text must be a string"));
    let out = render(
        F,
        "k:\n  {{ .Values.gateway | toYaml | nindent 2 }}\nz: 1",
        3,
        &ctx("x"),
    )
    .unwrap();
    assert_eq!(out.text, "k:\n  \n  className: istio\nz: 1");
    assert_eq!(out.lines, vec![3, 4, 4, 5]);
}

#[test]
fn not_run_functions_render_empty_with_a_warning() {
    let t = "a: 1\nb: {{ readFile (printf \"%s/x\" \"/tmp\") | indent 2 }}\n{{ if false }}{{ exec \"ls\" \"x\" }}{{ tpl \"t\" . }}{{ end }}";
    let out = render(F, t, 7, &Context::default()).unwrap();
    assert_eq!(out.text, "a: 1\nb:   \n");
    assert_eq!(
        shown(&out.warnings),
        vec![
            "helmfile.yaml.gotmpl:8: readFile is not run by convert-guide; rendered as an empty string"
        ]
    );
    let w = &out.warnings[0];
    assert_eq!(
        (w.severity, w.code),
        (Severity::Warning, "template-not-run")
    );
    assert_eq!(
        w.span.as_ref().map(|s| (s.file.as_str(), s.line)),
        Some((F, 8))
    );
    let warnings = shown(&check(F, t, 7).unwrap());
    assert_eq!(warnings.len(), 3);
    assert!(warnings[1].starts_with("helmfile.yaml.gotmpl:9: exec is not run"));
    assert!(warnings[2].contains("tpl is not run"));
}

#[test]
fn refused_constructs_name_themselves_and_their_line() {
    for (t, what) in [
        (
            "{{ range .Values.list }}{{ end }}",
            "`range` is not supported by convert-guide",
        ),
        ("{{ with .Values }}{{ end }}", "`with` is not supported"),
        ("{{ define \"x\" }}{{ end }}", "`define` is not supported"),
        ("{{ template \"x\" }}", "`template` is not supported"),
        ("{{ block \"x\" . }}{{ end }}", "`block` is not supported"),
        (
            "{{ if 1 }}{{ else with 2 }}{{ end }}",
            "`else with` is not supported",
        ),
        (
            "{{ include \"x\" . }}",
            "function `include` is not supported by convert-guide",
        ),
        (
            "{{ required \"m\" .Values.x }}",
            "function `required` is not supported",
        ),
        (
            "{{ index .Values \"x\" }}",
            "function `index` is not supported",
        ),
        ("{{ .Values.Get \"x\" }}", "a method call is not supported"),
        (
            "{{ \"x\" | .Values.Get }}",
            "a method call is not supported",
        ),
    ] {
        let full = format!("line one\n  {t}");
        let e = check_err(&full);
        assert!(e.starts_with("helmfile.yaml.gotmpl:2:"), "{t}: {e}");
        assert!(e.contains(what), "{t}: {e}");
    }
    // Rejected even in a branch no environment takes.
    assert!(check_err("{{ if false }}{{ lookup \"v1\" }}{{ end }}").contains("function `lookup`"));
    let e = render(
        F,
        "{{ if false }}{{ lookup \"v1\" }}{{ end }}",
        1,
        &ctx("x"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("supported: and, default"));
}

#[test]
fn functions_as_arguments_take_no_arguments() {
    // Found by fuzzing: `printf` as an argument was called with nothing and panicked.
    for t in [
        "{{printf printf}}",
        "{{ eq 1 not }}",
        "{{ default \"x\" toYaml }}",
    ] {
        let e = err(t);
        assert!(e.contains("wrong number of arguments for"), "{t}: {e}");
        assert!(e.contains("to pass its result, write ("), "{t}: {e}");
    }
    assert_eq!(r("{{ printf \"%s.\" quote }}"), ".");
}

#[test]
fn limits_give_errors_not_crashes() {
    let big = "x".repeat(MAX_TEMPLATE_BYTES + 1);
    assert!(check_err(&big).contains("convert-guide reads templates up to"));
    let deep_if = "{{ if true }}".repeat(MAX_DEPTH + 1);
    assert!(check_err(&deep_if).contains("`if` nested deeper than 100"));
    let ok_if = format!(
        "{}x{}",
        "{{ if true }}".repeat(MAX_DEPTH),
        "{{ end }}".repeat(MAX_DEPTH)
    );
    assert_eq!(r(&ok_if), "x");
    let deep_paren = format!("{{{{ {}1{} }}}}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(check_err(&deep_paren).contains("parentheses nested deeper than 100"));
    // Doubling a string: each step is checked.
    let mut t = String::from("{{ $x := \"0123456789abcdef\" }}");
    t.push_str(&"{{ $x = printf \"%s%s\" $x $x }}".repeat(30));
    assert!(err(&t).contains("printf: result larger than"));
    let mut t = String::from("{{ $x := \"0123456789abcdef\" }}");
    t.push_str(&"{{ $x = printf \"%s%s\" $x $x }}".repeat(6));
    t.push_str(&"{{ $x }}".repeat(5000));
    assert!(err(&t).contains("output larger than"));
    assert_eq!(
        r("{{ \"a\\na\\na\" | indent 1000 | indent 1000 }}").len(),
        3 * 2001 + 2
    );
}

#[test]
fn error_snippet_quotes_the_file_line() {
    let e = render(F, "x\n{{ bogus }}", 31, &Context::default()).unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with(
            "helmfile.yaml.gotmpl:32:4: function `bogus` is not supported by convert-guide"
        ),
        "{s}"
    );
    assert!(s.contains("31 | x\n32 | {{ bogus }}\n   |    ^"), "{s}");
}

#[test]
fn from_yaml_types_plain_scalars_by_yaml_1_2_core() {
    let doc = crate::read::yaml::parse_one(
        "t",
        "a: 1\nb: -2\nc: 1.5\nd: true\ne: null\nf: ~\ng: \"1\"\nh: yes\ni: 0x10\nj: 0o7\nk: .inf\nl: 1e3\nm: |\n  block\nn:\no: [1, x]\np: 16Gi\nq: 99999999999999999999\n",
    )
    .unwrap();
    let v = from_yaml(&doc.root);
    let want = [
        ("a", Value::Int(1)),
        ("b", Value::Int(-2)),
        ("c", Value::Float(1.5)),
        ("d", Value::Bool(true)),
        ("e", Value::Null),
        ("f", Value::Null),
        ("g", Value::Str("1".into())),
        ("h", Value::Str("yes".into())),
        ("i", Value::Int(16)),
        ("j", Value::Int(7)),
        ("k", Value::Float(f64::INFINITY)),
        ("l", Value::Float(1000.0)),
        ("m", Value::Str("block\n".into())),
        ("n", Value::Null),
        (
            "o",
            Value::List(vec![Value::Int(1), Value::Str("x".into())]),
        ),
        ("p", Value::Str("16Gi".into())),
        ("q", Value::Float(1e20)),
    ];
    for (k, w) in want {
        assert_eq!(v.get(k), Some(&w), "{k}");
    }
}

#[test]
fn merge_maps_recursively_and_replaces_the_rest() {
    let mut a = Value::Map(vec![
        (
            "m".into(),
            Value::Map(vec![
                ("x".into(), Value::Int(1)),
                ("y".into(), Value::Int(2)),
            ]),
        ),
        ("l".into(), Value::List(vec![Value::Int(1)])),
    ]);
    a.merge(Value::Map(vec![
        ("m".into(), Value::Map(vec![("y".into(), Value::Int(3))])),
        ("l".into(), Value::List(vec![Value::Int(9)])),
        ("z".into(), Value::Bool(true)),
    ]));
    assert_eq!(
        a,
        Value::Map(vec![
            (
                "m".into(),
                Value::Map(vec![
                    ("x".into(), Value::Int(1)),
                    ("y".into(), Value::Int(3))
                ])
            ),
            ("l".into(), Value::List(vec![Value::Int(9)])),
            ("z".into(), Value::Bool(true)),
        ])
    );
}
