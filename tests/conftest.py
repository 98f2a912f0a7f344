import os
import pathlib

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=60)
settings.register_profile("deep", database=None, deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("FITCLI_HYPOTHESIS", "ci"))

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture
def data_dir():
    return DATA
