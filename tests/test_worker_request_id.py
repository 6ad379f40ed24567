"""Unit tests for the request ids the worker gives each invoke's context."""

import uuid

from coldstart.worker import random_uuid4


def test_request_id_parses_as_uuid4():
    for _ in range(200):
        text = random_uuid4()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_request_ids_differ():
    ids = {random_uuid4() for _ in range(1000)}
    assert len(ids) == 1000
