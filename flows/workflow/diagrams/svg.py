"""A workflow's state diagram as inline SVG, drawn on the server (no JavaScript, no CDN):
states in rows by distance from the start (top-down reads well on a phone and in a side
panel), steps as labelled arrows.

Two steps: `layout` decides where each state goes (pure geometry, testable as numbers), and
`render` writes that layout as SVG; `svg` does both.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from html import escape

from schemas.workflow import AutoStep, StartStep, WorkflowSpec

BOX_W, BOX_H, GAP_X, GAP_Y = 120, 36, 40, 56
MARGIN = 20


@dataclass(frozen=True)
class Edge:
    """A step that moves a demand from one state to another."""

    source: str
    target: str
    label: str
    auto: bool


@dataclass(frozen=True)
class Layout:
    """Where each state's box goes (its top-left corner), the arrows, and the canvas size."""

    positions: dict[str, tuple[int, int]]
    edges: list[Edge]
    width: int
    height: int


def edges_of(spec: WorkflowSpec) -> tuple[list[str], list[Edge]]:
    """The states demands start in, and every step that changes a state."""
    starts: list[str] = []
    edges: list[Edge] = []
    for step in spec.steps.values():
        if isinstance(step, StartStep):
            starts.append(step.to)
            continue
        for source in step.sources:
            target = step.to or source
            if target != source:
                edges.append(Edge(source, target, step.title, isinstance(step, AutoStep)))
    return starts, edges


def depths(spec: WorkflowSpec, starts: list[str], edges: list[Edge]) -> dict[str, int]:
    """Each state's row: its distance from a start state (breadth first); a state no step
    reaches goes below all the others."""
    depth = dict.fromkeys(starts, 0)
    queue = deque(starts)
    while queue:
        state = queue.popleft()
        for edge in edges:
            if edge.source == state and edge.target not in depth:
                depth[edge.target] = depth[state] + 1
                queue.append(edge.target)
    for state in spec.states:
        depth.setdefault(state, max(depth.values(), default=0) + 1)
    return depth


def layout(spec: WorkflowSpec) -> Layout:
    """States in rows by depth, left to right in the order the file names them."""
    starts, edges = edges_of(spec)
    depth = depths(spec, starts, edges)
    rows: dict[int, list[str]] = {}
    for state in spec.states:
        rows.setdefault(depth[state], []).append(state)
    positions = {state: (MARGIN + index * (BOX_W + GAP_X), MARGIN + level * (BOX_H + GAP_Y))
                 for level, states in rows.items() for index, state in enumerate(states)}
    width = 2 * MARGIN + max(len(states) for states in rows.values()) * (BOX_W + GAP_X)
    height = 2 * MARGIN + (max(rows) + 1) * (BOX_H + GAP_Y)
    return Layout(positions, edges, width, height)


def arrow(source: tuple[int, int], target: tuple[int, int]) -> tuple[float, float, float, float]:
    """Where an arrow between two boxes starts and ends: bottom to top going down, top to
    bottom going up, side to side within a row."""
    (x1, y1), (x2, y2) = source, target
    if y2 > y1:
        return x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2
    if y2 < y1:
        return x1 + BOX_W / 2, y1, x2 + BOX_W / 2, y2 + BOX_H
    if x2 > x1:
        return x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
    return x1, y1 + BOX_H / 2, x2 + BOX_W, y2 + BOX_H / 2


def render(spec: WorkflowSpec, plan: Layout) -> str:
    """The layout as SVG: terminal states with a heavier border, automatic steps dashed."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {plan.width} {plan.height}" width="{plan.width}" '
             f'role="img" aria-label="{escape(spec.title)}" font-family="sans-serif" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
    for edge in plan.edges:
        ax, ay, bx, by = arrow(plan.positions[edge.source], plan.positions[edge.target])
        dash = ' stroke-dasharray="4 3"' if edge.auto else ""
        parts.append(f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#555"{dash} marker-end="url(#arrow)"/>')
        parts.append(f'<text x="{(ax + bx) / 2}" y="{(ay + by) / 2 - 4}" text-anchor="middle" fill="#333">'
                     f'{escape(edge.label)}</text>')
    for state, (x, y) in plan.positions.items():
        terminal = spec.states[state].terminal
        parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#fff" '
                     f'stroke="#c8102e" stroke-width="{3 if terminal else 1.5}"/>')
        parts.append(f'<text x="{x + BOX_W / 2}" y="{y + 23}" text-anchor="middle">{escape(spec.states[state].title)}'
                     f'</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg(spec: WorkflowSpec) -> str:
    """The diagram of a workflow."""
    return render(spec, layout(spec))
