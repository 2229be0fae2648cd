"""Run a composite action's steps the way a GitHub runner does, for tests.

Supports what our action.yml uses: ``${{ inputs.X }}``, ``${{ github.X }}`` (``github.event.X``
given as a dotted key), ``${{ runner.temp|os|arch }}``, ``${{ steps.ID.outputs.X }}`` and
``${{ steps.ID.outcome }}`` expressions; ``if:`` conditions made of ``always()``, ``success()``,
``failure()``, ``==``/``!=`` against string literals, joined by ``&&``; ``run:`` steps executed
with bash (``-e``, as the runner's default ``bash --noprofile --norc -eo pipefail``) in their
``working-directory`` (relative to the workspace), with a fresh ``GITHUB_OUTPUT`` file per step;
``continue-on-error``; ``uses:`` steps recorded, not run (their outcome is ``success`` unless the
test names the action in ``uses_outcomes``).
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
    outcomes: dict[str, str] = field(default_factory=dict)  # step id -> success, failure
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
        if parts[0] == "steps" and len(parts) == 3 and parts[2] in ("outcome", "conclusion"):
            return self.run.outcomes.get(parts[1], "")
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
               github: dict[str, str] | None = None, uses_outcomes: dict[str, str] | None = None,
               runner_temp: Path | None = None) -> ActionRun:
    from ruamel.yaml import YAML

    action = YAML(typ="safe", pure=True).load((action_dir / "action.yml").read_text())
    defaults = {name: str(spec.get("default", "")) for name, spec in action.get("inputs", {}).items()}
    unknown = set(inputs) - set(defaults)
    if unknown:
        raise ValueError(f"inputs not declared by the action: {sorted(unknown)}")
    resolved_inputs = {**defaults, **inputs}
    temp = runner_temp or workspace.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = temp / "step-summary.md"
    summary.write_text("")
    run = ActionRun()
    ctx = Context(resolved_inputs, {"action_path": str(action_dir), "workspace": str(workspace), **(github or {})},
                  {"temp": str(temp), "os": "Linux", "arch": "X64"}, run)
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        if not ctx.condition(step.get("if")):
            continue
        if "uses" in step:
            run.uses.append((step["uses"], {k: ctx.substitute(v) for k, v in (step.get("with") or {}).items()}))
            outcome = next((o for name, o in (uses_outcomes or {}).items() if step["uses"].startswith(name + "@")),
                           "success")
            run.outcomes[step_id] = outcome
            if outcome != "success" and not step.get("continue-on-error") and run.failed_step is None:
                run.failed_step, run.status = step.get("name", step_id), 1
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
        cwd = workspace / ctx.substitute(step.get("working-directory", "."))
        completed = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                   cwd=cwd, env=step_env, capture_output=True, text=True)
        run.steps_run.append(step.get("name", step_id))
        run.stdout += completed.stdout + completed.stderr
        outputs = {}
        for line in output_file.read_text().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                outputs[key] = value
        run.outputs[step_id] = outputs
        run.outcomes[step_id] = "success" if completed.returncode == 0 else "failure"
        if completed.returncode != 0 and not step.get("continue-on-error") and run.failed_step is None:
            run.failed_step = step.get("name", step_id)
            run.status = completed.returncode
    run.action_outputs = {name: ctx.substitute(spec.get("value", "")) for name, spec in action.get("outputs", {}).items()}
    run.summary = summary.read_text()
    return run


@dataclass
class WorkflowCommand:
    command: str
    properties: dict[str, str]
    data: str


def _unescape(text: str, property_value: bool = False) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if property_value else [])
    for escaped, plain in pairs + [("%25", "%")]:
        text = text.replace(escaped, plain)
    return text


def workflow_commands(output: str) -> list[WorkflowCommand]:
    """The workflow commands a runner would act on in ``output``, as the runner reads them: a line
    that starts (after leading white space) with ``::name props::data`` (or the legacy
    ``##[name props]data``); after ``::stop-commands::TOKEN`` none until ``::TOKEN::``."""
    commands, stop_token = [], None
    for raw in output.splitlines():
        line = raw.lstrip()
        if line.startswith("::"):
            end = line.find("::", 2)
            if end < 0:
                continue
            head, data = line[2:end], line[end + 2:]
        elif line.startswith("##["):
            end = line.find("]")
            if end < 0:
                continue
            head, data = line[3:end], line[end + 1:]
        else:
            continue
        name, _, props = head.partition(" ")
        if stop_token is not None:
            if name.lower() == stop_token.lower():
                stop_token = None
            continue
        if name == "stop-commands":
            stop_token = data
            continue
        properties = {}
        for pair in filter(None, props.replace(";", ",").split(",")):
            key, _, value = pair.partition("=")
            properties[key.strip()] = _unescape(value, property_value=True)
        commands.append(WorkflowCommand(name, properties, _unescape(data)))
    return commands
