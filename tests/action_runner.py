"""Run a composite action's steps the way a GitHub runner does, for tests.

Supports what our action.yml uses: ``${{ inputs.X }}``, ``${{ github.X }}``, ``${{ runner.temp }}``
and ``${{ steps.ID.outputs.X }}`` expressions; ``if:`` conditions made of ``always()``,
``success()``, ``failure()``, ``==``/``!=`` against string literals, joined by ``&&``; ``run:``
steps executed with bash (``-e``, as the runner's default ``bash --noprofile --norc -eo pipefail``),
with a fresh ``GITHUB_OUTPUT`` file per step; ``uses:`` steps recorded, not run.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionRun:
    steps_run: list[str] = field(default_factory=list)
    uses: list[tuple[str, dict]] = field(default_factory=list)  # (action, resolved with:)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id -> outputs
    action_outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    failed_step: str | None = None
    status: int = 0


class Context:
    def __init__(self, inputs: dict[str, str], github: dict[str, str], runner: dict[str, str], run: ActionRun):
        self.inputs, self.github, self.runner, self.run = inputs, github, runner, run

    def value(self, expression: str) -> str:
        expression = expression.strip()
        if expression.startswith("'") and expression.endswith("'"):
            return expression[1:-1]
        parts = expression.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(".".join(parts[1:]), "")
        if parts[0] == "github":
            return self.github.get(".".join(parts[1:]), "")
        if parts[0] == "runner":
            return self.runner.get(".".join(parts[1:]), "")
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.run.outputs.get(parts[1], {}).get(parts[3], "")
        raise ValueError(f"unsupported expression: {expression}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), str(text))

    def condition(self, text: str | None) -> bool:
        failed = self.run.failed_step is not None
        if not text:
            return not failed
        text = EXPRESSION.sub(lambda m: m.group(1), str(text))
        explicit_status = False
        result = True
        for term in (t.strip() for t in text.split("&&")):
            if term == "always()":
                explicit_status = True
            elif term == "success()":
                explicit_status = True
                result = result and not failed
            elif term == "failure()":
                explicit_status = True
                result = result and failed
            elif "==" in term or "!=" in term:
                op = "==" if "==" in term else "!="
                left, right = (self.value(side) for side in term.split(op, 1))
                result = result and ((left == right) if op == "==" else (left != right))
            else:
                raise ValueError(f"unsupported condition term: {term}")
        return result if explicit_status else (result and not failed)


def run_action(action_dir: Path, inputs: dict[str, str], workspace: Path, env: dict[str, str],
               github: dict[str, str] | None = None) -> ActionRun:
    from ruamel.yaml import YAML

    action = YAML(typ="safe", pure=True).load((action_dir / "action.yml").read_text())
    defaults = {name: str(spec.get("default", "")) for name, spec in action.get("inputs", {}).items()}
    unknown = set(inputs) - set(defaults)
    if unknown:
        raise ValueError(f"inputs not declared by the action: {sorted(unknown)}")
    resolved_inputs = {**defaults, **inputs}
    temp = workspace.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = temp / "step-summary.md"
    summary.touch()
    run = ActionRun()
    ctx = Context(resolved_inputs, {"action_path": str(action_dir), "workspace": str(workspace), **(github or {})},
                  {"temp": str(temp)}, run)
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        if not ctx.condition(step.get("if")):
            continue
        if "uses" in step:
            run.uses.append((step["uses"], {k: ctx.substitute(v) for k, v in (step.get("with") or {}).items()}))
            continue
        output_file = temp / f"output-{index}"
        output_file.write_text("")
        step_env = {
            **env,
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(temp),
            "GITHUB_ACTIONS": "true",
            **{k: ctx.substitute(v) for k, v in (step.get("env") or {}).items()},
        }
        script = temp / f"step-{index}.sh"
        script.write_text(ctx.substitute(step["run"]))
        completed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                   cwd=workspace, env=step_env, capture_output=True, text=True)
        run.steps_run.append(step.get("name", step_id))
        run.stdout += completed.stdout + completed.stderr
        outputs = {}
        for line in output_file.read_text().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                outputs[key] = value
        run.outputs[step_id] = outputs
        if completed.returncode != 0 and run.failed_step is None:
            run.failed_step = step.get("name", step_id)
            run.status = completed.returncode
    run.action_outputs = {name: ctx.substitute(spec.get("value", "")) for name, spec in action.get("outputs", {}).items()}
    run.summary = summary.read_text()
    return run
