"""The shared trainer: it learns, is reproducible, logs, calls back, and stops on NaN."""

import shutil

import pytest
import torch
from torch import nn

import genlab
from genlab.models import build_vae
from genlab.train import TrainConfig, Trainer, TrainingDiverged, evaluate_elbo, fit

QUIET = dict(progress=False, device="cpu")


@pytest.fixture(scope="module")
def blobs():
    """Four well-separated 2-D clusters: easy data a VAE must learn quickly."""
    g = torch.Generator().manual_seed(0)
    centers = torch.tensor([[-3.0, -3.0], [-3.0, 3.0], [3.0, -3.0], [3.0, 3.0]])
    return centers[torch.randint(4, (512,), generator=g)] + 0.3 * torch.randn(512, 2, generator=g)


def test_training_raises_the_held_out_elbo(blobs):
    genlab.seed_everything(0)
    model = build_vae("toy2d")
    before = evaluate_elbo(model, blobs[400:])
    history = fit(model, blobs[:400], epochs=40, batch_size=64, lr=3e-3, **QUIET)
    after = evaluate_elbo(model, blobs[400:])
    assert after > before + 2.0, (before, after)
    assert history["elbo"][-1] > history["elbo"][0]
    assert not model.training, "fit leaves the model in eval mode"


def test_cpu_training_is_bit_for_bit_reproducible(blobs):
    runs = []
    for _ in range(2):
        genlab.seed_everything(5)
        model = build_vae("toy2d")
        history = fit(model, blobs, epochs=3, batch_size=32, seed=5, **QUIET)
        runs.append((history["loss"], [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_history_logging_and_callbacks(blobs):
    genlab.seed_everything(0)
    trainer = Trainer(
        build_vae("toy2d"), TrainConfig(epochs=2, batch_size=100, log_every=2, **QUIET)
    )
    seen = {"on_step_end": [], "on_epoch_end": [], "on_train_end": []}
    for event in seen:
        trainer.add_callback(event, lambda t, e=event: seen[e].append((t.step, t.epoch)))
    history = trainer.fit(blobs)  # 512 // 100 = 5 steps per epoch
    assert trainer.step == 10
    # every 2nd step, plus each epoch's last step
    assert history["step"] == [2, 4, 5, 6, 8, 10]
    assert history["epoch"] == [0, 0, 0, 1, 1, 1]
    assert set(history) >= {"loss", "elbo", "kl", "reconstruction"}
    assert [s for s, _ in seen["on_step_end"]] == history["step"]
    assert seen["on_epoch_end"] == [(5, 1), (10, 2)]
    assert seen["on_train_end"] == [(10, 2)]
    assert history.last("loss") == history["loss"][-1]


def test_a_callback_can_stop_training(blobs):
    trainer = Trainer(
        build_vae("toy2d"), TrainConfig(epochs=50, batch_size=64, log_every=1, **QUIET)
    )

    def stop_at_step_3(t):
        if t.step == 3:
            t.stop_requested = True

    trainer.add_callback("on_step_end", stop_at_step_3)
    trainer.fit(blobs)
    assert trainer.step == 3


class _ExplodesAtStep(nn.Module):
    """A model whose loss becomes NaN at a known step."""

    def __init__(self, bad_step):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.bad_step, self.calls = bad_step, 0

    def loss(self, batch):
        self.calls += 1
        value = (self.w * batch[0]).pow(2).mean()
        return {"loss": value * float("nan") if self.calls == self.bad_step else value}


def test_nan_loss_stops_training_with_the_step_and_a_hint():
    model = _ExplodesAtStep(bad_step=4)
    with pytest.raises(TrainingDiverged, match=r"step 4 .*loss = nan.*learning rate"):
        fit(model, torch.randn(64, 1), epochs=10, batch_size=8, **QUIET)
    assert model.calls == 4, "training must not continue past the NaN"


def test_a_sparser_check_still_names_the_exact_step_and_stops_at_the_next_check():
    # What CUDA does by default (one sync per check_every steps), forced on the CPU.
    model = _ExplodesAtStep(bad_step=6)
    with pytest.raises(
        TrainingDiverged, match=r"step 6 .*loss = nan.*every 4 steps on cpu, so it ran 2 more"
    ):
        fit(
            model,
            torch.randn(64, 1),
            epochs=10,
            batch_size=8,
            check_every=4,
            log_every=100,
            **QUIET,
        )
    assert model.calls == 8, "the check after step 8 must stop training"


def test_a_sparse_check_runs_at_every_log_step_so_no_nan_is_logged():
    model = _ExplodesAtStep(bad_step=3)
    trainer = Trainer(
        model, TrainConfig(epochs=5, batch_size=8, check_every=10, log_every=3, **QUIET)
    )
    logged = []
    trainer.add_callback("on_step_end", lambda t: logged.append(t.last["loss"]))
    with pytest.raises(TrainingDiverged, match="step 3 "):
        trainer.fit(torch.randn(64, 1))
    assert logged == [] and model.calls == 3


def test_a_huge_learning_rate_is_caught_not_trained_through(blobs):
    genlab.seed_everything(0)
    with pytest.raises(TrainingDiverged, match="diverged"):
        fit(build_vae("toy2d"), blobs * 1e3, epochs=20, lr=1e4, **QUIET)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"lr": -1.0}, "lr"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"device": "tpu"}, "device"),
        ({"check_every": 0}, "check_every"),
        ({"compile": "yes"}, "compile"),
    ],
)
def test_bad_configs_are_named(overrides, match):
    with pytest.raises(ValueError, match=match):
        fit(build_vae("toy2d"), torch.randn(8, 2), **{"progress": False, **overrides})


