"""TinyNAS backbones, RepGFPN and ZeroHead: shapes, structure rules, loss and prediction on CPU."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from detection.models import TinyNASCSP, TinyNASMob, TinyNASRes
from detection.models.backbones.tinynas_structure import make_divisible, parse_structure
from detection.runtime import build_detector_from_config, load_config

from .conftest import CONFIG_M, CONFIG_NS, CONFIG_T, SLIM_T


def structure_of(config):
    return load_config(config).model.backbone.structure


def test_structure_validation_names_the_bad_entry():
    good = structure_of(CONFIG_T)
    with pytest.raises(ValueError, match='entry 2'):
        parse_structure(good[:2] + [dict(good[2], in_channels=65)] + good[3:])
    with pytest.raises(ValueError, match='unknown class'):
        parse_structure(good[:1] + [dict(good[1], block='SuperResConvK3K3')])
    with pytest.raises(ValueError, match='missing keys'):
        parse_structure(good[:1] + [{k: v for k, v in good[1].items() if k != 'num_blocks'}])
    assert make_divisible(24 * 3.5) == 88 and make_divisible(10) == 16  # 8 would lose > 10%


@pytest.mark.parametrize('cls,config,channels', [
    (TinyNASRes, CONFIG_T, [96, 192, 384]),
    (TinyNASCSP, CONFIG_M, [128, 256, 512]),
    (TinyNASMob, CONFIG_NS, [40, 80, 160]),
])
def test_backbones_give_strides_8_16_32_with_the_official_widths(cls, config, channels):
    kwargs = {k: v for k, v in load_config(config).model.backbone.items() if k != 'type'}
    full = cls(**kwargs)
    assert full.out_channels == channels
    small = cls(**dict(kwargs, widen_factor=0.25)).eval()
    with torch.no_grad():
        outs = small(torch.rand(1, 3, 64, 96))
    assert [o.shape[-2:] for o in outs] == [(8, 12), (4, 6), (2, 3)]
    assert [o.shape[1] for o in outs] == small.out_channels


def test_csp_backbone_merges_the_stride1_entry_into_the_previous_stage():
    backbone = TinyNASCSP(structure_of(CONFIG_M))
    assert len(backbone.layers) == 5  # stem + 4 stages from 6 entries
    # entry 3 (L=4, stride 2) contributes 3 blocks, entry 4 (L=4, stride 1) 4 blocks
    assert len(backbone.layers[3].blocks) == 7
    assert len(backbone.layers[1].blocks) == 1 and backbone.layers[4].spp is not None


def test_neck_depth_uses_python_rounding():
    neck = build_detector_from_config(CONFIG_M).neck
    assert len(neck.p3_out_fuse.blocks) == 4  # round(3 * 1.5) = round(4.5) = 4


def samples(n, size, num_classes):
    out = []
    for i in range(n):
        s = DetDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size,
                                        scale_factor=(1.0, 1.0), batch_input_shape=size))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor([[4.0 + i, 6.0, 40.0, 44.0], [30.0, 20.0, 60.0, 58.0]]),
            labels=torch.tensor([0, num_classes - 1]))
        out.append(s)
    return out


def small_model(config, widen):
    cfg = load_config(config)
    cfg.model.backbone.widen_factor = widen
    from mmdet.registry import MODELS
    channels = MODELS.build(cfg.model.backbone).out_channels
    out = [max(8, c // 2) for c in channels]
    cfg.model.neck.update(in_channels=channels, out_channels=out)
    cfg.model.bbox_head.update(in_channels=out, num_classes=3)
    return build_detector_from_config(cfg)


@pytest.mark.parametrize('config,widen', [(SLIM_T, 1.0), (CONFIG_M, 0.25), (CONFIG_NS, 0.5)],
                         ids=['T-slim', 'M-quarter', 'Ns-half'])
def test_forward_loss_and_predict(config, widen):
    torch.manual_seed(0)
    model = small_model(config, widen).train()
    images = torch.rand(2, 3, 64, 64) * 255
    cls_scores, bbox_preds = model._forward(images)
    reg_max = model.bbox_head.reg_max
    assert [tuple(c.shape) for c in cls_scores] == [(2, 3, 8, 8), (2, 3, 4, 4), (2, 3, 2, 2)]
    assert [b.shape[1] for b in bbox_preds] == [4 * (reg_max + 1)] * 3
    assert all(((c >= 0) & (c <= 1)).all() for c in cls_scores)  # sigmoid inside the head

    batch = samples(2, (64, 64), 3)
    losses = model.loss(images, batch)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_dfl'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert sum(g is not None and g.abs().sum() > 0 for g in grads) > 0.9 * len(grads)

    model.eval()
    with torch.no_grad():
        results = model.predict(images, samples(2, (64, 64), 3))
    for r in results:
        pred = r.pred_instances
        assert pred.bboxes.shape[1] == 4 and len(pred.scores) == len(pred.labels)
        assert (pred.scores >= model.bbox_head.test_cfg.score_thr).all()
        assert (pred.labels < 3).all()


def test_predictions_are_not_clipped_or_size_filtered_before_nms():
    # Official post-processing (damo/utils/boxes.py): decoded boxes go to NMS as they are.
    # One confident prior at (0, 0) of the stride-8 level, DFL distances left/top 16 bins
    # (x 8 = 128 px), right 2 bins (16 px), bottom 1 bin: box (-128, -128, 16, 8).
    model = build_detector_from_config(SLIM_T)
    head = model.bbox_head
    assert head.test_cfg.min_bbox_size < 0 and not head.test_cfg.clip_border
    sizes = [(16, 16), (8, 8), (4, 4)]
    cls = [torch.zeros(1, 3, h, w) for h, w in sizes]
    cls[0][0, 1, 0, 0] = 0.9  # the head's scores are probabilities
    reg = [torch.zeros(1, 4 * 17, h, w) for h, w in sizes]
    for side, bin_ in enumerate((16, 16, 2, 1)):
        reg[0][0, side * 17 + bin_, 0, 0] = 60.0  # softmax ~ one-hot
    meta = dict(img_shape=(128, 128), ori_shape=(128, 128), scale_factor=(1.0, 1.0))
    pred = head.predict_by_feat(cls, reg, [meta])[0]
    assert len(pred) == 1 and pred.labels.tolist() == [1]
    torch.testing.assert_close(pred.bboxes, torch.tensor([[-128.0, -128.0, 16.0, 8.0]]))
    clipped = head.predict_by_feat(cls, reg, [meta], cfg=ConfigDict(head.test_cfg, clip_border=True))[0]
    torch.testing.assert_close(clipped.bboxes, torch.tensor([[0.0, 0.0, 16.0, 8.0]]))


def test_images_without_objects_only_train_the_classifier():
    torch.manual_seed(0)
    model = build_detector_from_config(SLIM_T).train()
    empty = samples(1, (64, 64), 3)
    empty[0].gt_instances = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    losses = model.loss(torch.rand(1, 3, 64, 64) * 255, empty)
    assert losses['loss_cls'] > 0 and losses['loss_bbox'] == 0 and losses['loss_dfl'] == 0


def _conv_layers(module, skip=()):
    skipped = {id(m) for k in module.modules() if isinstance(k, skip) for m in k.modules()}
    return [m for m in module.modules() if isinstance(m, torch.nn.Conv2d) and id(m) not in skipped]


@pytest.mark.parametrize('config', [CONFIG_T, CONFIG_M, CONFIG_NS], ids=['T', 'M', 'Ns'])
def test_backbone_and_neck_keep_the_official_initialisation(config):
    # Official backbones (res, CSP) and neck build plain nn.Conv2d and leave them as PyTorch draws
    # them: Kaiming-uniform, a = sqrt(5), so |w| <= 1 / sqrt(fan_in). The Nano neck's depthwise
    # downsamplers (official DepthwiseConv) draw Kaiming-normal, std sqrt(2 / fan_out); the Nano
    # backbone draws N(0, 1 / C_in) in its own init_weights.
    from mmcv.cnn import DepthwiseSeparableConvModule
    from mmengine.logging import MMLogger
    model = build_detector_from_config(config)
    MMLogger.get_current_instance().setLevel('WARNING')  # init_weights logs every parameter
    model.init_weights()
    parts = [model.neck] if config == CONFIG_NS else [model.backbone, model.neck]
    for part in parts:
        for conv in _conv_layers(part, skip=(DepthwiseSeparableConvModule,)):
            assert conv.weight.abs().max() <= 1 / conv.weight[0].numel() ** 0.5 + 1e-7
    for block in (m for m in model.neck.modules() if isinstance(m, DepthwiseSeparableConvModule)):
        for conv in _conv_layers(block):
            fan_out = conv.weight.shape[0] * conv.weight[0, 0].numel()
            if conv.weight.numel() >= 2000:
                assert conv.weight.std().item() == pytest.approx((2 / fan_out) ** 0.5, rel=0.15)
    if config == CONFIG_NS:
        for conv in _conv_layers(model.backbone):
            if conv.weight.numel() >= 2000:
                assert conv.weight.std().item() == pytest.approx(1 / conv.weight.shape[1], rel=0.15)


def test_conv_init_kaiming_is_mmcvs_and_unknown_values_are_rejected():
    cfg = load_config(CONFIG_T)
    cfg.model.backbone.conv_init = 'kaiming'
    model = build_detector_from_config(cfg)
    over = [c for c in _conv_layers(model.backbone) if c.weight.abs().max() > 1 / c.weight[0].numel() ** 0.5]
    assert len(over) > len(_conv_layers(model.backbone)) // 2
    cfg.model.backbone.conv_init = 'xavier'
    with pytest.raises(ValueError, match="conv_init='xavier'"):
        build_detector_from_config(cfg)


def test_conv_init_keeps_pretrained_weights_and_runs_once(tmp_path):
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel('WARNING')
    source = build_detector_from_config(CONFIG_T).backbone
    torch.save({'state_dict': source.state_dict()}, tmp_path / 'backbone.pth')
    cfg = load_config(CONFIG_T)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'backbone.pth'))
    model = build_detector_from_config(cfg)
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    plain = build_detector_from_config(CONFIG_T)
    plain.init_weights()
    first = {k: v.clone() for k, v in plain.backbone.state_dict().items()}
    plain.backbone.init_weights()  # a second call is a no-op (MMEngine's _is_init guard)
    assert all(torch.equal(plain.backbone.state_dict()[k], v) for k, v in first.items())


@pytest.mark.parametrize('config', [SLIM_T, 'giraffedet'], ids=['ZeroHead', 'GFLV2Head'])
def test_losses_are_computed_in_float32_under_mixed_precision(config):
    # detection.train --amp runs the model under autocast; CUDA autocast refuses QFL's
    # binary_cross_entropy and float16 boxes overflow in GIoU, so the heads compute their losses
    # in float32. Checked with CPU autocast (bfloat16): the losses of half-precision head outputs
    # equal the float32 losses of the same values, bit for bit.
    from .test_giraffedet import SLIM_D7
    torch.manual_seed(0)
    model = (build_detector_from_config(SLIM_D7) if config == 'giraffedet' else small_model(SLIM_T, 1.0)).train()
    size = (128, 128) if config == 'giraffedet' else (64, 64)
    batch = samples(2, size, 3)
    with torch.no_grad():
        outputs = [[t.bfloat16() for t in level] for level in model._forward(torch.rand(2, 3, *size) * 255)]
    head = model.bbox_head
    instances, metas = [s.gt_instances for s in batch], [s.metainfo for s in batch]
    reference = head.loss_by_feat(*[[t.float() for t in level] for level in outputs], instances, metas)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = head.loss_by_feat(*outputs, instances, metas)
    for name, value in reference.items():
        values = value if isinstance(value, list) else [value]
        assert [v.dtype for v in values] == [torch.float32] * len(values)
        assert [float(v) for v in (mixed[name] if isinstance(value, list) else [mixed[name]])] == \
            [float(v) for v in values], name
