"""The notices tests' world (the channels' fixtures are in tests/conftest.py: the portal's
tests use them too)."""
from __future__ import annotations

import pytest

from tests.world import build_world


@pytest.fixture
def world(factory):
    return build_world(factory)
