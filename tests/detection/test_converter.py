"""Official checkpoints convert to this layout and give the official model's outputs."""
import pytest
import torch

from common.checkpoint import load_checkpoint, save_checkpoint
from detection import convert
from detection.converters import convert_official_state_dict, to_official_state_dict
from detection.converters.convert_state_dict import ConversionError
from detection.runtime import build_detector_from_config, load_config

from . import official_layout as off
from .conftest import CONFIG_M, CONFIG_NS, CONFIG_T, calibrate_bn

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
