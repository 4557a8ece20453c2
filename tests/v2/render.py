"""Render convert-guide's v2 scenarios the way an llm-d-benchmark checkout does.

Usage: render.py BENCH TREE NAME...

TREE is a v2 tree (its `config/templates` a copy of BENCH's) holding, for each NAME, the
written `config/specification/guides/NAME.yaml.j2` and `config/scenarios/guides/NAME.yaml`.
As `llmdbenchmark` does for `--spec NAME`, each specification is rendered and checked by
BENCH's RenderSpecification (base_dir TREE), and the plans are rendered by its RenderPlans
from the paths the specification names (no cluster, no version or resource resolvers).
The output goes to SCENARIO.plan/ with SCENARIO.plan/report.json: the rendered
specification, global errors, and per stack the render, YAML and validation findings.
Needs Jinja2, PyYAML and pydantic (what the renderer imports); nothing else of the package
is run.
"""
import json
import sys
from pathlib import Path


def main() -> int:
    bench = Path(sys.argv[1]).resolve()
    tree = Path(sys.argv[2]).resolve()
    sys.path.insert(0, str(bench))
    from llmdbenchmark.config import config
    from llmdbenchmark.exceptions.exceptions import LLMDBenchmarkError
    from llmdbenchmark.parser.render_plans import RenderPlans
    from llmdbenchmark.parser.render_specification import RenderSpecification

    # The one change to the renderer: each template is compiled once for all scenarios
    # instead of once per render (the same text gives the same template; rendering is
    # untouched).
    compiled = {}

    def render_template(self, content, values):
        template = compiled.get(content)
        if template is None:
            template = self._get_jinja_env().from_string(content)
            compiled[content] = template
        return template.render(**values)

    RenderPlans._render_template = render_template

    for name in sys.argv[3:]:
        spec_file = tree / "config/specification/guides" / f"{name}.yaml.j2"
        scenario = tree / "config/scenarios/guides" / f"{name}.yaml"
        out = Path(str(scenario) + ".plan")
        config.log_dir = out / "logs"
        config.plan_dir = out / "spec"
        config.log_dir.mkdir(parents=True, exist_ok=True)
        config.plan_dir.mkdir(parents=True, exist_ok=True)
        report = {"global": [], "stacks": {}, "specification": None}
        try:
            spec = RenderSpecification(specification_file=spec_file, base_dir=tree).eval()
        except LLMDBenchmarkError as exc:  # the package stops here too
            report["global"].append(f"specification: {exc}")
            (out / "report.json").write_text(json.dumps(report, default=str, indent=1))
            continue
        report["specification"] = spec
        plans = RenderPlans(
            template_dir=spec["template_dir"]["path"],
            defaults_file=spec["values_file"]["path"],
            scenarios_file=spec["scenario_file"]["path"],
            output_dir=out / "plan",
        )
        result = plans.eval()
        report["global"].extend(result.global_errors)
        report["stacks"] = {n: vars(errs) for n, errs in result.stacks.items()}
        (out / "report.json").write_text(json.dumps(report, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
