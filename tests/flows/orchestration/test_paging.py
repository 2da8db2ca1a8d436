"""Reading every page of a Prefect list (flows/orchestration/paging.py)."""
from __future__ import annotations

import pytest

from flows.orchestration import paging


@pytest.mark.parametrize("total", [0, 1, 199, 200, 201, 400, 401])
def test_every_item_once_and_no_read_after_a_short_page(total):
    items = list(range(total))
    calls: list[tuple[int, int]] = []

    def read(limit: int, offset: int) -> list[int]:
        calls.append((limit, offset))
        return items[offset:offset + limit]

    assert list(paging.every(read)) == items
    # a full last page needs one more (empty) read to know it was the last; a short one does not
    assert calls == [(paging.PAGE, n * paging.PAGE) for n in range(total // paging.PAGE + 1)]
