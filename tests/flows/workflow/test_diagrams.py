"""The state diagram: the layout is geometry checked as numbers; the SVG only draws it."""
from __future__ import annotations

from flows.workflow import compiler
from flows.workflow.diagrams import svg
from schemas.settings import ROOT


def _spec(name: str):
    path = ROOT / "workflows" / f"{name}.yaml"
    return compiler.compile_source(path.read_text(), str(path)).spec


def test_states_in_rows_by_distance_from_the_start_and_no_box_overlaps():
    spec = _spec("micro_wish")
    plan = svg.layout(spec)
    assert set(plan.positions) == set(spec.states)
    starts, _ = svg.edges_of(spec)
    assert {plan.positions[s][1] for s in starts} == {svg.MARGIN}  # the first row
    depth = svg.depths(spec, starts, plan.edges)
    assert depth["review"] == 0 and depth["open"] == 1 and depth["claimed"] == 2
    for edge in plan.edges:  # a step forward goes down the page
        if depth[edge.target] > depth[edge.source]:
            assert plan.positions[edge.target][1] > plan.positions[edge.source][1]
    boxes = sorted(plan.positions.values())
    assert len(set(boxes)) == len(boxes)
    assert all(x + svg.BOX_W <= plan.width and y + svg.BOX_H <= plan.height for x, y in boxes)


def test_arrows_leave_and_enter_the_facing_sides():
    assert svg.arrow((20, 20), (20, 112)) == (80.0, 56, 80.0, 112)  # down: bottom to top
    assert svg.arrow((20, 112), (20, 20)) == (80.0, 112, 80.0, 56)  # up: top to bottom
    assert svg.arrow((20, 20), (180, 20)) == (140, 38.0, 180, 38.0)  # right, in a row
    assert svg.arrow((180, 20), (20, 20)) == (180, 38.0, 140, 38.0)  # left, in a row


def test_the_svg_draws_every_state_and_step():
    spec = _spec("joint_activity")
    drawn = svg.svg(spec)
    assert drawn.startswith("<svg") and drawn.endswith("</svg>")
    assert drawn.count("<rect") == len(spec.states)
    assert drawn.count("<line") == len(svg.layout(spec).edges)
    assert all(state.title in drawn for state in spec.states.values())
