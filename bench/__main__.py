"""`python -m bench [name ...]`: run the benchmarks (all by default), JSON lines on stdout."""
from __future__ import annotations

import importlib
import sys

BENCHES = ["grab", "web", "scale", "orchestration", "faults", "notices", "reminders", "fleet", "province", "idle"]


def main(argv: list[str]) -> None:
    for name in argv or BENCHES:
        importlib.import_module(f"bench.{name}").run()


if __name__ == "__main__":
    main(sys.argv[1:])
