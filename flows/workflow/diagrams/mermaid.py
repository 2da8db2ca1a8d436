"""A workflow's state diagram in Mermaid, for the admin preview and `yijia workflows graph`."""
from __future__ import annotations

from schemas.workflow import AutoStep, StartStep, WorkflowSpec


def diagram(spec: WorkflowSpec) -> str:
    """`stateDiagram-v2` text: states with their Chinese titles, steps as labelled edges."""
    lines = ["stateDiagram-v2"]
    for name, state in spec.states.items():
        lines.append(f"    {name}: {_clean(state.title)}")
    for step in spec.steps.values():
        label = _clean(step.title) + (" ⚙" if isinstance(step, AutoStep) else "")
        if isinstance(step, StartStep):
            lines.append(f"    [*] --> {step.to}: {label}")
            continue
        for source in step.sources:
            lines.append(f"    {source} --> {step.to or source}: {label}")
    for name, state in spec.states.items():
        if state.terminal:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"


def _clean(text: str) -> str:
    """Mermaid labels end at a newline or a colon-like break; keep them on one line."""
    return " ".join(text.replace(":", "：").split())
