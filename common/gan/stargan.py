"""StarGAN for camera style: one generator translates a person image to the style of any camera.

Choi et al., "StarGAN: Unified generative adversarial networks for multi-domain image-to-image
translation", CVPR 2018; official code yunjey/stargan (``model.py``, ``solver.py``). Each camera is a
domain (a single label, as the RaFD setting of the official code). The VisDA-2020 winners
(Bias-Eliminate-DA-ReID, TechReport Sec. 2.1) made their CamStyle sets this way: every training image
translated to every camera (their loader requires 6 or 8 copies per source image).

One iteration (``solver.py`` ``train``; ``step`` counts from 0):

1. target labels: a random permutation of the batch's own labels (``target_label="permute"``, code);
   the paper draws the target domain at random (``"uniform"``: uniform over the cameras);
2. critic: ``-mean D_src(x) + mean D_src(G(x, c')) + lambda_cls CE(D_cls(x), c) + lambda_gp GP``
   (WGAN-GP, ``lambda_gp`` 10, ``lambda_cls`` 1);
3. generator, when ``(step + 1) % n_critic == 0`` (``n_critic`` 5):
   ``-mean D_src(G(x, c')) + lambda_cls CE(D_cls(G(x, c')), c') + lambda_rec |x - G(G(x, c'), c)|_1``
   (``lambda_rec`` 10).

Adam lr 1e-4, betas (0.5, 0.999) for both networks (``main.py``); the schedule is
``lr_schedule.lr_factor``.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .losses import domain_classification_loss, gradient_penalty, wgan_critic_loss, wgan_generator_loss
from .stargan_discriminator import StarGANDiscriminator
from .stargan_generator import StarGANGenerator
from .trainer import StepInfo

TARGET_LABELS = ("permute", "uniform")


class StarGAN(nn.Module):
    """StarGAN generator and discriminator over the cameras ``camera_ids``, and its training iteration.

    Args:
        image_size: network input (H, W); divisible by ``2 ** disc_layers``.
        camera_ids: the camera of each domain, in domain order (domain ``k`` is camera ``camera_ids[k]``).
        ngf, num_blocks: generator width and residual blocks (64, 6).
        ndf, disc_layers: discriminator width and stride-2 layers (64, 6).
        lambda_cls, lambda_rec, lambda_gp: loss weights (1, 10, 10).
        n_critic: critic iterations per generator iteration (5).
        target_label: ``"permute"`` (official code) or ``"uniform"`` (paper).
    """

    def __init__(self, image_size: Sequence[int], camera_ids: Sequence[int], ngf: int = 64, num_blocks: int = 6,
                 ndf: int = 64, disc_layers: int = 6, lambda_cls: float = 1.0, lambda_rec: float = 10.0,
                 lambda_gp: float = 10.0, n_critic: int = 5, target_label: str = "permute") -> None:
        super().__init__()
        ids = sorted(int(c) for c in camera_ids)
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise ValueError(f"StarGAN needs at least two distinct cameras, got {list(camera_ids)}")
        if target_label not in TARGET_LABELS:
            raise ValueError(f"stargan.target_label must be one of {', '.join(TARGET_LABELS)}, got '{target_label}'")
        if n_critic < 1:
            raise ValueError(f"stargan.n_critic must be >= 1, got {n_critic}")
        self.register_buffer("camera_ids", torch.tensor(ids, dtype=torch.long))
        self.generator = StarGANGenerator(len(ids), ngf, num_blocks)
        self.discriminator = StarGANDiscriminator(image_size, len(ids), ndf, disc_layers)
        self.lambda_cls, self.lambda_rec, self.lambda_gp = lambda_cls, lambda_rec, lambda_gp
        self.n_critic, self.target_label = n_critic, target_label

    @property
    def num_domains(self) -> int:
        """Number of cameras (domains)."""
        return len(self.camera_ids)

    def domain_of(self, cameras: torch.Tensor) -> torch.Tensor:
        """Camera ids (N,) -> domain indices (N,); an unknown camera is an error naming it."""
        cameras = torch.as_tensor(cameras, device=self.camera_ids.device).long()
        idx = torch.searchsorted(self.camera_ids, cameras).clamp_max(self.num_domains - 1)
        unknown = self.camera_ids[idx] != cameras
        if unknown.any():
            raise ValueError(f"camera {int(cameras[unknown][0])} is not one of the model's cameras "
                             f"{self.camera_ids.tolist()}")
        return idx

    def translate(self, images: torch.Tensor, domains: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] -> the images in the style of ``domains`` (N,) (domain indices)."""
        return self.generator(images, F.one_hot(domains, self.num_domains).to(images.dtype))

    @torch.no_grad()
    def sample_columns(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Columns of the sample grid: the inputs, then one translation per camera (domain order)."""
        return [images] + [self.translate(images, torch.full((len(images),), k, dtype=torch.long,
                                                              device=images.device))
                           for k in range(self.num_domains)]

    def build_optimizers(self, lr: float, betas: Sequence[float]) -> dict[str, torch.optim.Optimizer]:
        """Adam for the generator and for the discriminator (official ``g_lr = d_lr = 1e-4``)."""
        return {"generator": torch.optim.Adam(self.generator.parameters(), lr=lr, betas=tuple(betas)),
                "discriminator": torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=tuple(betas))}

    def _critic_scores(self, images: torch.Tensor) -> torch.Tensor:
        """The source head alone, (N, 1, h, w): the critic of the gradient penalty."""
        return self.discriminator(images)[0]

    def train_step(self, batch: dict[str, torch.Tensor], optimizers: dict[str, torch.optim.Optimizer],
                   at: StepInfo) -> dict[str, torch.Tensor]:
        """One StarGAN iteration on ``batch = {"img": (N, 3, H, W), "camera": (N,) camera ids}``; the
        generator trains when ``at.step + 1`` is a multiple of ``n_critic``.

        Returns detached scalar losses: ``d_real``, ``d_fake``, ``d_cls``, ``d_gp``, ``d_total`` every
        iteration; ``g_adv``, ``g_cls``, ``g_rec``, ``g_total`` on generator iterations.
        """
        x_real = batch["img"]
        label_org = self.domain_of(batch["camera"])
        if self.target_label == "permute":
            label_trg = label_org[torch.randperm(len(label_org)).to(label_org.device)]
        else:
            label_trg = torch.randint(self.num_domains, label_org.shape).to(label_org.device)
        out_src, out_cls = self.discriminator(x_real)
        with torch.no_grad():
            x_fake = self.translate(x_real, label_trg)
        fake_src, _ = self.discriminator(x_fake)
        d_adv = wgan_critic_loss(out_src, fake_src)
        d_cls = domain_classification_loss(out_cls, label_org)
        alpha = torch.rand(len(x_real), 1, 1, 1).to(x_real.device)
        d_gp = gradient_penalty(self._critic_scores, x_real, x_fake, alpha)
        d_total = d_adv + self.lambda_cls * d_cls + self.lambda_gp * d_gp
        optimizers["discriminator"].zero_grad(set_to_none=True)
        d_total.backward()
        optimizers["discriminator"].step()
        losses = {"d_real": -out_src.mean().detach(), "d_fake": fake_src.mean().detach(), "d_cls": d_cls.detach(),
                  "d_gp": d_gp.detach(), "d_total": d_total.detach()}
        if (at.step + 1) % self.n_critic == 0:
            self.discriminator.requires_grad_(False)
            x_fake = self.translate(x_real, label_trg)
            fake_src, fake_cls = self.discriminator(x_fake)
            g_adv = wgan_generator_loss(fake_src)
            g_cls = domain_classification_loss(fake_cls, label_trg)
            g_rec = F.l1_loss(self.translate(x_fake, label_org), x_real)
            g_total = g_adv + self.lambda_rec * g_rec + self.lambda_cls * g_cls
            optimizers["generator"].zero_grad(set_to_none=True)
            g_total.backward()
            optimizers["generator"].step()
            self.discriminator.requires_grad_(True)
            losses.update(g_adv=g_adv.detach(), g_cls=g_cls.detach(), g_rec=g_rec.detach(), g_total=g_total.detach())
        return losses
