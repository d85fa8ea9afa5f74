"""Parameter names of the official DAMO-YOLO code (tinyvision/damo-yolo) for this implementation.

The official model is ``Detector(backbone, neck, head)`` with attribute names fixed by its
modules (``damo/base_models``): ``ConvKXBN`` holds ``conv1``/``bn1``; ``ConvKXBNRELU`` wraps one
as ``conv``; ``ConvBNAct`` and ``Focus`` hold ``conv``/``bn``; ``RepConv`` holds ``rbr_dense``,
``rbr_1x1`` (each ``conv``/``bn``) or ``rbr_reparam``; ``SPPBottleneck`` holds ``conv1``/``conv2``;
the res/mob backbones keep their stages in ``block_list`` (each a ``block_list`` of blocks), the
CSP backbone in ``csp_stage`` (``downsampler``, ``spp``, ``conv_start``, ``conv_shortcut``,
``convstem``, ``conv_fuse``); ``MobileV3Block`` is an ``nn.Sequential`` called ``conv``
(backbone: conv, bn, act, dw-conv, bn, SE slot, act, conv, bn; neck: the same without the SE
slot); ``DepthwiseConv`` holds ``depthwise``, ``dwnorm``, ``pointwise``, ``pwnorm``;
``GiraffeNeckV2`` names its nodes ``bu_conv13``, ``merge_3``, ... and ``CSPStage`` its parts
``conv1``, ``conv2``, ``convs``, ``conv3``; ``ZeroHead`` holds ``gfl_cls``, ``gfl_reg``,
``scales``, ``integral``.

:func:`damoyolo_key_map` walks a model built by this package and returns, for every entry of its
``state_dict``, the official name of the same tensor.
"""
from __future__ import annotations

from typing import Callable

import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmcv.cnn import Scale

from mmdet.models.backbones.csp_darknet import Focus, SPPBottleneck
from mmdet.models.dense_heads.gfl_head import Integral
from mmdet.models.layers import InvertedResidual
from ..models.backbones import TinyNASCSP, TinyNASMob, TinyNASRes
from ..models.dense_heads import ZeroHead
from ..models.layers import CSPResStage, FusionBlock, RepBasicBlock, RepConv, ResConvBlock
from ..models.necks import RepGFPN

KeyMap = dict[str, str]

# Our RepGFPN node names -> official GiraffeNeckV2 attribute names.
NECK_NODES = {
    'p4_down_to_p5': 'bu_conv13', 'p5_td_fuse': 'merge_3',
    'p3_down_to_p4': 'bu_conv24', 'p4_td_fuse': 'merge_4',
    'p3_out_fuse': 'merge_5',
    'p3_out_down': 'bu_conv57', 'p4_out_fuse': 'merge_7',
    'p4_td_down': 'bu_conv46', 'p4_out_down': 'bu_conv76', 'p5_out_fuse': 'merge_6',
}
# Positions of the convolutions and norms inside the official MobileV3Block ``conv`` Sequential.
MOBILE_BLOCK_INDICES = {
    'backbone': {'expand_conv.conv': 0, 'expand_conv.bn': 1, 'depthwise_conv.conv': 3,
                 'depthwise_conv.bn': 4, 'linear_conv.conv': 7, 'linear_conv.bn': 8},
    'neck': {'expand_conv.conv': 0, 'expand_conv.bn': 1, 'depthwise_conv.conv': 3,
             'depthwise_conv.bn': 4, 'linear_conv.conv': 6, 'linear_conv.bn': 7},
}


def _join(*parts: str) -> str:
    return '.'.join(p for p in parts if p)


def _tensors(module: nn.Module, ours: str, official: str) -> KeyMap:
    """Direct parameters and buffers of ``module`` keep their names."""
    names = [n for n, _ in module.named_parameters(recurse=False)]
    names += [n for n, b in module.named_buffers(recurse=False) if b is not None
              and n not in module._non_persistent_buffers_set]
    return {_join(ours, n): _join(official, n) for n in names}


def _conv_module(module: ConvModule, ours: str, official: str, conv: str, norm: str) -> KeyMap:
    """A ConvModule whose conv/norm are named ``conv``/``norm`` officially."""
    out = _tensors(module.conv, _join(ours, 'conv'), _join(official, conv))
    if module.with_norm:
        out.update(_tensors(module.norm, _join(ours, module.norm_name), _join(official, norm)))
    return out


