"""The rooms' arrows, as docs/architecture.md draws them: a room imports only the rooms below
it, the domain imports neither Flask nor Prefect, and nothing in flows/ or schemas/ imports the
faces. A new arrow is a design decision: change the drawing and this table together."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Which rooms of flows/ each room may import (besides itself).
ALLOWED = {
    "core": set(),
    "notices": {"core"},
    "workflow": {"core", "notices"},
    "people": {"core", "notices"},
    "reporting": {"core", "people"},
    "catalogue": {"core", "people"},
    "points": {"core", "notices", "people", "reporting"},
    "sharing": {"core", "notices", "people"},
    "engine": {"core", "notices", "people", "points", "reporting", "sharing", "workflow"},
    "orchestration": {"core", "engine", "notices", "people", "points", "reporting", "workflow"},
    "demo": {"core", "catalogue", "engine", "notices", "people", "points", "reporting", "sharing", "workflow"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_every_room_imports_only_the_rooms_below_it():
    wrong = []
    for room, allowed in ALLOWED.items():
        for path in sorted((ROOT / "flows" / room).rglob("*.py")):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "flows" and len(parts) > 1 and parts[1] not in allowed | {room}:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_domain_imports_neither_the_faces_nor_flask_nor_prefect():
    wrong = []
    for top in ("flows", "schemas"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.is_relative_to(ROOT / "flows" / "orchestration"):
                continue
            for name in _imports(path):
                head = name.split(".")[0]
                if head in {"admin", "flask", "flask_admin", "flask_babel", "flask_login", "prefect"}:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
                if top == "schemas" and head == "flows":
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_every_room_is_in_the_table():
    rooms = {p.name for p in (ROOT / "flows").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms == set(ALLOWED)
