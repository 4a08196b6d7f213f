"""GAN training on a GPU follows the same path as on the CPU.

Every run draws its data, noise and interpolation weights from CPU generators and moves them
to the device (``genlab.gan.streams``), so in float64 a run on CUDA sees the same numbers as
on the CPU and its losses agree to rounding. The tolerance, rel 1e-6 after 40 steps, is many
orders of magnitude above float64 rounding (1e-16) and far below any difference a wrong
device transfer, a stream drawn on the GPU, or a lost penalty would make (those change the
losses at the first step, by 1e-2 or more).
"""

from dataclasses import replace

import pytest
import torch

from genlab.gan import GANTrainer, ManySeedGANs, default_setup, init_gan, make_target

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
STEPS = 40


def _config(objective: str, device: str):
    _, config = default_setup("mixture1d")
    return replace(config, objective=objective, device=device, log_every=10)


@CUDA
@pytest.mark.parametrize("objective", ["non_saturating", "wgan_gp"])
def test_gan_trainer_on_cuda_follows_the_cpu_run(objective):
    runs = {}
    for device in ("cpu", "cuda"):
        trainer = GANTrainer(
            init_gan("toy1d", 3).double(), make_target("mixture1d"), _config(objective, device)
        )
        trainer.train(STEPS)
        assert all(p.device.type == device for p in trainer.model.parameters())
        runs[device] = trainer.history
    for key in ("d_loss", "g_loss"):
        assert len(runs["cuda"][key]) == len(runs["cpu"][key]) > 0
        assert runs["cuda"][key] == pytest.approx(runs["cpu"][key], rel=1e-6, abs=1e-9), key


@CUDA
@pytest.mark.parametrize("objective", ["non_saturating", "wgan_gp"])
def test_many_seed_gans_on_cuda_follow_the_cpu_runs(objective):
    histories = {}
    for device in ("cpu", "cuda"):
        many = ManySeedGANs(
            3,
            "toy1d",
            "mixture1d",
            _config(objective, device),
            seeds=[0, 5, 9],
            dtype=torch.float64,
        ).train(STEPS)
        assert many.model.generator_parameters()[0].device.type == device
        histories[device] = many.history
    for key in ("d_loss", "g_loss"):
        cpu = [v for row in histories["cpu"][key] for v in row]
        gpu = [v for row in histories["cuda"][key] for v in row]
        assert len(cpu) == len(gpu) > 0
        assert gpu == pytest.approx(cpu, rel=1e-6, abs=1e-9), key
