"""Wasserstein and least-squares GAN losses, and the Dirac-GAN, against independent
computations: naive float64 formulas, finite differences, autograd and closed forms."""

import numpy as np
import pytest
import torch

from genlab.dirac_gan import DiracGAN
from genlab.losses import (
    gradient_penalty,
    least_squares_gan_losses,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from genlab.theory import DiracGAN as TheoryDiracGAN

F64 = torch.float64


def randn(*shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


# -------------------------------------------------------------------------------- losses


def test_wasserstein_losses_are_differences_of_means():
    real, fake = randn(7, seed=1), randn(5, seed=2)
    want = sum(fake.tolist()) / 5 - sum(real.tolist()) / 7
    assert float(wasserstein_critic_loss(real, fake)) == pytest.approx(want, rel=1e-14)
    assert float(wasserstein_generator_loss(fake)) == pytest.approx(-sum(fake.tolist()) / 5)
    with pytest.raises(ValueError, match="critic_fake"):
        wasserstein_critic_loss(real, [1.0])


def test_least_squares_losses_match_the_formula():
    real, fake = randn(6, seed=3), randn(4, seed=4)
    d, g = least_squares_gan_losses(real, fake)
    r, f = real.numpy(), fake.numpy()
    assert float(d) == pytest.approx(0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean(), rel=1e-14)
    assert float(g) == pytest.approx(0.5 * ((f - 1) ** 2).mean(), rel=1e-14)


def mlp_critic(seed):
    g = torch.Generator().manual_seed(seed)
    W1 = torch.randn(3, 8, generator=g, dtype=F64, requires_grad=True)
    w2 = torch.randn(8, generator=g, dtype=F64, requires_grad=True)
    return (lambda x: torch.tanh(x.flatten(1) @ W1) @ w2), (W1, w2)


def test_gradient_penalty_matches_finite_differences_and_trains():
    critic, params = mlp_critic(0)
    real, fake, eps = randn(5, 3, seed=1), randn(5, 3, seed=2), torch.rand(5, dtype=F64)
    gp = gradient_penalty(critic, real, fake, eps=eps)
    # independent: central differences of the critic at each interpolate, in float64
    h, total = 1e-6, 0.0
    for b in range(5):
        x = eps[b] * real[b] + (1 - eps[b]) * fake[b]
        grad = [
            float((critic((x + h * e)[None]) - critic((x - h * e)[None])).detach()) / (2 * h)
            for e in torch.eye(3, dtype=F64)
        ]
        total += (np.linalg.norm(grad) - 1.0) ** 2
    assert float(gp) == pytest.approx(total / 5, rel=1e-7)  # O(h^2) + eps/h error
    # create_graph: the penalty has gradients in the critic's parameters, equal to autograd's
    # gradient of the same penalty written with torch.func (an independent double backward)
    grads = torch.autograd.grad(gp, params)
    assert all(bool((g != 0).any()) for g in grads)

    def penalty(W1, w2):
        def f(x):
            return torch.tanh(x @ W1) @ w2

        x_hat = eps[:, None] * real + (1 - eps[:, None]) * fake
        g = torch.vmap(torch.func.grad(f))(x_hat)
        return ((g.norm(dim=1) - 1) ** 2).mean()

    want = torch.func.grad(penalty, argnums=(0, 1))(*(p.detach() for p in params))
    for got, w in zip(grads, want, strict=True):
        torch.testing.assert_close(got, w, rtol=1e-10, atol=1e-12)


def test_gradient_penalty_is_two_sided_and_uses_the_target():
    slope = torch.tensor([0.5, 0.0, 0.0], dtype=F64)
    critic = lambda x: x.flatten(1) @ slope  # noqa: E731 - |grad| = 0.5 everywhere
    real, fake = randn(4, 3, seed=5), randn(4, 3, seed=6)
    assert float(gradient_penalty(critic, real, fake)) == pytest.approx(0.25, rel=1e-14)
    assert float(gradient_penalty(critic, real, fake, target=0.5)) == pytest.approx(0.0, abs=1e-30)
    # images: one norm over all event dims
    critic_img = lambda x: 2.0 * x.sum((1, 2, 3))  # noqa: E731 - |grad| = 2 * sqrt(12)
    gp = gradient_penalty(critic_img, randn(2, 1, 3, 4), randn(2, 1, 3, 4))
    assert float(gp) == pytest.approx((2 * 12**0.5 - 1) ** 2, rel=1e-12)


def test_gradient_penalty_draws_with_the_generator_and_checks_input():
    critic, _ = mlp_critic(1)
    real, fake = randn(6, 3, seed=7), randn(6, 3, seed=8)
    a = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    b = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    c = gradient_penalty(
        critic, real, fake, eps=torch.rand(6, generator=torch.Generator().manual_seed(3), dtype=F64)
    )
    assert float(a) == float(b) == float(c)
    with pytest.raises(ValueError, match="fake must have the shape"):
        gradient_penalty(critic, real, fake[:5])
    with pytest.raises(ValueError, match=r"eps must have shape \(6,\)"):
        gradient_penalty(critic, real, fake, eps=torch.rand(3, dtype=F64))
    with pytest.raises(ValueError, match="target"):
        gradient_penalty(critic, real, fake, target=-1.0)


# ---------------------------------------------------------------------------- Dirac-GAN


GAMES = [
    dict(),
    dict(loss="wgan"),
    dict(r1=0.7),
    dict(noise_std=0.8),
    dict(r1=0.3, noise_std=0.5),
    dict(loss="wgan", r1=2.5),
]


@pytest.mark.parametrize("kw", GAMES)
@pytest.mark.parametrize("point", [(0.0, 0.0), (0.7, -1.3)])
def test_dirac_jacobian_matches_finite_differences(kw, point):
    game = DiracGAN(**kw)
    J = game.jacobian(*point)
    h = 1e-6
    fd = torch.zeros(2, 2, dtype=F64)
    for j, e in enumerate(torch.eye(2, dtype=F64)):
        plus = torch.stack(game.vector_field(point[0] + h * e[0], point[1] + h * e[1]))
        minus = torch.stack(game.vector_field(point[0] - h * e[0], point[1] - h * e[1]))
        fd[:, j] = (plus - minus) / (2 * h)
    torch.testing.assert_close(J, fd, rtol=0, atol=1e-8)  # O(h^2) + eps/h


def test_dirac_vector_field_without_noise_is_the_closed_form():
    theta, psi = randn(10, seed=1), randn(10, seed=2)
    v_theta, v_psi = DiracGAN(r1=0.4).vector_field(theta, psi)
    s = 1 / (1 + np.exp(theta.numpy() * psi.numpy()))  # f'(psi theta) = sigmoid(-psi theta)
    np.testing.assert_allclose(v_theta.numpy(), -psi.numpy() * s, rtol=1e-14)
    np.testing.assert_allclose(
        v_psi.numpy(), theta.numpy() * s - 0.4 * psi.numpy(), rtol=1e-13, atol=1e-15
    )


def test_dirac_instance_noise_matches_monte_carlo():
    game = DiracGAN(noise_std=0.6)
    theta, psi = 0.8, -1.1
    eps = torch.randn(400_000, 2, generator=torch.Generator().manual_seed(0), dtype=F64) * 0.6
    x = theta + eps[:, 0]
    f1 = torch.sigmoid(-psi * x)
    v_theta = -(psi * f1)
    v_psi = x * f1 - eps[:, 1] * torch.sigmoid(psi * eps[:, 1])
    got = game.vector_field(theta, psi)
    for g, samples in zip(got, (v_theta, v_psi), strict=True):
        se = float(samples.std() / len(samples) ** 0.5)
        assert abs(float(g) - float(samples.mean())) < 5 * se


@pytest.mark.parametrize("kw", GAMES)
def test_dirac_equilibrium_eigenvalues_closed_form_match_autograd(kw):
    game = DiracGAN(**kw)
    want = np.sort_complex(np.linalg.eigvals(game.jacobian().numpy()))
    got = np.sort_complex(game.equilibrium_eigenvalues().numpy())
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_dirac_unregularised_eigenvalues_are_imaginary_and_simultaneous_steps_spiral_out():
    lr = 0.1
    for loss, a in (("gan", 0.5), ("wgan", 1.0)):
        game = DiracGAN(loss)
        np.testing.assert_allclose(
            game.equilibrium_eigenvalues().numpy(), [1j * a, -1j * a], atol=1e-15
        )
        sim = np.abs(np.linalg.eigvals(game.step_matrix(lr, "simultaneous").numpy()))
        alt = np.abs(np.linalg.eigvals(game.step_matrix(lr, "alternating").numpy()))
        np.testing.assert_allclose(sim, np.sqrt(1 + (lr * a) ** 2), rtol=1e-14)  # |1 + i h a|
        np.testing.assert_allclose(alt, 1.0, rtol=1e-14)  # det 1, complex pair: on the circle


def test_dirac_linearised_step_matrix_predicts_the_iterates_near_equilibrium():
    for kw in GAMES[:4]:
        game = DiracGAN(**kw)
        for update in ("simultaneous", "alternating"):
            start = torch.tensor([1e-5, -2e-5], dtype=F64)
            traj = game.simulate(*start.tolist(), steps=20, lr=0.05, update=update)
            want = torch.linalg.matrix_power(game.step_matrix(0.05, update), 20) @ start
            torch.testing.assert_close(
                torch.stack([traj.theta[-1], traj.psi[-1]]), want, rtol=1e-4, atol=0
            )


def test_dirac_simulations_diverge_orbit_or_converge():
    sim = DiracGAN().simulate(1, 1, 300, 0.1, "simultaneous").distance
    alt = DiracGAN().simulate(1, 1, 300, 0.1, "alternating").distance
    r1 = DiracGAN(r1=1.0).simulate(1, 1, 300, 0.1, "simultaneous").distance
    # simultaneous: |x_{k+1}|^2 = |x_k|^2 + h^2 |v(x_k)|^2, strictly increasing
    assert bool((sim.diff() > 0).all())
    # alternating: within 10 % of the starting radius throughout (a bounded orbit)
    assert float((alt / alt[0] - 1).abs().max()) < 0.1
    # R1: |1 + h lambda| = 0.95 per step near 0 (lambda = -1/2, double): far below 1e-3
    assert float(r1[-1]) < 1e-3
    clip = DiracGAN("wgan", clip=0.5).simulate(1, 0.1, 400, 0.1, "alternating")
    assert TheoryDiracGAN is DiracGAN
    # clipped WGAN: psi ends on the clip bound, theta keeps oscillating by about h * c
    assert float(clip.psi.abs().max()) <= 0.5
    assert float(clip.theta[-100:].abs().max()) > 0.5 * 0.1 * 0.5


def test_dirac_rejects_bad_arguments():
    with pytest.raises(ValueError, match="loss must be one of"):
        DiracGAN("lsgan")
    with pytest.raises(ValueError, match="update must be one of"):
        DiracGAN().simulate(update="jacobi")
    with pytest.raises(ValueError, match="clip"):
        DiracGAN("wgan", clip=0.0)


# ------------------------------------------------------------------- critics (genlab.wgan)


def test_spectral_norm_critic_layers_have_norm_one():
    from genlab.wgan import make_critic

    critic = make_critic(2, lipschitz="sn", seed=0).double()
    x = randn(64, 2, seed=1)
    for _ in range(30):  # the power iteration converges over forward passes in training mode
        critic(x)
    linears = [m for m in critic.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3
    for layer in linears:
        sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)
        assert float(sigma) == pytest.approx(1.0, abs=1e-3)


def test_sliced_wasserstein_of_a_translation_is_its_mean_projection():
    from genlab.wgan import sliced_wasserstein

    x = randn(500, 2, seed=2)
    m = torch.tensor([1.5, -0.5], dtype=F64)
    got = float(sliced_wasserstein(x, x + m, n_projections=256, seed=0))
    # each projection's W1 is exactly |u . m|; over random unit u in 2-D, E|u . m| = 2|m|/pi,
    # and |cos| has standard deviation sqrt(1/2 - 4/pi^2) = 0.31: 4 standard errors of 256
    want = 2 * float(m.norm()) / np.pi
    assert got == pytest.approx(want, rel=4 * 0.31 / 16 / (2 / np.pi))
    assert got <= float(m.norm())  # a projection is 1-Lipschitz: sliced W1 <= W1 = |m|


def test_exercise_critic_loop_estimates_w1_and_bugs_are_far():
    from genlab.metrics import wasserstein_1d
    from genlab.wgan import _wgan_gp_critic_1d, wgan_gp_critic_1d

    state = torch.random.get_rng_state()
    estimate, slope = wgan_gp_critic_1d(3, 1.5, 0.6).tolist()
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is restored
    g = torch.Generator().manual_seed(0)
    exact = float(
        wasserstein_1d(
            1.5 + 0.6 * torch.randn(100_000, generator=g, dtype=F64),
            torch.randn(100_000, generator=g, dtype=F64),
        )
    )
    # a 32-unit critic after 120 steps: within 15 % of W1, slope within 20 % of 1
    assert estimate == pytest.approx(exact, rel=0.15) and slope == pytest.approx(1.0, rel=0.2)
    flipped = _wgan_gp_critic_1d(3, 1.5, 0.6, sign_bug=True)
    no_graph = _wgan_gp_critic_1d(3, 1.5, 0.6, graph_bug=True)
    assert float(flipped[0]) < -0.5 * exact and float(no_graph[1]) > 5.0
