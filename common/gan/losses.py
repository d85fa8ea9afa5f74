"""The loss terms of SPGAN and StarGAN as small pure functions.

* ``lsgan_loss``: least-squares GAN (Mao et al.), CycleGAN's ``gan_mode='lsgan'`` (``nn.MSELoss`` to a
  constant target 1 or 0), used by SPGAN's official code (``ops.l2_loss`` / ``nn.MSELoss``).
* ``contrastive_loss``: Hadsell et al.'s loss on L2-normalised SiaNet embeddings, SPGAN Eq. 4.
* ``wgan_critic_loss``, ``wgan_generator_loss``, ``gradient_penalty``: WGAN-GP (Gulrajani et al.), as in
  yunjey/stargan ``solver.py``.
* ``domain_classification_loss``: softmax cross-entropy on single-label domains (StarGAN's RaFD branch;
  cameras are single-label).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def lsgan_loss(prediction: torch.Tensor, target_is_real: bool) -> torch.Tensor:
    """``mean((prediction - t)^2)`` with ``t = 1`` for real and ``0`` for fake.

    Args:
        prediction: discriminator scores, any shape (e.g. PatchGAN maps (N, 1, h, w)).
        target_is_real: the label the scores are pushed towards.
    """
    target = torch.ones_like(prediction) if target_is_real else torch.zeros_like(prediction)
    return F.mse_loss(prediction, target)


def contrastive_loss(emb1: torch.Tensor, emb2: torch.Tensor, positive: bool, margin: float = 2.0) -> torch.Tensor:
    """Contrastive loss of a batch of pairs, averaged over the batch (SPGAN Eq. 4).

    ``y d^2 + (1 - y) max(0, m - d)^2`` with ``d = ||emb1 - emb2||_2`` and ``y = 1`` for positive pairs.
    The distance is ``F.pairwise_distance`` (which adds 1e-6 to the difference), exactly as eSPGAN's and
    OpenUnReID's ``SiaLoss``; margin 2 (paper Sec. 4.2 and all official code).

    Args:
        emb1, emb2: (N, D) embeddings of the two images of each pair.
        positive: whether the pairs are positive (same content) or negative (different domains).
        margin: m.
    """
    d = F.pairwise_distance(emb1, emb2)
    if positive:
        return d.pow(2).mean()
    return torch.clamp(margin - d, min=0.0).pow(2).mean()


def wgan_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """``-mean(D(x_real)) + mean(D(x_fake))`` (the critic maximises the score gap)."""
    return -real_scores.mean() + fake_scores.mean()


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """``-mean(D(G(x)))``."""
    return -fake_scores.mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     alpha: torch.Tensor) -> torch.Tensor:
    """WGAN-GP penalty ``mean_i (||grad_x sum D(x_hat_i)||_2 - 1)^2`` at ``x_hat = a x_real + (1 - a) x_fake``.

    As yunjey/stargan ``gradient_penalty``: the critic's patch scores of each image are summed
    (``grad_outputs`` of ones) and the gradient norm is taken per image. The graph is kept
    (``create_graph``) so the penalty trains the critic.

    Args:
        critic: maps images (N, C, H, W) to scores (N, ...).
        real, fake: (N, C, H, W) images; no gradient flows into them.
        alpha: (N, 1, 1, 1) interpolation weights in [0, 1].
    """
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    grad, = torch.autograd.grad(scores, x_hat, grad_outputs=torch.ones_like(scores), create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()


def domain_classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy, mean over the batch: logits (N, C), labels (N,) in [0, C)."""
    return F.cross_entropy(logits, labels)
