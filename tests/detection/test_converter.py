"""Official checkpoints convert to this layout and give the official model's outputs."""
import pytest
import torch

from common.checkpoint import load_checkpoint, save_checkpoint
from detection import convert
from detection.converters import convert_official_state_dict, to_official_state_dict
from detection.converters.convert_state_dict import ConversionError
from detection.runtime import build_detector_from_config, load_config

from . import official_layout as off
from .conftest import CONFIG_DIR, CONFIG_M, CONFIG_NS, CONFIG_T, calibrate_bn

OFFICIAL_KEYS = {'class': 'block', 'in': 'in_channels', 'out': 'out_channels', 'btn': 'mid_channels',
                 'k': 'kernel_size', 's': 'stride', 'L': 'num_blocks'}


def official_structure(cfg):
    """The config's structure in the official key names."""
    back = {v: k for k, v in OFFICIAL_KEYS.items()}
    return [{back[k]: v for k, v in e.items()} for e in cfg.model.backbone.structure]


def official_model(config, widen=1.0):
    """The official-layout model of ``config`` (optionally with all widths scaled)."""
    cfg = load_config(config)
    structure = official_structure(cfg)
    if widen != 1.0:
        for e in structure:
            for key in ('out', 'btn') + (('in', ) if e['class'] != 'ConvKXBNRELU' else ()):
                if key in e:
                    e[key] = max(8, int(e[key] * widen) // 8 * 8)
    neck, head, bb = cfg.model.neck, cfg.model.bbox_head, cfg.model.backbone
    act = 'relu' if bb.act_cfg['type'] == 'ReLU' else 'silu'
    neck_act = 'relu' if neck.act_cfg['type'] == 'ReLU' else 'silu'
    backbone = {'TinyNASRes': off.TinyNASRes, 'TinyNASCSP': off.TinyNASCSP,
                'TinyNASMob': off.TinyNASMob}[bb.type](structure, act)
    with torch.no_grad():
        channels = [f.shape[1] for f in backbone(torch.zeros(1, 3, 64, 64))]
    out_ch = [int(c * o / i) for c, o, i in zip(channels, neck.out_channels, neck.in_channels)]
    model = off.Detector(backbone,
                         off.GiraffeNeckV2(neck.depth, neck.hidden_ratio, channels, out_ch, neck_act,
                                           neck.get('depthwise', False)),
                         off.ZeroHead(head.num_classes, out_ch, head.reg_max, head.kernel_size))
    return cfg, structure, channels, out_ch, model


def our_model(cfg, structure, channels, out_ch):
    cfg.model.backbone.structure = [{OFFICIAL_KEYS[k]: v for k, v in e.items()} for e in structure]
    cfg.model.neck.in_channels, cfg.model.neck.out_channels = channels, out_ch
    cfg.model.bbox_head.in_channels = out_ch
    return build_detector_from_config(cfg)


def randomise(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1)


@pytest.mark.parametrize('config', [CONFIG_T, CONFIG_M, CONFIG_NS], ids=['res-T', 'csp-M', 'mob-Ns'])
def test_converted_weights_reproduce_the_official_outputs(config):
    cfg, structure, channels, out_ch, official = official_model(config, widen=0.25)
    randomise(official, 0)
    calibrate_bn(official, torch.rand(4, 3, 64, 64) * 255)
    ours = our_model(cfg, structure, channels, out_ch)
    converted = convert_official_state_dict(official.state_dict(), ours)
    ours.load_state_dict(converted, strict=True)
    x = torch.rand(2, 3, 64, 64) * 255
    with torch.no_grad():
        ref_scores, ref_boxes = official(x)
        scores, boxes = ours.bbox_head.decode_all(*ours.bbox_head(ours.extract_feat(x)))
    assert ref_scores.std() > 0.01  # not saturated: the comparison is informative
    assert torch.allclose(scores, ref_scores, atol=1e-5)
    assert torch.allclose(boxes, ref_boxes, atol=1e-3)


@pytest.mark.parametrize('config', [CONFIG_T, CONFIG_M, CONFIG_NS], ids=['res-T', 'csp-M', 'mob-Ns'])
def test_full_size_official_layout_round_trips(config):
    cfg, structure, channels, out_ch, official = official_model(config)
    randomise(official, 1)
    state = official.state_dict()
    ours = our_model(cfg, structure, channels, out_ch)
    ours.load_state_dict(convert_official_state_dict({f'module.{k}': v for k, v in state.items()}, ours))
    back = to_official_state_dict(ours)
    assert back.keys() == state.keys()
    assert all(torch.equal(back[k], state[k]) for k in state)


# Keys of the real official models (tinyvision/damo-yolo at 319572e, built from its configs).
REAL_OFFICIAL_KEYS = {
    'res-T': ['backbone.block_list.0.conv.bn.bias', 'backbone.block_list.2.block_list.1.conv1.bn1.bias',
              'backbone.block_list.4.block_list.0.conv2.rbr_1x1.bn.bias', 'neck.bu_conv13.bn.bias',
              'neck.merge_3.convs.1.conv2.rbr_dense.bn.running_mean', 'neck.merge_7.conv1.bn.running_mean'],
    'csp-M': ['backbone.csp_stage.2.conv_start.conv.bn1.bias',
              'backbone.csp_stage.2.downsampler.conv.bn1.bias',
              'backbone.csp_stage.3.convstem.5.conv2.rbr_1x1.bn.bias',
              'neck.merge_6.convs.0.conv1.bn.running_mean'],
    'mob-Ns': ['backbone.block_list.0.conv.bn1.bias', 'backbone.block_list.3.block_list.0.conv.0.weight',
               'backbone.block_list.4.block_list.1.conv.3.weight', 'neck.bu_conv13.depthwise.weight',
               'neck.merge_4.convs.1.conv.conv.4.running_var', 'neck.merge_6.convs.0.conv.conv.0.weight'],
}


@pytest.mark.parametrize('config,name', [(CONFIG_T, 'res-T'), (CONFIG_M, 'csp-M'), (CONFIG_NS, 'mob-Ns')])
def test_key_map_produces_real_official_names(config, name):
    ours = build_detector_from_config(config)
    names = set(to_official_state_dict(ours))
    assert set(REAL_OFFICIAL_KEYS[name]) <= names


def test_mismatched_model_size_is_a_clear_error():
    state = to_official_state_dict(build_detector_from_config(CONFIG_T))
    with pytest.raises(ConversionError, match='model size'):
        convert_official_state_dict(state, build_detector_from_config(CONFIG_NS))


def test_convert_cli_writes_a_loadable_checkpoint(tmp_path):
    source = build_detector_from_config(CONFIG_T)
    randomise(source, 2)
    save_checkpoint(tmp_path / 'official.pth', {'model': to_official_state_dict(source), 'epoch': 300})
    out = convert.main([str(CONFIG_T), str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth')])
    loaded = load_checkpoint(out)['state_dict']
    for k, v in source.state_dict().items():
        assert torch.equal(loaded[k], v)


def official_trainer_save(path, model, ema_model, optimizer, epoch, feature_loss=None, ddp=False):
    """damo/apis/detector_trainer.py save_ckpt + damo/utils/checkpoint.py save_checkpoint, restated:
    the EMA copy's weights under 'model' (the DDP module's when EMA is off), the optimizer state,
    the distillation projections' state or None."""
    saved = ema_model if ema_model is not None else model
    state = saved.state_dict()
    if ddp:  # a save of the DDP wrapper itself (official eval strips 'module')
        state = {f'module.{k}': v for k, v in state.items()}
    torch.save({'epoch': epoch + 1, 'model': state, 'optimizer': optimizer.state_dict(),
                'feature_loss': feature_loss.state_dict() if feature_loss is not None else None}, path)


@pytest.mark.parametrize('distill,ddp', [(False, False), (True, True)], ids=['plain', 'distill-ddp'])
def test_official_trainer_saves_convert_to_the_ema_models_outputs(tmp_path, capsys, distill, ddp):
    import copy
    cfg, structure, channels, out_ch, official = official_model(CONFIG_T, widen=0.25)
    randomise(official, 3)
    calibrate_bn(official, torch.rand(4, 3, 64, 64) * 255)
    ema = copy.deepcopy(official)
    randomise(ema.head, 4)  # the EMA copy differs from the live model: its weights must be taken
    optimizer = torch.optim.SGD(official.parameters(), lr=0.01, momentum=0.9)
    official(torch.rand(1, 3, 64, 64))[0].sum().backward()
    optimizer.step()  # momentum buffers in the optimizer state
    projections = torch.nn.ModuleList(torch.nn.Conv2d(c, 2 * c, 1) for c in out_ch) if distill else None
    official_trainer_save(tmp_path / 'latest_ckpt.pth', official, ema, optimizer, 299, projections, ddp)

    our_model(cfg, structure, channels, out_ch)  # sets the reduced widths in cfg
    cfg.dump(str(tmp_path / 'config.py'))
    out = convert.main([str(tmp_path / 'config.py'), str(tmp_path / 'latest_ckpt.pth'),
                        str(tmp_path / 'ours.pth')])
    printed = capsys.readouterr().out
    assert 'ignored training state: epoch, feature_loss, optimizer' in printed
    assert ('module.' in printed) == ddp
    ours = build_detector_from_config(str(tmp_path / 'config.py'), checkpoint=str(out))
    x = torch.rand(2, 3, 64, 64) * 255
    with torch.no_grad():
        ref_scores, ref_boxes = ema.eval()(x)
        scores, boxes = ours.bbox_head.decode_all(*ours.bbox_head(ours.extract_feat(x)))
    assert torch.allclose(scores, ref_scores, atol=1e-5) and torch.allclose(boxes, ref_boxes, atol=1e-3)


def test_legacy_head_with_an_extra_class_channel_converts_to_the_first_classes():
    # Early releases (official legacy=True) predict num_classes + 1 channels and drop the last.
    ours = build_detector_from_config(CONFIG_T)
    state = to_official_state_dict(ours)
    legacy = dict(state)
    for key in [k for k in state if k.startswith('head.gfl_cls.')]:
        extra = torch.full((1, *state[key].shape[1:]), 7.0)
        legacy[key] = torch.cat([state[key], extra])
    notes = []
    converted = convert_official_state_dict(legacy, ours, notes)
    assert notes == ['dropped the extra (background / legacy) class channel of 6 classifier '
                     'tensors, as the official inference does']
    assert all(torch.equal(converted[k], v) for k, v in ours.state_dict().items())


def test_deploy_form_and_non_checkpoints_are_refused(tmp_path):
    state = to_official_state_dict(build_detector_from_config(CONFIG_T))
    state['neck.merge_3.convs.0.conv2.rbr_reparam.weight'] = torch.zeros(1)
    torch.save({'model': state}, tmp_path / 'deploy.pth')
    with pytest.raises(SystemExit, match='deploy.pth: a re-parameterised'):
        convert.main([str(CONFIG_T), str(tmp_path / 'deploy.pth'), str(tmp_path / 'out.pth')])
    torch.save({'model': {'epoch': 3}}, tmp_path / 'odd.pth')
    with pytest.raises(SystemExit, match='expected a state dict'):
        convert.main([str(CONFIG_T), str(tmp_path / 'odd.pth'), str(tmp_path / 'out.pth')])
    assert not (tmp_path / 'out.pth').exists()


# GiraffeDet (damo-cv/GiraffeDet, MMDetection 2): keys of the official D7 built from its
# configs/giraffeDet/giraffe_d7_scratch_6x.py (Space2DepthChain + GiraffeNeck: 532 tensors;
# GFocalHead as in its gfocal_head.py, with 81 classifier channels).
GIRAFFE_D7 = CONFIG_DIR / 'giraffedet' / 'giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'


REAL_GIRAFFEDET_KEYS = [
    'backbone.conv1.conv.weight', 'backbone.conv2.bn.running_var', 'backbone.focus_8x.conv.conv.weight',
    'backbone.focus_128x.conv.bn.num_batches_tracked',
    'neck.cell.giraffeNeck.fnode.0.after_combine.conv1x1.weight',
    'neck.cell.giraffeNeck.fnode.69.after_combine.conv.conv.weight',
    'neck.cell.giraffeNeck.fnode.69.after_combine.conv.bn.running_mean',
    'bbox_head.cls_convs.1.gn.weight', 'bbox_head.reg_convs.0.conv.weight', 'bbox_head.gfl_cls.bias',
    'bbox_head.gfl_reg.weight', 'bbox_head.scales.4.scale', 'bbox_head.reg_conf.0.weight',
    'bbox_head.reg_conf.2.bias', 'bbox_head.integral.project']


def test_giraffedet_official_layout_round_trips_and_has_the_real_names():
    ours = build_detector_from_config(GIRAFFE_D7)
    randomise(ours, 5)
    official = to_official_state_dict(ours)
    assert set(REAL_GIRAFFEDET_KEYS) <= set(official)
    assert sum(not k.startswith('bbox_head') for k in official) == 532
    assert not any(k.endswith('conv1x1.bias') for k in official)  # timm create_conv2d: no bias
    back = convert_official_state_dict(official, ours)
    assert all(torch.equal(back[k], v) for k, v in ours.state_dict().items())


def test_giraffedet_mmdet2_checkpoint_with_81_class_channels_converts(tmp_path, capsys):
    ours = build_detector_from_config(GIRAFFE_D7)
    randomise(ours, 6)
    official = to_official_state_dict(ours)
    for key in ('bbox_head.gfl_cls.weight', 'bbox_head.gfl_cls.bias'):  # + the background channel
        official[key] = torch.cat([official[key], torch.full_like(official[key][:1], -9.0)])
    torch.save({'meta': {'epoch': 73}, 'state_dict': official, 'optimizer': {'state': {}}},
               tmp_path / 'giraffe_d7.pth')
    out = convert.main([str(GIRAFFE_D7), str(tmp_path / 'giraffe_d7.pth'), str(tmp_path / 'ours.pth')])
    printed = capsys.readouterr().out
    assert 'ignored training state: meta, optimizer' in printed
    assert 'dropped the extra (background / legacy) class channel of 2' in printed
    loaded = load_checkpoint(out)['state_dict']
    assert all(torch.equal(loaded[k], v) for k, v in ours.state_dict().items())
