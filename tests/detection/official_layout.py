"""A compact re-statement of the official DAMO-YOLO modules (tinyvision/damo-yolo, damo/base_models)
for the converter tests: plain ``nn.Module``s with the official attribute names and forward passes,
written independently of ``detection`` (nothing is imported from it).

Only what the released configs use is covered: TinyNAS res/CSP/mob backbones, GiraffeNeckV2 with
``BasicBlock_3x3_Reverse`` (and its depthwise variant), ZeroHead with ``stacked_convs=0``.
Structures use the official keys (``class``, ``in``, ``out``, ``btn``, ``k``, ``s``, ``L``).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def act(name):
    return {'relu': nn.ReLU(), 'silu': nn.SiLU(), None: nn.Identity()}[name]


def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvKXBN(nn.Module):
    def __init__(self, cin, cout, k, s):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, k, s, (k - 1) // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn1(self.conv1(x))


class ConvKXBNRELU(nn.Module):
    def __init__(self, cin, cout, k, s, a):
        super().__init__()
        self.conv = ConvKXBN(cin, cout, k, s)
        self.act = act(a)

    def forward(self, x):
        return self.act(self.conv(x))


class ConvBNAct(nn.Module):
    def __init__(self, cin, cout, k, s=1, a='silu', groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act(a)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


def conv_bn(cin, cout, k, s, p):
    seq = nn.Sequential()
    seq.add_module('conv', nn.Conv2d(cin, cout, k, s, p, bias=False))
    seq.add_module('bn', nn.BatchNorm2d(cout))
    return seq


class RepConv(nn.Module):
    def __init__(self, cin, cout, s=1, a='relu'):
        super().__init__()
        self.rbr_dense = conv_bn(cin, cout, 3, s, 1)
        self.rbr_1x1 = conv_bn(cin, cout, 1, s, 0)
        self.nonlinearity = act(a)

    def forward(self, x):
        return self.nonlinearity(self.rbr_dense(x) + self.rbr_1x1(x))


class Focus(nn.Module):
    def __init__(self, cin, cout, k, a):
        super().__init__()
        self.conv = ConvBNAct(cin * 4, cout, k, 1, a)

    def forward(self, x):
        return self.conv(torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2],
                                    x[..., 1::2, 1::2]), 1))


class SPPBottleneck(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = ConvBNAct(cin, cin // 2, 1)
        self.m = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))
        self.conv2 = ConvBNAct(cin // 2 * 4, cout, 1)

    def forward(self, x):
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [m(x) for m in self.m], 1))


class ResConvBlock(nn.Module):
    def __init__(self, cin, cout, btn, k, s, a, kxkx):
        super().__init__()
        self.stride = s
        self.conv1 = ConvKXBN(cin, btn, k if kxkx else 1, 1)
        self.conv2 = RepConv(btn, cout, s, None)
        self.activation_function = act(a)
        self.residual_proj = ConvKXBN(cin, cout, 1, 1) if cin != cout and s != 2 else None

    def forward(self, x):
        res = x if self.residual_proj is None else self.residual_proj(x)
        y = self.conv2(self.activation_function(self.conv1(x)))
        return self.activation_function(y + res if self.stride != 2 else y)


class Stage(nn.Module):
    """``SuperResStem``: ``block_list`` of blocks, SPP after the first block of the last stage."""

    def __init__(self, blocks, spp_after_first=None):
        super().__init__()
        spp = [spp_after_first] if spp_after_first else []
        self.block_list = nn.ModuleList(blocks[:1] + spp + blocks[1:])

    def forward(self, x):
        for b in self.block_list:
            x = b(x)
        return x


class TinyNASRes(nn.Module):
    def __init__(self, structure, a, out_indices=(2, 4, 5)):
        super().__init__()
        self.out_indices = out_indices
        s0 = structure[0]
        self.block_list = nn.ModuleList([Focus(s0['in'], s0['out'], s0['k'], a)])
        for i, e in enumerate(structure[1:], start=1):
            blocks = [ResConvBlock(e['in'] if j == 0 else e['out'], e['out'], e['btn'], e['k'],
                                   e['s'] if j == 0 else 1, a, e['class'].endswith('KXKX'))
                      for j in range(e['L'])]
            spp = SPPBottleneck(e['out'], e['out']) if i == len(structure) - 1 else None
            self.block_list.append(Stage(blocks, spp))

    def forward(self, x):
        outs = []
        for i, b in enumerate(self.block_list):
            x = b(x)
            if i in self.out_indices:
                outs.append(x)
        return outs


class CSPWrapper(nn.Module):
    def __init__(self, cin, cout, hidden, blocks, with_spp):
        super().__init__()
        self.downsampler = ConvKXBNRELU(cin, hidden * 2, 3, 2, 'relu')
        self.spp = SPPBottleneck(hidden * 2, hidden * 2) if with_spp else None
        self.convstem = nn.ModuleList(blocks)
        if blocks:
            self.conv_start = ConvKXBNRELU(hidden * 2, hidden, 1, 1, 'relu')
            self.conv_shortcut = ConvKXBNRELU(hidden * 2, cout // 2, 1, 1, 'relu')
            self.conv_fuse = ConvKXBNRELU(cout, cout, 1, 1, 'relu')

    def forward(self, x):
        x = self.downsampler(x)
        if self.spp is not None:
            x = self.spp(x)
        if len(self.convstem) == 0:
            return x
        short = self.conv_shortcut(x)
        x = self.conv_start(x)
        for b in self.convstem:
            x = b(x)
        return self.conv_fuse(torch.cat((x, short), 1))


class TinyNASCSP(nn.Module):
    """Stages: stem, [1], [2], [3 + 4], [5] (the official grouping)."""

    def __init__(self, structure, a, out_indices=(2, 3, 4)):
        super().__init__()
        self.out_indices = out_indices
        s0 = structure[0]

        def blocks(e):
            n = e['L'] - 1 if e['s'] == 2 else e['L']
            return [ResConvBlock(e['in'] // 2 if e['s'] == 1 and j == 0 else e['out'] // 2,
                                 e['out'] // 2, e['btn'], e['k'], 1, a, e['class'].endswith('KXKX'))
                    for j in range(n)]

        self.csp_stage = nn.ModuleList([Focus(s0['in'], s0['out'], s0['k'], a)])
        for group, spp in (([1], False), ([2], False), ([3, 4], False), ([5], True)):
            es = [structure[g] for g in group]
            bl = [b for e in es for b in blocks(e)]
            self.csp_stage.append(CSPWrapper(es[0]['in'], es[-1]['out'], es[0]['out'] // 2, bl, spp))

    forward = TinyNASRes.forward

    @property
    def block_list(self):
        return self.csp_stage


class MobileV3Block(nn.Module):
    def __init__(self, cin, cout, ratio, s, a, se_slot):
        super().__init__()
        mid = make_divisible(math.ceil(cout * ratio))
        layers = [nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), act(a),
                  nn.Conv2d(mid, mid, 5, s, 2, groups=mid, bias=False), nn.BatchNorm2d(mid)]
        layers += [nn.Identity()] if se_slot else []
        layers += [act(a), nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_shortcut = s == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.use_shortcut else self.conv(x)


class TinyNASMob(nn.Module):
    def __init__(self, structure, a='silu', out_indices=(2, 4, 5)):
        super().__init__()
        self.out_indices = out_indices
        s0 = structure[0]
        self.block_list = nn.ModuleList([ConvKXBNRELU(3, s0['out'], s0['k'], 2, a)])
        for i, e in enumerate(structure[1:], start=1):
            ratio = 3.5 + (i - 1) * 0.5
            blocks = [MobileV3Block(e['in'] if j == 0 else e['out'], e['out'], ratio,
                                    e['s'] if j == 0 else 1, a, True) for j in range(e['L'])]
            spp = SPPBottleneck(e['out'], e['out']) if i == len(structure) - 1 else None
            self.block_list.append(Stage(blocks, spp))

    forward = TinyNASRes.forward


class DepthwiseConv(nn.Module):
    def __init__(self, cin, cout, k, s, a):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, k, s, (k - 1) // 2, groups=cin, bias=False)
        self.dwnorm = nn.BatchNorm2d(cin)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.pwnorm = nn.BatchNorm2d(cout)
        self.act = act(a)

    def forward(self, x):
        return self.act(self.pwnorm(self.pointwise(self.act(self.dwnorm(self.depthwise(x))))))


class BasicBlock3x3Reverse(nn.Module):
    def __init__(self, ch, ratio, a, depthwise):
        super().__init__()
        self.depthwise = depthwise
        if depthwise:
            self.conv = MobileV3Block(ch, ch, 3.0, 1, a, False)
        else:
            hidden = int(ch * ratio)
            self.conv1 = ConvBNAct(hidden, ch, 3, 1, a)
            self.conv2 = RepConv(ch, hidden, 1, a)

    def forward(self, x):
        return self.conv(x) if self.depthwise else x + self.conv1(self.conv2(x))


class CSPStage(nn.Module):
    def __init__(self, cin, ratio, cout, n, a, depthwise):
        super().__init__()
        first = cout // 2
        mid = cout - first
        self.conv1 = ConvBNAct(cin, first, 1, 1, a)
        self.conv2 = ConvBNAct(cin, mid, 1, 1, a)
        self.convs = nn.Sequential(*[BasicBlock3x3Reverse(mid, ratio, a, depthwise) for _ in range(n)])
        self.conv3 = ConvBNAct(mid * n + first, cout, 1, 1, a)

    def forward(self, x):
        outs = [self.conv1(x)]
        y = self.conv2(x)
        for c in self.convs:
            y = c(y)
            outs.append(y)
        return self.conv3(torch.cat(outs, 1))


class GiraffeNeckV2(nn.Module):
    def __init__(self, depth, ratio, cin, cout, a, depthwise=False):
        super().__init__()
        n = round(3 * depth)

        def conv(i, o):
            return DepthwiseConv(i, o, 3, 2, a) if depthwise else ConvBNAct(i, o, 3, 2, a)

        def stage(i, o):
            return CSPStage(i, ratio, o, n, a, depthwise)

        self.bu_conv13 = conv(cin[1], cin[1])
        self.merge_3 = stage(cin[1] + cin[2], cin[2])
        self.bu_conv24 = conv(cin[0], cin[0])
        self.merge_4 = stage(cin[0] + cin[1] + cin[2], cin[1])
        self.merge_5 = stage(cin[1] + cin[0], cout[0])
        self.bu_conv57 = conv(cout[0], cout[0])
        self.merge_7 = stage(cout[0] + cin[1], cout[1])
        self.bu_conv46 = conv(cin[1], cin[1])
        self.bu_conv76 = conv(cout[1], cout[1])
        self.merge_6 = stage(cin[1] + cout[1] + cin[2], cout[2])

    def forward(self, feats):
        x2, x1, x0 = feats
        up = lambda t: F.interpolate(t, scale_factor=2, mode='nearest')  # noqa: E731
        x3 = self.merge_3(torch.cat([x0, self.bu_conv13(x1)], 1))
        x4 = self.merge_4(torch.cat([x1, self.bu_conv24(x2), up(x3)], 1))
        x5 = self.merge_5(torch.cat([x2, up(x4)], 1))
        x7 = self.merge_7(torch.cat([x4, self.bu_conv57(x5)], 1))
        x6 = self.merge_6(torch.cat([x3, self.bu_conv46(x4), self.bu_conv76(x7)], 1))
        return x5, x7, x6


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        return x * self.scale


class Integral(nn.Module):
    def __init__(self, reg_max):
        super().__init__()
        self.reg_max = reg_max
        self.register_buffer('project', torch.linspace(0, reg_max, reg_max + 1))

    def forward(self, x):
        return F.softmax(x, -1) @ self.project


class ZeroHead(nn.Module):
    """Eval output: scores ``(N, P, C)`` and boxes ``(N, P, 4)`` before NMS."""

    def __init__(self, num_classes, cin, reg_max, k, strides=(8, 16, 32)):
        super().__init__()
        self.reg_max, self.strides = reg_max, strides
        self.gfl_cls = nn.ModuleList(nn.Conv2d(c, num_classes, k, padding=k // 2) for c in cin)
        self.gfl_reg = nn.ModuleList(nn.Conv2d(c, 4 * (reg_max + 1), k, padding=k // 2) for c in cin)
        self.scales = nn.ModuleList(Scale() for _ in cin)
        self.integral = Integral(reg_max)

    def forward(self, feats):
        scores, boxes = [], []
        for x, c, r, s, stride in zip(feats, self.gfl_cls, self.gfl_reg, self.scales, self.strides):
            n, _, h, w = x.shape
            scores.append(c(x).sigmoid().flatten(2).permute(0, 2, 1))
            dist = s(r(x)).reshape(n, 4, self.reg_max + 1, h * w).permute(0, 3, 1, 2)
            dist = self.integral(dist) * stride
            ys, xs = torch.meshgrid(torch.arange(h) * stride, torch.arange(w) * stride, indexing='ij')
            px, py = xs.flatten().float(), ys.flatten().float()
            boxes.append(torch.stack([px - dist[..., 0], py - dist[..., 1], px + dist[..., 2],
                                      py + dist[..., 3]], -1))
        return torch.cat(scores, 1), torch.cat(boxes, 1)


class Detector(nn.Module):
    def __init__(self, backbone, neck, head):
        super().__init__()
        self.backbone, self.neck, self.head = backbone, neck, head
        for m in self.modules():  # the official Detector.init_bn
            if isinstance(m, nn.BatchNorm2d):
                m.eps, m.momentum = 1e-3, 0.03

    def forward(self, x):
        return self.head(self.neck(self.backbone(x)))
