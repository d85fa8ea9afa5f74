"""ViT backbone with TransReID's overlapping patch embedding, built on timm's ``VisionTransformer``.

TransReID (He et al., ICCV 2021; ``damo-cv/TransReID``) cuts the image into 16x16 patches with a
stride smaller than 16 (DMT's ``STRIDE_SIZE [14, 14]`` at 256x256), so neighbouring patches overlap;
the patch grid is ``((H - 16) // s + 1, (W - 16) // s + 1)``. ImageNet position embeddings (a square
14x14 grid for 224x224 inputs) are resized to that grid by bilinear interpolation when the weights
are loaded. The ReID feature is the class token after the final LayerNorm. JPM and SIE (TransReID's
jigsaw branch and camera embedding) are not used by DMT and are not implemented here.
"""
from __future__ import annotations

import functools
from pathlib import Path

import torch
from timm.layers import resample_abs_pos_embed, to_2tuple
from timm.models.vision_transformer import VisionTransformer
from torch import nn

from .pretrained import StateDict, load_pretrained


class OverlapPatchEmbed(nn.Module):
    """Patch embedding by a ``patch_size`` convolution with stride ``stride`` (overlapping if smaller).

    Shape: ``[B, 3, H, W] -> [B, gh * gw, embed_dim]`` with ``gh = (H - p) // s + 1`` (same for gw).
    The keyword arguments are those timm's ``VisionTransformer`` passes to its ``embed_layer``.
    """

    def __init__(self, img_size: int | tuple[int, int] = 224, patch_size: int = 16, in_chans: int = 3,
                 embed_dim: int = 768, bias: bool = True, dynamic_img_pad: bool = False,
                 stride: int | tuple[int, int] = 16, device=None, dtype=None) -> None:
        super().__init__()
        if dynamic_img_pad:
            raise ValueError("OverlapPatchEmbed has a fixed input size; dynamic_img_pad is not supported")
        self.img_size = to_2tuple(img_size)
        self.patch_size = to_2tuple(patch_size)
        self.stride = to_2tuple(stride)
        self.grid_size = tuple((size - patch) // step + 1
                               for size, patch, step in zip(self.img_size, self.patch_size, self.stride))
        if min(self.grid_size) < 1:
            raise ValueError(f"image size {self.img_size} is smaller than the patch size {self.patch_size}")
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=self.patch_size, stride=self.stride,
                              bias=bias, device=device, dtype=dtype)

    def feat_ratio(self, as_scalar: bool = True) -> int | tuple[int, int]:
        return max(self.stride) if as_scalar else self.stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.img_size:
            raise ValueError(f"input size {tuple(x.shape[-2:])} does not match the model's {self.img_size}; "
                             "resize images to the configured size (the position embedding is fixed)")
        return self.proj(x).flatten(2).transpose(1, 2)


class TransReIDViT(VisionTransformer):
    """timm ``VisionTransformer`` with overlapping patches; ``forward`` returns the class token.

    Args:
        img_size: input ``(H, W)``.
        stride: patch stride (TransReID/DMT: 14 with 16x16 patches; 16 gives the plain ViT).
        patch_size, embed_dim, depth, num_heads, mlp_ratio, drop_path_rate, ...: as in timm.

    Shape: ``[B, 3, H, W] -> [B, embed_dim]``.
    """

    pretrained_ignore = ("head.", "head_dist.", "dist_token", "pre_logits.")
    #: The output is already a global descriptor (the class token): the head must not pool it.
    global_feature = True

    def __init__(self, img_size: tuple[int, int] = (256, 128), stride: int = 16, patch_size: int = 16,
                 embed_dim: int = 768, depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0,
                 drop_path_rate: float = 0.1, **kwargs) -> None:
        super().__init__(img_size=img_size, patch_size=patch_size, embed_dim=embed_dim, depth=depth,
                         num_heads=num_heads, mlp_ratio=mlp_ratio, qkv_bias=True, num_classes=0,
                         drop_path_rate=drop_path_rate,
                         embed_layer=functools.partial(OverlapPatchEmbed, stride=stride), **kwargs)
        self.out_channels = embed_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` -> ``[B, embed_dim]`` class token after the final norm."""
        return self.forward_features(x)[:, 0]

    def adapt_pretrained(self, state: StateDict) -> StateDict:
        """Resize a pretrained ``pos_embed`` (square grid + class token) to this model's patch grid,
        bilinearly as TransReID's ``resize_pos_embed`` does."""
        pos = state.get("pos_embed")
        if pos is not None and pos.shape != self.pos_embed.shape:
            state = dict(state)
            state["pos_embed"] = resample_abs_pos_embed(
                pos, new_size=list(self.patch_embed.grid_size), num_prefix_tokens=self.num_prefix_tokens,
                interpolation="bilinear", antialias=False)
        return state

    def load_pretrained(self, source: str | Path) -> list[str]:
        """Load ImageNet ViT weights (timm / TransReID key names) from a file or URL."""
        return load_pretrained(self, source, ignore_prefixes=self.pretrained_ignore,
                               adapt=self.adapt_pretrained)


def vit_base_patch16_transreid(**kwargs) -> TransReIDViT:
    """ViT-B/16 (768-d, 12 blocks, 12 heads), DMT's ``vit_base_patch16_224_TransReID``."""
    return TransReIDViT(**{"embed_dim": 768, "depth": 12, "num_heads": 12, **kwargs})


def vit_small_patch16_transreid(**kwargs) -> TransReIDViT:
    """ViT-S/16 (384-d, 12 blocks, 6 heads; the timm/DeiT-S layout, whose ImageNet weights exist;
    TransReID's own ``vit_small`` is a different 768-d, 8-block network)."""
    return TransReIDViT(**{"embed_dim": 384, "depth": 12, "num_heads": 6, **kwargs})


def vit_tiny_patch16_transreid(**kwargs) -> TransReIDViT:
    """ViT-Ti/16 (192-d, 12 blocks, 3 heads; DeiT-Ti layout), for tests and demos."""
    return TransReIDViT(**{"embed_dim": 192, "depth": 12, "num_heads": 3, **kwargs})
