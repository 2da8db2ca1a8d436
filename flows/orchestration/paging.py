"""Reading every page of a Prefect list: the server answers at most 200 items a call.

The relay's read of live runs, the sync's read of automations and the reconciler's read of live
demands each used to carry their own offset loop; a read that stopped at the first page made
the rest again (the automations) or missed them (the runs). One loop, here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

PAGE = 200  # items a read asks for: the Prefect server's default ceiling


def every(read: Callable[[int, int], list[T]], page: int = PAGE) -> Iterator[T]:
    """Each item of `read(limit, offset)`, a page at a time, until a page comes back short."""
    offset = 0
    while True:
        items = read(page, offset)
        yield from items
        if len(items) < page:
            return
        offset += page
