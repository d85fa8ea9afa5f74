"""SPGAN: CycleGAN + a Siamese network that keeps each image's identity content across the translation.

Deng et al., "Image-image domain adaptation with preserved self-similarity and domain-dissimilarity for
person re-identification", CVPR 2018. Two ResNet generators G: S -> T and F: T -> S, two 70x70 PatchGAN
discriminators D_T, D_S (LSGAN loss, 50-image history pools), cycle loss, identity loss and SiaNet's
contrastive loss (positive pairs (x_S, G(x_S)) and (x_T, F(x_T)); negative pairs (G(x_S), x_T) and
(F(x_T), x_S)); weights lambda_cyc = 10, lambda_ide = 5, lambda_con = 2, margin 2.

Sources: paper (Eq. 1-5, Sec. 4.2); official TensorFlow code Simon4Yan/Learning-via-Translation
``SPGAN/train_spgan_demo.py``; the author's PyTorch code Simon4Yan/eSPGAN ``py-spgan/train_spgan.py``,
whose step OpenUnReID's ``tools/SPGAN/main.py`` (``SPGANRunner``) reproduces. One training iteration
(PyTorch official code; ``epoch`` and ``iteration`` count from 0 within the run / epoch):

1. fakes and reconstructions: ``G(x_S)``, ``F(x_T)``, ``F(G(x_S))``, ``G(F(x_T))``;
2. generators, every ``generator_every``-th iteration of an epoch (code: ``i % 2 == 0``):
   ``L_adv + 10 L_cyc + 5 L_ide``, plus ``2 L_con^G`` from epoch ``contrastive_start_epoch`` (code:
   ``epoch > 1``);
3. SiaNet, from epoch ``sianet_start_epoch`` (code: ``epoch > 0``): ``L_con^M`` on detached fakes;
4. discriminators: ``(LSGAN(D(real), 1) + LSGAN(D(pool(fake)), 0)) / 2`` each.

How the pair losses are combined (``contrastive_pairs``):

* ``"code"`` (eSPGAN / OpenUnReID): ``L_con^G = (pos(x_S, G x_S) + pos(x_T, F x_T) + 0.5 (neg(G x_S, x_T)
  + neg(F x_T, x_S))) / 4``; SiaNet ``L_con^M = (pos(x_S, G x_S) + pos(x_T, F x_T) + 2 neg(x_S, x_T)) / 3``.
* ``"code_tf"`` (Learning-via-Translation TensorFlow): both use ``L_con^M`` above; its negative pair
  (x_S, x_T) holds no generated image, so only the positive pairs steer the generators.
* ``"paper"``: both use the mean of the four pair losses of Sec. 3.2 (positives (x_S, G x_S),
  (x_T, F x_T); negatives (G x_S, x_T), (F x_T, x_S)).
"""
from __future__ import annotations

import itertools
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .image_pool import ImagePool
from .losses import contrastive_loss, lsgan_loss
from .patch_discriminator import PatchDiscriminator
from .resnet_generator import ResnetGenerator
from .sianet import SiaNet
from .trainer import StepInfo

CONTRASTIVE_PAIRS = ("code", "code_tf", "paper")
DIRECTIONS = ("source_to_target", "target_to_source")


