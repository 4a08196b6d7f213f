"""Checkpoints round-trip, and a damaged or mismatched file is a clear error."""

import pytest
import torch

import genlab
from genlab.checkpoint import load, save
from genlab.models import build_vae


@pytest.fixture
def saved(tmp_path):
    genlab.seed_everything(0)
    model = build_vae("digits")
    path = save(model, tmp_path / "run" / "vae.pt", history={"loss": [3.0, 2.0], "step": [1, 2]})
    return model, path


def test_round_trip_restores_config_weights_and_history(saved):
    model, path = saved
    ckpt = load(path, device="cpu")
    assert ckpt.model.config == model.config
    assert type(ckpt.model) is type(model)
    x = torch.rand(4, 1, 8, 8)
    torch.testing.assert_close(
        ckpt.model.reconstruct(x), model.eval().reconstruct(x), rtol=0, atol=0
    )
    assert ckpt.history == {"loss": [3.0, 2.0], "step": [1, 2]}
    assert ckpt.meta["genlab_version"] == genlab.__version__


def test_truncated_file_is_a_clear_error(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load(path, device="cpu")


def test_flipped_bytes_in_the_weights_are_caught(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    # Damage the largest tensor record's payload: the middle of the file lies inside it.
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        load(path, device="cpu")


def test_mismatched_config_and_weights_are_caught(saved, tmp_path):
    _, path = saved
    payload = torch.load(path, weights_only=True)
    payload["config"]["latent_dim"] = 5
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="does not match its model MLPVAE"):
        load(tmp_path / "bad.pt", device="cpu")


def test_other_files_are_rejected(tmp_path):
    torch.save({"weights": torch.ones(3)}, tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="not a genlab checkpoint"):
        load(tmp_path / "plain.pt", device="cpu")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a readable genlab checkpoint"):
        load(tmp_path / "text.pt", device="cpu")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load(tmp_path / "missing.pt", device="cpu")


def test_unregistered_models_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="registered genlab model"):
        save(torch.nn.Linear(2, 2), tmp_path / "x.pt")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_checkpoint_loads_on_the_cpu(tmp_path):
    model = build_vae("digits").cuda()
    path = save(model, tmp_path / "gpu.pt")
    ckpt = load(path, device="cpu")
    assert next(ckpt.model.parameters()).device.type == "cpu"
