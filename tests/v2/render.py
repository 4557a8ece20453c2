"""Render convert-guide's v2 scenarios with an llm-d-benchmark checkout's own renderer.

Usage: render.py BENCH SCENARIO...

For each SCENARIO, runs llmdbenchmark.parser.render_plans.RenderPlans of the checkout BENCH
(its templates and defaults.yaml, no cluster, no version or resource resolvers) into
SCENARIO.plan/, and writes SCENARIO.plan/report.json: global errors, and per stack the
render, YAML and validation findings. Needs Jinja2, PyYAML and pydantic (what the renderer
imports); nothing else of the package is run.
"""
import json
import sys
from pathlib import Path


def main() -> int:
    bench = Path(sys.argv[1]).resolve()
    sys.path.insert(0, str(bench))
    from llmdbenchmark.config import config
    from llmdbenchmark.parser.render_plans import RenderPlans

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

    for scenario in sys.argv[2:]:
        out = Path(scenario + ".plan")
        config.log_dir = out / "logs"
        config.log_dir.mkdir(parents=True, exist_ok=True)
        plans = RenderPlans(
            template_dir=bench / "config/templates/jinja",
            defaults_file=bench / "config/templates/values/defaults.yaml",
            scenarios_file=Path(scenario),
            output_dir=out / "plan",
        )
        result = plans.eval()
        report = {
            "global": result.global_errors,
            "stacks": {name: vars(errs) for name, errs in result.stacks.items()},
        }
        (out / "report.json").write_text(json.dumps(report, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
