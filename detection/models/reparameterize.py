"""Deployment-time re-parameterisation: fuse RepConv branches and fold BatchNorm into convolutions."""
from __future__ import annotations

import torch.nn as nn
from mmcv.cnn import fuse_conv_bn


def reparameterize(model: nn.Module, fold_bn: bool = True) -> nn.Module:
    """Turn a trained model into its inference form, in place; outputs are unchanged.

    1. Every module with a ``switch_to_deploy`` method (``RepConv``) fuses its branches into
       one convolution.
    2. With ``fold_bn``, every BatchNorm that directly follows a convolution is folded into it
       (mmcv's ``fuse_conv_bn``).

    The model must be in eval mode (BatchNorm running statistics are used); it is set to eval.

    Returns:
        ``model`` (for chaining).
    """
    model.eval()
    for module in list(model.modules()):
        if hasattr(module, 'switch_to_deploy'):
            module.switch_to_deploy()
    if fold_bn:
        fuse_conv_bn(model)
    return model
