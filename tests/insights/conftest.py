"""Fixtures shared by the insight tests."""

import pytest
import time_machine

from tests.insights.factories import NOW


@pytest.fixture
def frozen_now():
    """The clock stopped at NOW, so relative date ranges resolve to fixed buckets."""
    with time_machine.travel(NOW, tick=False):
        yield
