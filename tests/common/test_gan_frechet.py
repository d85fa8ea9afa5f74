"""The Fréchet domain distance against the closed form for Gaussians, and its default descriptor."""
import numpy as np
import pytest
import torch
from scipy import linalg

from common.gan.colour_texture import ColourTextureDescriptor
from common.gan.frechet import FeatureEncoder, frechet_distance


class Identity(torch.nn.Module):
    """Features = the input (N, D, 1, 1) flattened: the distance then sees the samples themselves."""

    def __init__(self, dim):
        super().__init__()
        self.num_features = dim

    def forward(self, x):
        return x.flatten(1)


def samples_with_moments(mean, cov, n, seed):
    """n samples whose sample mean and (n-1)-normalised covariance are exactly ``mean`` and ``cov``."""
    z = np.random.default_rng(seed).standard_normal((n, len(mean)))
    z -= z.mean(0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # whitened: sample cov = I
    x = z @ np.linalg.cholesky(cov).T + mean
    return torch.tensor(x, dtype=torch.float64)[:, :, None, None]


def test_matches_the_closed_form_for_diagonal_gaussians():
    m1, m2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    a = samples_with_moments(m1, np.diag(v1), 200, 0)
    b = samples_with_moments(m2, np.diag(v2), 300, 1)
    # commuting covariances: ||m1 - m2||^2 + sum (sqrt(v1) - sqrt(v2))^2 = 5 + (4 + 1 + 0)
    assert frechet_distance(a, b, Identity(3)) == pytest.approx(10.0, rel=1e-4)


def test_matches_scipy_for_full_covariances():
    rng = np.random.default_rng(3)
    m1, m2 = rng.normal(size=4), rng.normal(size=4)
    r1, r2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    c1, c2 = r1 @ r1.T + 0.5 * np.eye(4), r2 @ r2.T + 0.5 * np.eye(4)
    root = linalg.sqrtm(linalg.sqrtm(c1) @ c2 @ linalg.sqrtm(c1)).real
    expected = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * root)
    a, b = samples_with_moments(m1, c1, 500, 4), samples_with_moments(m2, c2, 500, 5)
    batches = [a[:200], a[200:]]  # batched accumulation equals one batch
    assert frechet_distance(batches, b, Identity(4)) == pytest.approx(expected, rel=1e-4)


def test_identical_sets_are_at_zero_and_colour_casts_are_far():
    torch.manual_seed(0)
    images = torch.rand(64, 3, 32, 16) * 2 - 1
    assert abs(frechet_distance(images, images)) < 1e-6
    warm = (images + 1) / 2 * torch.tensor([1.3, 1.0, 0.6]).view(1, 3, 1, 1) * 2 - 1
    # a warm cast is much farther than two random halves of the same set
    assert frechet_distance(images, warm.clamp(-1, 1)) > 10 * frechet_distance(images[:32], images[32:]) > 0


def test_descriptor_is_deterministic_and_sized():
    d = ColourTextureDescriptor(grid=(4, 2), colour_bins=8, orientation_bins=8)
    assert d.num_features == 4 * 2 * 7 + 3 * 8 + 8 and not list(d.parameters())
    x = torch.rand(5, 3, 64, 32) * 2 - 1
    f = d(x)
    assert f.shape == (5, d.num_features) and torch.equal(f, d(x))
    with pytest.raises(ValueError, match=r"expects \(N, 3, H, W\)"):
        d(torch.rand(2, 1, 8, 8))


def test_any_module_can_be_the_encoder():
    torch.manual_seed(0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 8, stride=8), torch.nn.ReLU())  # (N, 4, 4, 2) features
    enc = FeatureEncoder(conv, (32, 16))
    assert enc.num_features == 32 and not enc.training
    a, b = torch.rand(20, 3, 32, 16), torch.rand(20, 3, 32, 16) + 0.5
    assert frechet_distance(a, b, conv) == pytest.approx(frechet_distance(a, b, enc), rel=1e-5)
