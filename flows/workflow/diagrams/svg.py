"""A workflow's state diagram as inline SVG, drawn on the server (no JavaScript, no CDN):
states in rows by distance from the start (top-down reads well on a phone and in a side
panel), steps as labelled arrows."""
from __future__ import annotations

from collections import deque
from html import escape

from schemas.workflow import AutoStep, StartStep, WorkflowSpec

BOX_W, BOX_H, GAP_X, GAP_Y = 120, 36, 40, 56


def svg(spec: WorkflowSpec) -> str:
    """The diagram; terminal states drawn with a double border, automatic steps dashed."""
    edges: list[tuple[str, str, str, bool]] = []
    starts = []
    for step in spec.steps.values():
        if isinstance(step, StartStep):
            starts.append(step.to)
            continue
        for source in step.sources:
            target = step.to or source
            if target != source:
                edges.append((source, target, step.title, isinstance(step, AutoStep)))
    depth = dict.fromkeys(starts, 0)
    queue = deque(starts)
    while queue:
        state = queue.popleft()
        for source, target, _, _ in edges:
            if source == state and target not in depth:
                depth[target] = depth[state] + 1
                queue.append(target)
    for state in spec.states:
        depth.setdefault(state, max(depth.values(), default=0) + 1)
    columns: dict[int, list[str]] = {}
    for state in spec.states:
        columns.setdefault(depth[state], []).append(state)
    pos = {}
    for level, states in columns.items():
        for index, state in enumerate(states):
            pos[state] = (20 + index * (BOX_W + GAP_X), 20 + level * (BOX_H + GAP_Y))
    width = 40 + max(len(v) for v in columns.values()) * (BOX_W + GAP_X)
    height = 40 + (max(columns) + 1) * (BOX_H + GAP_Y)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'role="img" aria-label="{escape(spec.title)}" font-family="sans-serif" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
    for source, target, label, auto in edges:
        (x1, y1), (x2, y2) = pos[source], pos[target]
        if y2 > y1:
            ax, ay, bx, by = x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 2, y2
        elif y2 < y1:
            ax, ay, bx, by = x1 + BOX_W / 2, y1, x2 + BOX_W / 2, y2 + BOX_H
        else:
            ax, ay = (x1 + BOX_W, y1 + BOX_H / 2) if x2 > x1 else (x1, y1 + BOX_H / 2)
            bx, by = (x2, y2 + BOX_H / 2) if x2 > x1 else (x2 + BOX_W, y2 + BOX_H / 2)
        dash = ' stroke-dasharray="4 3"' if auto else ""
        parts.append(f'<line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="#555"{dash} marker-end="url(#arrow)"/>')
        parts.append(f'<text x="{(ax + bx) / 2}" y="{(ay + by) / 2 - 4}" text-anchor="middle" fill="#333">'
                     f'{escape(label)}</text>')
    for state, (x, y) in pos.items():
        terminal = spec.states[state].terminal
        parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="#fff" '
                     f'stroke="#c8102e" stroke-width="{3 if terminal else 1.5}"/>')
        parts.append(f'<text x="{x + BOX_W / 2}" y="{y + 23}" text-anchor="middle">{escape(spec.states[state].title)}'
                     f'</text>')
    parts.append("</svg>")
    return "".join(parts)
