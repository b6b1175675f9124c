import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
VECTORS = ROOT / "tests" / "vectors" / "flows.json"
CHEAP = {"m_cost": 64, "t_cost": 1, "p_cost": 1}


@pytest.fixture(scope="session")
def vectors():
    return json.loads(VECTORS.read_text(encoding="utf-8"))


@pytest.fixture
def config(vectors):
    return json.loads(json.dumps(vectors["config"]))


@pytest.fixture
def test_clock():
    """The test clock of the test build (cargo feature ``test-hooks``, which
    ``make python`` installs and no wheel has): servers made while it is set
    use it. Yields a function that moves it on by some seconds."""
    from ropc import _ropc

    _ropc._set_test_clock(1_700_000_000)
    try:
        yield _ropc._advance_test_clock
    finally:
        _ropc._set_test_clock(None)