def test_bad_data_is_named():
    model = build_vae("toy2d")
    with pytest.raises(ValueError, match=r"data\[1\] has 3 rows"):
        fit(model, (torch.randn(8, 2), torch.zeros(3)), **QUIET)
    with pytest.raises(ValueError, match=r"data\[0\] must be a torch.Tensor"):
        fit(model, [[1.0, 2.0]], **QUIET)
    with pytest.raises(ValueError, match="event must be one of"):
        Trainer(model, TrainConfig(**QUIET)).add_callback("on_batch", print)


@pytest.mark.parametrize(
    ("result", "match"),
    [
        (lambda loss: loss, "dict with a scalar tensor 'loss'; got Tensor"),
        (lambda loss: {"elbo": loss}, r"got keys \['elbo'\]"),
        (lambda loss: {"loss": float(loss)}, "scalar \\(0-d\\) tensor; got 0.5"),
        (lambda loss: {"loss": loss.expand(3)}, r"got shape \(3,\)"),
    ],
)
def test_a_step_function_must_return_a_scalar_loss(result, match):
    def step(model, batch, optimizer):
        return result(torch.tensor(0.5))

    trainer = Trainer(nn.Linear(1, 1), TrainConfig(epochs=1, **QUIET), step_fn=step)
    with pytest.raises(ValueError, match=match):
        trainer.fit(torch.randn(16, 1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_keeps_data_on_the_device(blobs):
    model = build_vae("toy2d")
    fit(model, blobs, epochs=2, device="cuda", progress=False, amp=True)
    assert next(model.parameters()).device.type == "cuda"


def test_compile_needs_the_default_step():
    with pytest.raises(ValueError, match="compile=True compiles the default step"):
        Trainer(build_vae("toy2d"), TrainConfig(compile=True, **QUIET), step_fn=lambda *a: {})


@pytest.mark.skipif(
    shutil.which("g++") is None and shutil.which("c++") is None,
    reason="torch.compile on the CPU needs a C++ compiler",
)
def test_compiled_training_follows_eager_training(blobs):
    # Inductor draws its own random numbers unless told to fall back to eager's; with the
    # same noise, the compiled loss (fused, reordered kernels) must track the eager one. Both
    # run in float64, so that the only difference is summation order at float64 rounding
    # (~1e-16 relative), amplified by ~24 Adam steps: 1e-9 leaves a wide margin on any CPU,
    # where float32 would make the verdict depend on the CPU's vector width.
    import torch._dynamo
    import torch._inductor.config as inductor_config

    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    histories, params = [], []
    for compile_ in (False, True):
        genlab.seed_everything(3)
        model = build_vae("toy2d").double()
        with inductor_config.patch(fallback_random=True):
            history = fit(
                model,
                blobs.double(),
                epochs=3,
                batch_size=64,
                log_every=1,
                compile=compile_,
                **QUIET,
            )
        histories.append(torch.tensor(history["loss"]))
        params.append(torch.cat([p.detach().reshape(-1) for p in model.parameters()]))
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1, "nothing was compiled"
    assert params[0].dtype == torch.float64
    torch.testing.assert_close(histories[1], histories[0], rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(params[1], params[0], rtol=1e-9, atol=1e-9)
