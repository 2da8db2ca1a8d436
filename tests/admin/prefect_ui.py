"""The Prefect UI's address as an operator configures it (YIJIA_PREFECT_UI_URL), for tests of
the console's links into it: they are shown only where the UI answers the admin's browser."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

REACHABLE = "https://prefect.yijia.example.org"


@contextmanager
def prefect_ui(url: str = REACHABLE) -> Iterator[None]:
    from schemas.settings import get_settings

    before = os.environ.get("YIJIA_PREFECT_UI_URL")
    os.environ["YIJIA_PREFECT_UI_URL"] = url
    get_settings.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("YIJIA_PREFECT_UI_URL", None)
        else:
            os.environ["YIJIA_PREFECT_UI_URL"] = before
        get_settings.cache_clear()
