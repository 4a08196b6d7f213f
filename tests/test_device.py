"""Device choice, seeding, the version check, and nothing happening at import time."""

import random
import subprocess
import sys

import numpy as np
import pytest
import torch

import genlab
from genlab import device as device_module


@pytest.fixture
def no_override(monkeypatch):
    monkeypatch.delenv("GENLAB_DEVICE", raising=False)


def _fake_machine(monkeypatch, cuda: bool, mps: bool):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2 if cuda else 0)
    monkeypatch.setattr(device_module, "_mps_available", lambda: mps)


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu"), (True, False, "cuda")],
)
def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch, no_override, cuda, mps, expected):
    _fake_machine(monkeypatch, cuda, mps)
    assert genlab.resolve_device("auto").type == expected
    assert genlab.resolve_device(None).type == expected
    assert genlab.available_devices()[-1] == "cpu"


def test_environment_variable_overrides_auto(monkeypatch):
    _fake_machine(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv("GENLAB_DEVICE", "cpu")
    assert genlab.resolve_device("auto") == torch.device("cpu")
    monkeypatch.setenv("GENLAB_DEVICE", "cuda:1")
    assert genlab.resolve_device("auto") == torch.device("cuda:1")
    # An explicit argument wins over the environment.
    assert genlab.resolve_device("cpu") == torch.device("cpu")


def test_bad_environment_variable_is_named(monkeypatch):
    monkeypatch.setenv("GENLAB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="GENLAB_DEVICE.*'tpu'"):
        genlab.resolve_device("auto")


def test_missing_device_is_an_error_listing_what_exists(monkeypatch, no_override):
    _fake_machine(monkeypatch, cuda=False, mps=False)
    with pytest.raises(ValueError, match=r"no CUDA device; available: cpu"):
        genlab.resolve_device("cuda")
    with pytest.raises(ValueError, match="no MPS device"):
        genlab.resolve_device(torch.device("mps"))
    _fake_machine(monkeypatch, cuda=True, mps=False)
    with pytest.raises(ValueError, match="only 2 CUDA device"):
        genlab.resolve_device("cuda:5")


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "", 3, 1.5])
def test_malformed_device_names(bad, no_override):
    with pytest.raises(ValueError, match="device"):
        genlab.resolve_device(bad)


def test_cpu_is_always_available(no_override):
    assert genlab.resolve_device("cpu") == torch.device("cpu")
    assert genlab.resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_is_chosen_on_a_gpu_machine(no_override):
    assert genlab.resolve_device("auto").type == "cuda"
    assert genlab.check_environment().device_name == torch.cuda.get_device_name(0)


def test_seed_everything_reproduces_all_three_generators():
    def draw():
        return random.random(), np.random.rand(), torch.rand(3).tolist()  # noqa: NPY002

    genlab.seed_everything(123)
    first = draw()
    genlab.seed_everything(123)
    assert draw() == first
    genlab.seed_everything(124)
    assert draw() != first
    g = genlab.seed_everything(7)
    assert torch.equal(
        torch.rand(4, generator=g), torch.rand(4, generator=torch.Generator().manual_seed(7))
    )


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "1", True])
def test_seed_must_be_a_valid_integer(bad):
    with pytest.raises(ValueError, match="seed"):
        genlab.seed_everything(bad)


def test_importing_genlab_seeds_and_allocates_nothing():
    code = """
import random, numpy as np, torch
states = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state())
import genlab, genlab.device, genlab.notebooks, genlab.cli
after = (random.getstate(), np.random.get_state()[1].tolist(), torch.get_rng_state())
assert states[0] == after[0] and states[1] == after[1] and torch.equal(states[2], after[2])
assert not torch.cuda.is_initialized()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_version_check_fails_loudly_on_a_stale_install():
    assert genlab.require_version("0.0.1") == genlab.__version__
    assert genlab.require_version(genlab.__version__) == genlab.__version__
    with pytest.raises(RuntimeError, match=r"needs genlab >= 99\.0.*pip install -e"):
        genlab.require_version("99.0")
    with pytest.raises(RuntimeError, match="needs genlab"):
        genlab.check_environment("99.0.0")


def test_check_environment_reports_versions_and_device(no_override):
    env = genlab.check_environment(genlab.__version__, device="cpu")
    assert env.genlab == genlab.__version__
    assert env.torch == torch.__version__
    assert env.device == torch.device("cpu") and "CPU" in env.device_name


def test_time_matmul_measures_positive_time():
    seconds = device_module.time_matmul(torch.device("cpu"), n=64, repeats=3)
    assert 0 < seconds < 10
    with pytest.raises(ValueError, match="n and repeats"):
        device_module.time_matmul(torch.device("cpu"), n=0)
