//! Issue 14: warnings are values. The guide model's warnings reach the conversion with their
//! code and place, and so do the mapping's; all render as the user always read them.

use convert_guide::diag::Severity;

use crate::common;

#[test]
fn a_template_warning_keeps_its_code_and_place_to_the_conversion() {
    let guide = common::corpus_guides().join("workload-autoscaling");
    let c = common::convert_builtin(&guide);
    let first = c.warnings.first().expect("a warning");
    assert_eq!(first.severity, Severity::Warning);
    assert_eq!(first.code, "template-not-run");
    let span = first.span.as_ref().expect("a place");
    assert_eq!(
        (span.file.as_str(), span.line, span.column),
        ("helmfile.yaml.gotmpl", 105, None)
    );
    assert_eq!(
        c.warning_texts()[0],
        "helmfile.yaml.gotmpl:105: readFile is not run by convert-guide; rendered as an empty string"
    );
    // The mapping's warnings are diagnostics too, under its own code; the scenario holds the
    // same list the user reads.
    assert!(
        c.warnings[1..].iter().all(|w| w.code == "mapping"),
        "{:?}",
        c.warnings
    );
    assert_eq!(c.warnings, c.scenario.warnings);
}

#[test]
fn a_mapping_warning_about_a_guide_line_carries_it_as_its_place() {
    let guide = common::corpus_guides().join("inference-scheduling");
    let c = common::convert_variant(&guide, Some("agentgateway"));
    let w = c
        .warnings
        .iter()
        .find(|w| w.message.starts_with("gateway class agentgateway"))
        .unwrap_or_else(|| panic!("a gateway class warning in {:?}", c.warnings));
    assert_eq!(w.code, "mapping");
    let span = w.span.as_ref().expect("a place");
    assert!(
        span.file.ends_with(".yaml") || span.file.ends_with(".gotmpl"),
        "{span:?}"
    );
    assert!(c.scenario_text.contains(&format!(
        "# WARNING: {}:{}: gateway class agentgateway",
        span.file, span.line
    )));
}

#[test]
fn a_recipe_warning_carries_the_readme_line() {
    // The README installs the router twice (standalone, then gateway mode): the second is said
    // at its README line, which is the warning's place, not part of its message.
    let guide =
        common::crate_root().join("../shared/corpus/llm-d/2026-05-01/guides/optimized-baseline");
    let c = common::convert_builtin(&guide);
    let w = c
        .warnings
        .iter()
        .find(|w| w.code == "recipe-router")
        .unwrap_or_else(|| panic!("a recipe-router warning in {:?}", c.warnings));
    let span = w.span.as_ref().expect("a place");
    assert_eq!((span.file.as_str(), span.line), ("README.md", 96), "{w:?}");
    assert!(
        w.message
            .starts_with("Gateway Mode installs release optimized-baseline another way"),
        "{w:?}"
    );
    assert!(
        c.warning_texts()
            .contains(&format!("README.md:96: {}", w.message)),
        "{:?}",
        c.warning_texts()
    );
}
