from __future__ import annotations

from pathlib import Path

import pytest

from cxbridge.transcripts.models import Transcript

SAMPLE = Path(__file__).resolve().parents[3] / "events" / "sta" / "transcript.json"


@pytest.fixture
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture
def sample(sample_bytes: bytes) -> Transcript:
    return Transcript.model_validate_json(sample_bytes)