def init_normal(module: nn.Module, gain: float = 0.02) -> None:
    """CycleGAN's ``init_weights(init_type='normal')``: conv / linear weights ~ N(0, gain), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _requires_grad(modules: Sequence[nn.Module], flag: bool) -> None:
    for m in modules:
        m.requires_grad_(flag)


class SPGAN(nn.Module):
    """Generators, discriminators, SiaNet and history pools of SPGAN, and its training iteration.

    Args:
        image_size: network input (H, W), H and W divisible by 4.
        ngf, num_blocks: generator width and residual blocks (``ResnetGenerator``).
        ndf, disc_layers: discriminator width and stride-2 layers (``PatchDiscriminator``).
        sianet_channels, sianet_embed_dims, sianet_dropout: ``SiaNet`` architecture.
        lambda_cycle, lambda_identity, lambda_contrastive: loss weights (10, 5, 2).
        margin: contrastive margin (2).
        contrastive_pairs: ``"code"``, ``"code_tf"`` or ``"paper"`` (module docstring).
        sianet_start_epoch: first epoch (0-based) that trains SiaNet.
        contrastive_start_epoch: first epoch whose generator loss includes the contrastive term.
        generator_every: update the generators on every this-th iteration of an epoch.
        pool_size: history pool size (50).
        init_gain: std of the N(0, gain) weight init (0.02).
        seed: seed of the history pools.
    """

    def __init__(self, image_size: Sequence[int], ngf: int = 64, num_blocks: int = 9, ndf: int = 64,
                 disc_layers: int = 3, sianet_channels: Sequence[int] = (64, 128, 256),
                 sianet_embed_dims: Sequence[int] = (128, 64), sianet_dropout: float = 0.5,
                 lambda_cycle: float = 10.0, lambda_identity: float = 5.0, lambda_contrastive: float = 2.0,
                 margin: float = 2.0, contrastive_pairs: str = "code", sianet_start_epoch: int = 1,
                 contrastive_start_epoch: int = 2, generator_every: int = 2, pool_size: int = 50,
                 init_gain: float = 0.02, seed: int = 0) -> None:
        super().__init__()
        if contrastive_pairs not in CONTRASTIVE_PAIRS:
            raise ValueError(f"spgan.contrastive_pairs must be one of {', '.join(CONTRASTIVE_PAIRS)}, "
                             f"got '{contrastive_pairs}'")
        if generator_every < 1:
            raise ValueError(f"spgan.generator_every must be >= 1, got {generator_every}")
        self.gen_st = ResnetGenerator(ngf, num_blocks)  # G: source -> target
        self.gen_ts = ResnetGenerator(ngf, num_blocks)  # F: target -> source
        self.disc_t = PatchDiscriminator(ndf, disc_layers)  # D_T: real target vs G(x_S)
        self.disc_s = PatchDiscriminator(ndf, disc_layers)  # D_S: real source vs F(x_T)
        self.sianet = SiaNet(image_size, sianet_channels, sianet_embed_dims, sianet_dropout)
        for net in (self.gen_st, self.gen_ts, self.disc_t, self.disc_s, self.sianet):
            init_normal(net, init_gain)
        self.pool_t = ImagePool(pool_size, seed=seed)  # earlier G(x_S) for D_T
        self.pool_s = ImagePool(pool_size, seed=seed + 1)  # earlier F(x_T) for D_S
        self.lambda_cycle, self.lambda_identity = lambda_cycle, lambda_identity
        self.lambda_contrastive, self.margin = lambda_contrastive, margin
        self.contrastive_pairs = contrastive_pairs
        self.sianet_start_epoch, self.contrastive_start_epoch = sianet_start_epoch, contrastive_start_epoch
        self.generator_every = generator_every

    # ------------------------------------------------------------------------------------ inference
    def translate(self, images: torch.Tensor, direction: str = "source_to_target") -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] -> translated (N, 3, H, W): ``G`` for ``source_to_target``, ``F`` for
        ``target_to_source``."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got '{direction}'")
        return (self.gen_st if direction == DIRECTIONS[0] else self.gen_ts)(images)

    @torch.no_grad()
    def sample_columns(self, source: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
        """Columns of the sample grid: x_S, G(x_S), F(G(x_S)), x_T, F(x_T), G(F(x_T)); each (N, 3, H, W)."""
        fake_t, fake_s = self.gen_st(source), self.gen_ts(target)
        return [source, fake_t, self.gen_ts(fake_t), target, fake_s, self.gen_st(fake_s)]

    # ------------------------------------------------------------------------------------- training
    def build_optimizers(self, lr: float, betas: Sequence[float]) -> dict[str, torch.optim.Optimizer]:
        """Adam (lr 2e-4, betas (0.5, 0.999)) for the two generators together, the two discriminators
        together and SiaNet, as OpenUnReID's ``tools/SPGAN/main.py``."""
        adam = lambda params: torch.optim.Adam(params, lr=lr, betas=tuple(betas))  # noqa: E731
        return {"generator": adam(itertools.chain(self.gen_st.parameters(), self.gen_ts.parameters())),
                "discriminator": adam(itertools.chain(self.disc_t.parameters(), self.disc_s.parameters())),
                "sianet": adam(self.sianet.parameters())}

    def _contrastive(self, real_s: torch.Tensor, real_t: torch.Tensor, fake_t: torch.Tensor,
                     fake_s: torch.Tensor, for_generator: bool) -> torch.Tensor:
        """The contrastive term (scalar) of the generators or of SiaNet, per ``contrastive_pairs``;
        all images (N, 3, H, W)."""
        emb = self.sianet
        e_s, e_t, e_ft, e_fs = emb(real_s), emb(real_t), emb(fake_t), emb(fake_s)
        pos = (contrastive_loss(e_s, e_ft, True, self.margin) + contrastive_loss(e_t, e_fs, True, self.margin))
        if self.contrastive_pairs == "paper":
            neg = contrastive_loss(e_ft, e_t, False, self.margin) + contrastive_loss(e_fs, e_s, False, self.margin)
            return (pos + neg) / 4.0
        if self.contrastive_pairs == "code" and for_generator:
            neg = contrastive_loss(e_ft, e_t, False, self.margin) + contrastive_loss(e_fs, e_s, False, self.margin)
            return (pos + 0.5 * neg) / 4.0
        return (pos + 2.0 * contrastive_loss(e_s, e_t, False, self.margin)) / 3.0

    def train_step(self, batch: dict[str, torch.Tensor], optimizers: dict[str, torch.optim.Optimizer],
                   at: StepInfo) -> dict[str, torch.Tensor]:
        """One SPGAN iteration on ``batch = {"source": (N, 3, H, W), "target": (N, 3, H, W)}``.

        Args:
            optimizers: from ``build_optimizers``.
            at: the iteration; ``at.epoch`` switches SiaNet and the contrastive term on, the generators
                train when ``at.iteration`` (within the epoch) is a multiple of ``generator_every``.

        Returns:
            Detached scalar losses of the parts that were updated: ``g_adv``, ``g_cycle``,
            ``g_identity``, ``g_contrastive``, ``g_total`` (generator iterations), ``sianet``
            (from ``sianet_start_epoch``), ``d_target``, ``d_source``.
        """
        real_s, real_t = batch["source"], batch["target"]
        nets_d = (self.disc_t, self.disc_s)
        epoch, update_g = at.epoch, at.iteration % self.generator_every == 0
        losses: dict[str, torch.Tensor] = {}
        with torch.set_grad_enabled(update_g):
            fake_t, fake_s = self.gen_st(real_s), self.gen_ts(real_t)
        if update_g:
            _requires_grad([*nets_d, self.sianet], False)
            adv = lsgan_loss(self.disc_t(fake_t), True) + lsgan_loss(self.disc_s(fake_s), True)
            cycle = F.l1_loss(self.gen_ts(fake_t), real_s) + F.l1_loss(self.gen_st(fake_s), real_t)
            identity = F.l1_loss(self.gen_st(real_t), real_t) + F.l1_loss(self.gen_ts(real_s), real_s)
            total = adv + self.lambda_cycle * cycle + self.lambda_identity * identity
            if epoch >= self.contrastive_start_epoch:
                con = self._contrastive(real_s, real_t, fake_t, fake_s, for_generator=True)
                total = total + self.lambda_contrastive * con
                losses["g_contrastive"] = con.detach()
            optimizers["generator"].zero_grad(set_to_none=True)
            total.backward()
            optimizers["generator"].step()
            losses.update(g_adv=adv.detach(), g_cycle=cycle.detach(), g_identity=identity.detach(),
                          g_total=total.detach())
            _requires_grad([*nets_d, self.sianet], True)
        fake_t, fake_s = fake_t.detach(), fake_s.detach()
        if epoch >= self.sianet_start_epoch:
            m_loss = self._contrastive(real_s, real_t, fake_t, fake_s, for_generator=False)
            optimizers["sianet"].zero_grad(set_to_none=True)
            m_loss.backward()
            optimizers["sianet"].step()
            losses["sianet"] = m_loss.detach()
        d_t = 0.5 * (lsgan_loss(self.disc_t(real_t), True) + lsgan_loss(self.disc_t(self.pool_t.query(fake_t)), False))
        d_s = 0.5 * (lsgan_loss(self.disc_s(real_s), True) + lsgan_loss(self.disc_s(self.pool_s.query(fake_s)), False))
        optimizers["discriminator"].zero_grad(set_to_none=True)
        (d_t + d_s).backward()
        optimizers["discriminator"].step()
        losses.update(d_target=d_t.detach(), d_source=d_s.detach())
        return losses

    # ------------------------------------------------------------------------ history pools in state
    def get_extra_state(self) -> dict[str, Any]:
        """The history pools travel in ``state_dict()`` (so checkpoints resume them exactly)."""
        return {"pool_t": self.pool_t.state_dict(), "pool_s": self.pool_s.state_dict()}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        """Restore the history pools saved by ``get_extra_state``."""
        self.pool_t.load_state_dict(state["pool_t"])
        self.pool_s.load_state_dict(state["pool_s"])