def conv_bn(module: ConvModule, ours: str, official: str) -> KeyMap:
    """``ConvKXBN``: ``conv1``/``bn1``."""
    return _conv_module(module, ours, official, 'conv1', 'bn1')


def conv_bn_relu(module: ConvModule, ours: str, official: str) -> KeyMap:
    """``ConvKXBNRELU``: a ``ConvKXBN`` named ``conv``."""
    return conv_bn(module, ours, _join(official, 'conv'))


def conv_bn_act(module: ConvModule, ours: str, official: str) -> KeyMap:
    """``ConvBNAct``: ``conv``/``bn`` (the same names as a ConvModule)."""
    return _conv_module(module, ours, official, 'conv', 'bn')


def rep_conv(module: RepConv, ours: str, official: str) -> KeyMap:
    if module.deploy:
        return _tensors(module.rbr_reparam, _join(ours, 'rbr_reparam'), _join(official, 'rbr_reparam'))
    out = conv_bn_act(module.rbr_dense, _join(ours, 'rbr_dense'), _join(official, 'rbr_dense'))
    out.update(conv_bn_act(module.rbr_1x1, _join(ours, 'rbr_1x1'), _join(official, 'rbr_1x1')))
    return out


def res_conv_block(module: ResConvBlock, ours: str, official: str) -> KeyMap:
    out = conv_bn(module.conv1, _join(ours, 'conv1'), _join(official, 'conv1'))
    if isinstance(module.conv2, RepConv):
        out.update(rep_conv(module.conv2, _join(ours, 'conv2'), _join(official, 'conv2')))
    else:
        out.update(conv_bn(module.conv2, _join(ours, 'conv2'), _join(official, 'conv2')))
    if module.residual_proj is not None:
        out.update(conv_bn(module.residual_proj, _join(ours, 'residual_proj'),
                           _join(official, 'residual_proj')))
    return out


def spp(module: SPPBottleneck, ours: str, official: str) -> KeyMap:
    out = conv_bn_act(module.conv1, _join(ours, 'conv1'), _join(official, 'conv1'))
    out.update(conv_bn_act(module.conv2, _join(ours, 'conv2'), _join(official, 'conv2')))
    return out


def focus(module: Focus, ours: str, official: str) -> KeyMap:
    return conv_bn_act(module.conv, _join(ours, 'conv'), _join(official, 'conv'))


def mobile_block(module: InvertedResidual, ours: str, official: str, where: str) -> KeyMap:
    out: KeyMap = {}
    for part, index in MOBILE_BLOCK_INDICES[where].items():
        out.update(_tensors(module.get_submodule(part), _join(ours, part),
                            _join(official, 'conv', str(index))))
    return out


def _stem(module: nn.Module, ours: str, official: str) -> KeyMap:
    if isinstance(module, Focus):
        return focus(module, ours, official)
    return conv_bn_relu(module, ours, official)


def _stage_blocks(stage: nn.Sequential, ours: str, official: str,
                  block_fn: Callable[[nn.Module, str, str], KeyMap]) -> KeyMap:
    out: KeyMap = {}
    for j, block in enumerate(stage):
        fn = spp if isinstance(block, SPPBottleneck) else block_fn
        out.update(fn(block, _join(ours, str(j)), _join(official, 'block_list', str(j))))
    return out


def tinynas_res(module: TinyNASRes, ours: str, official: str) -> KeyMap:
    out = _stem(module.layers[0], _join(ours, 'layers.0'), _join(official, 'block_list.0'))
    for i, stage in enumerate(module.layers[1:], start=1):
        out.update(_stage_blocks(stage, _join(ours, f'layers.{i}'), _join(official, f'block_list.{i}'),
                                 res_conv_block))
    return out


def tinynas_mob(module: TinyNASMob, ours: str, official: str) -> KeyMap:
    out = _stem(module.layers[0], _join(ours, 'layers.0'), _join(official, 'block_list.0'))
    for i, stage in enumerate(module.layers[1:], start=1):
        out.update(_stage_blocks(stage, _join(ours, f'layers.{i}'), _join(official, f'block_list.{i}'),
                                 lambda m, o, p: mobile_block(m, o, p, 'backbone')))
    return out


