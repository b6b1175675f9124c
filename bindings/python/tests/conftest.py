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
