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


def target(name: str):
    """(owner, attribute name) of "module:attr" or "module:Class.attr": what a test's trap
    replaces (e.g. "os:fsync", "fitcli.core.objective:Kernel.normal")."""
    import importlib

    module, path = name.split(":")
    owner = importlib.import_module(module)
    *parts, attr = path.split(".")
    for part in parts:
        owner = getattr(owner, part)
    return owner, attr


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture
def data_dir():
    return DATA