def csp_res_stage(module: CSPResStage, ours: str, official: str) -> KeyMap:
    out = conv_bn_relu(module.downsample, _join(ours, 'downsample'), _join(official, 'downsampler'))
    if module.spp is not None:
        out.update(spp(module.spp, _join(ours, 'spp'), _join(official, 'spp')))
    if len(module.blocks) > 0:
        for name in ('conv_start', 'conv_shortcut', 'conv_fuse'):
            out.update(conv_bn_relu(getattr(module, name), _join(ours, name), _join(official, name)))
        for j, block in enumerate(module.blocks):
            out.update(res_conv_block(block, _join(ours, f'blocks.{j}'), _join(official, f'convstem.{j}')))
    return out


def tinynas_csp(module: TinyNASCSP, ours: str, official: str) -> KeyMap:
    out = _stem(module.layers[0], _join(ours, 'layers.0'), _join(official, 'csp_stage.0'))
    for i, stage in enumerate(module.layers[1:], start=1):
        out.update(csp_res_stage(stage, _join(ours, f'layers.{i}'), _join(official, f'csp_stage.{i}')))
    return out


def fusion_block(module: FusionBlock, ours: str, official: str) -> KeyMap:
    out: KeyMap = {}
    for mine, theirs in (('short_conv', 'conv1'), ('main_conv', 'conv2'), ('final_conv', 'conv3')):
        out.update(conv_bn_act(getattr(module, mine), _join(ours, mine), _join(official, theirs)))
    for i, block in enumerate(module.blocks):
        o, p = _join(ours, f'blocks.{i}'), _join(official, f'convs.{i}')
        if isinstance(block, RepBasicBlock):
            out.update(rep_conv(block.conv2, _join(o, 'conv2'), _join(p, 'conv2')))
            out.update(conv_bn_act(block.conv1, _join(o, 'conv1'), _join(p, 'conv1')))
        else:
            out.update(mobile_block(block, o, _join(p, 'conv'), 'neck'))
    return out


def rep_gfpn(module: RepGFPN, ours: str, official: str) -> KeyMap:
    out: KeyMap = {}
    for mine, theirs in NECK_NODES.items():
        node, o, p = getattr(module, mine), _join(ours, mine), _join(official, theirs)
        if isinstance(node, FusionBlock):
            out.update(fusion_block(node, o, p))
        elif isinstance(node, DepthwiseSeparableConvModule):
            out.update(_conv_module(node.depthwise_conv, _join(o, 'depthwise_conv'), p,
                                    'depthwise', 'dwnorm'))
            out.update(_conv_module(node.pointwise_conv, _join(o, 'pointwise_conv'), p,
                                    'pointwise', 'pwnorm'))
        else:
            out.update(conv_bn_act(node, o, p))
    return out


def zero_head(module: ZeroHead, ours: str, official: str) -> KeyMap:
    out: KeyMap = {}
    for name, child in module.named_modules():
        if isinstance(child, (nn.Conv2d, Scale, Integral)):
            out.update(_tensors(child, _join(ours, name), _join(official, name)))
    return out


COMPONENTS: dict[type, Callable[[nn.Module, str, str], KeyMap]] = {
    TinyNASRes: tinynas_res, TinyNASCSP: tinynas_csp, TinyNASMob: tinynas_mob,
    RepGFPN: rep_gfpn, ZeroHead: zero_head,
}


def damoyolo_key_map(detector: nn.Module) -> KeyMap:
    """Map every ``state_dict`` key of a DAMO-YOLO detector built here to the official key.

    Args:
        detector: a ``SingleStageDetector`` (or ``FeatureDistillDetector``: its student) with a
            TinyNAS backbone, ``RepGFPN`` neck and ``ZeroHead``.

    Returns:
        ``{our_key: official_key}``; official keys use the ``backbone``/``neck``/``head``
        prefixes of the official ``Detector``.

    Raises:
        TypeError: a component this map does not know.
    """
    out: KeyMap = {}
    for ours, official in (('backbone', 'backbone'), ('neck', 'neck'), ('bbox_head', 'head')):
        component = getattr(detector, ours)
        fn = COMPONENTS.get(type(component))
        if fn is None:
            raise TypeError(f'no official DAMO-YOLO layout for {ours} of type '
                            f'{type(component).__name__}')
        out.update(fn(component, ours, official))
    return out
