//! Property tests: any string survives bash quoting, heredocs and comments exactly.

use std::process::Command;

use convert_guide::render;
use convert_guide::scenario::{Export, Scenario, Value};
use proptest::prelude::*;

/// Strings rich in what shells and heredocs treat specially.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("$".to_string()),
        Just("$(touch CANARY)".to_string()),
        Just("`touch CANARY`".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("EOF".to_string()),
        Just("\nEOF\n".to_string()),
        Just("~".to_string()),
        Just("{a,b}".to_string()),
        Just("*".to_string()),
        Just("REPLACE_ENV_X".to_string()),
        Just("é€".to_string()),
        "[ -~]{0,6}",
    ];
    proptest::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

fn scenario_with(exports: Vec<Export>) -> String {
    render::scenario(&Scenario {
        name: "p".into(),
        exports,
        ..Scenario::default()
    })
}

/// Source the scenario in bash and print each variable's value (files: their content).
fn run(text: &str, vars: &[(&str, bool)]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.sh");
    std::fs::write(&path, text).expect("write scenario");
    let mut script = format!("set -euo pipefail; source {}\n", path.display());
    for (var, file) in vars {
        if *file {
            script.push_str(&format!("cat \"${var}\"; printf '\\0'\n"));
        } else {
            script.push_str(&format!("printf '%s\\0' \"${var}\"\n"));
        }
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.path().join("CANARY").exists(),
        "a command ran:\n{text}"
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    stdout
        .split('\0')
        .map(str::to_string)
        .take(vars.len())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn exported_values_and_files_come_back_exactly(value in hostile(), content in hostile()) {
        let content = format!("{content}\n");
        let text = scenario_with(vec![
            Export { var: "LLMDBENCH_A".into(), value: Value::Text(value.clone()), origins: vec![], note: Some(value.clone()) },
            Export { var: "LLMDBENCH_F".into(), value: Value::File(content.clone()), origins: vec![], note: None },
        ]);
        let got = run(&text, &[("LLMDBENCH_A", false), ("LLMDBENCH_F", true)]);
        prop_assert_eq!(&got[0], &value);
        prop_assert_eq!(&got[1], &content);
    }

    #[test]
    fn command_lines_join_into_one_line(words in proptest::collection::vec(hostile(), 1..5)) {
        // Command lines hold no line breaks (the mapper refuses them); all else is allowed.
        let lines: Vec<String> = words.iter().map(|w| w.replace('\n', " ")).collect();
        let text = scenario_with(vec![Export {
            var: "LLMDBENCH_C".into(),
            value: Value::Command(lines.clone()),
            origins: vec![],
            note: None,
        }]);
        let got = run(&text, &[("LLMDBENCH_C", true)]);
        prop_assert_eq!(&got[0], &format!("{}\n", lines.join(" ")));
    }
}
