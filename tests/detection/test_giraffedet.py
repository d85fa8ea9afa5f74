"""GiraffeDet: S2D chain, GFPN graph rules and neck, DGQP, GFocalV2 head, detector, ONNX."""
import json
import math

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS

from detection import complexity
from detection.deployment import DeployModel, export_onnx
from detection.models import GFPN, GFLV2Head, SpaceToDepthChain, reparameterize
from detection.models.layers import (DistributionGuidedQualityPredictor, GFPNFusionNode,
                                     depth_to_space, space_to_depth)
from detection.models.necks import format_graph, gfpn_graph
from detection.runtime import build_detector_from_config, load_config

from .conftest import CONFIG_DIR, calibrate_bn
from .test_models import samples

GIRAFFE = CONFIG_DIR / 'giraffedet'
D7 = GIRAFFE / 'giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'
D11 = GIRAFFE / 'giraffedet_s2d-gfpn-d11_8xb2-73e_coco.py'
D29 = GIRAFFE / 'giraffedet_s2d-gfpn-d29_8xb2-73e_coco.py'
SLIM_D7 = GIRAFFE / 'giraffedet_s2d-gfpn-d7-slim_1xb8-20e_synthetic.py'
SIZES = (7, 11, 14, 16, 25, 29)


# ------------------------------------------------------------------------------ S2D chain
def test_space_to_depth_is_a_lossless_rearrangement():
    x = torch.randn(2, 3, 8, 12)
    y = space_to_depth(x, 2)
    assert y.shape == (2, 12, 4, 6)
    assert torch.equal(depth_to_space(y, 2), x)
    # Channel c * 4 + i * 2 + j holds pixel (2y + i, 2x + j): the official F.unfold order.
    assert torch.equal(y[:, 1 * 4 + 1 * 2 + 0], x[:, 1, 1::2, 0::2])
    assert torch.equal(y, F.unfold(x, 2, stride=2).view(2, 12, 4, 6))
    assert torch.equal(torch.sort(y.flatten()).values, torch.sort(x.flatten()).values)
    with pytest.raises(ValueError, match='not divisible'):
        space_to_depth(torch.zeros(1, 1, 5, 4))


def test_s2d_chain_gives_p3_to_p7_and_needs_sides_divisible_by_128():
    assert SpaceToDepthChain().out_channels == [128, 256, 512, 1024, 2048]  # official widths
    chain = SpaceToDepthChain(stem_channels=(8, 16), out_channels=(16, 24, 32, 40, 48)).eval()
    with torch.no_grad():
        outs = chain(torch.rand(1, 3, 128, 256))
    assert [tuple(o.shape[1:]) for o in outs] == [(16, 16, 32), (24, 8, 16), (32, 4, 8),
                                                 (40, 2, 4), (48, 1, 2)]
    # Each block is space-to-depth followed by a 1x1 conv (no spatial mixing).
    assert all(b.conv.conv.kernel_size == (1, 1) for b in chain.blocks)
    with pytest.raises(ValueError, match='pad_size_divisor=128'):
        chain(torch.rand(1, 3, 128, 192))


# ------------------------------------------------------------------------------ GFPN graph
def expected_inputs(column, level, num_columns, num_levels):
    """The rules, restated as sets of (column, level) pairs (column -1: backbone)."""
    top_down = column % 2 == 0
    first = level == (num_levels - 1 if top_down else 0)
    same_level = {(-1, level)} if column == 0 else {
        (column - 2 ** k, level) for k in range(int(math.log2(column)) + 1)}
    previous = {(column - 1, level)} if first else {(column, level + 1 if top_down else level - 1)}
    diagonals = {(column - 1, lv) for lv in (level - 1, level + 1) if 0 <= lv < num_levels}
    return same_level | previous | diagonals


@pytest.mark.parametrize('depth', [1, 2, 7, 11, 29])
@pytest.mark.parametrize('num_levels', [3, 5])
def test_every_node_follows_queen_fusion_and_log2n(depth, num_levels):
    num_columns = 2 * depth - 1
    nodes = gfpn_graph(num_columns, num_levels)
    assert [n.index for n in nodes] == list(range(len(nodes)))
    position = {n.index: (n.column, n.level) for n in nodes}
    fusion = [n for n in nodes if n.kind == 'fusion']
    # No node missing, none twice: one fusion node per (column, level), one output per level.
    assert sorted((n.column, n.level) for n in fusion) == [
        (c, lv) for c in range(num_columns) for lv in range(num_levels)]
    assert [n.level for n in nodes if n.kind == 'output'] == list(range(num_levels))
    for node in fusion:
        got = [position[i] for i in node.inputs]
        assert len(got) == len(set(got))
        assert set(got) == expected_inputs(node.column, node.level, num_columns, num_levels)
        assert all(i < node.index for i in node.inputs)  # computable in index order
        assert all(abs(lv - node.level) <= 1 for _, lv in got)
        skips = [c for c, lv in got if lv == node.level and c < node.column]
        assert len(skips) <= (math.log2(node.column) + 1 if node.column else 1)
    # Columns alternate: even columns run top-down (coarsest level first), odd bottom-up.
    for column in range(num_columns):
        order = [n.level for n in fusion if n.column == column]
        assert order == sorted(order, reverse=column % 2 == 0)
    for out in (n for n in nodes if n.kind == 'output'):
        assert [position[i] for i in out.inputs] == [(num_columns - 1, out.level)]


def test_graph_uses_the_official_numbering_and_input_order():
    # Input lists of GiraffeDet-D7 (13 columns, P3-P7) from the official giraffeneck_config.
    nodes = gfpn_graph(13, 5)
    official = {5: [4, 3], 6: [3, 5, 4, 2], 10: [9, 8], 16: [6, 13, 15, 14, 12],
                25: [5, 15, 24, 23], 67: [27, 47, 57, 62, 66, 63, 61], 70: [69], 74: [65]}
    assert {i: list(nodes[i].inputs) for i in official} == official
    assert len(nodes) == 75


def test_graph_is_printed_with_each_input_and_its_rule():
    rows = format_graph(gfpn_graph(13, 5))
    assert len(rows) == 13 * 5 + 5
    c2_p6 = next(r for r in rows if r['node'] == 'c2/P6')
    assert c2_p6['direction'] == 'top-down'
    assert c2_p6['inputs'] == ('c0/P6 (log2n c-2), c1/P6 (log2n c-1), c2/P7 (previous), '
                               'c1/P7 (backslash), c1/P5 (slash)')
    assert rows[-1] == {'node': 'out/P7', 'index': 74, 'direction': 'output',
                        'inputs': 'c12/P7 (last column)'}


# ------------------------------------------------------------------------------ GFPN neck
def small_neck(**kwargs):
    return GFPN(in_channels=[8, 12, 16, 20, 24], inner_channels=8, out_channels=16, **kwargs)


def test_gfpn_neck_shapes_and_node_count():
    neck = small_neck(depth=3).eval()
    assert len(neck.nodes) == 5 * 5 + 5
    feats = [torch.rand(2, c, 32 // 2 ** i, 64 // 2 ** i) for i, c in enumerate([8, 12, 16, 20, 24])]
    with torch.no_grad():
        outs = neck(feats)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32 // 2 ** i, 64 // 2 ** i) for i in range(5)]
    # The official widths: 179-wide nodes whose 1x1 conv sees the concatenated inputs.
    full = GFPN([128, 256, 512, 1024, 2048], depth=7)
    assert full.nodes[1].conv1x1.in_channels == 1024 + 179 + 2048 + 512  # c0/P6
    assert full.nodes[-1].conv1x1.out_channels == 256
    with pytest.raises(ValueError, match='halve exactly'):
        neck([f[..., :-1] if i == 0 else f for i, f in enumerate(feats)])


def test_upsample_mode_selects_the_papers_bilinear_variant():
    torch.manual_seed(0)
    nearest = small_neck(depth=2).eval()
    bilinear = small_neck(depth=2, upsample_mode='bilinear').eval()
    bilinear.load_state_dict(nearest.state_dict())
    feats = [torch.rand(1, c, 16 // 2 ** i, 16 // 2 ** i) for i, c in enumerate([8, 12, 16, 20, 24])]
    with torch.no_grad():
        assert not torch.allclose(nearest(feats)[0], bilinear(feats)[0])
    with pytest.raises(ValueError, match='bilinear'):
        small_neck(upsample_mode='bicubic')


def test_fusion_node_resamples_inputs_to_its_level():
    node = GFPNFusionNode([2, 3, 4], [-1, 0, 1], 5).eval()
    with torch.no_grad():
        out = node([torch.rand(1, 2, 8, 8), torch.rand(1, 3, 4, 4), torch.rand(1, 4, 2, 2)])
    assert out.shape == (1, 5, 4, 4)
    # Official after_combine: timm create_conv2d 1x1 (no bias by default), 3x3 without bias.
    assert node.conv1x1.in_channels == 9 and node.conv1x1.bias is None
    assert node.conv3x3.bias is None


# ------------------------------------------------------------------------------ DGQP and head
def test_dgqp_shape_statistics_and_gradient_flow():
    dgqp = DistributionGuidedQualityPredictor(reg_max=16, topk=4, hidden_channels=64)
    logits = torch.randn(2, 4 * 17, 5, 6, requires_grad=True)
    quality = dgqp(logits)
    assert quality.shape == (2, 1, 5, 6)
    assert ((quality > 0) & (quality < 1)).all()
    stats = dgqp.statistics(logits)
    assert stats.shape == (2, 4 * 5, 5, 6)
    per_side = stats.reshape(2, 4, 5, 5, 6)
    assert (per_side[:, :, :3] >= per_side[:, :, 1:4]).all()  # top-k in descending order
    assert torch.allclose(per_side[:, :, 4], per_side[:, :, :4].mean(2))
    # A one-peaked distribution has top-1 ~ 1, a flat one 1 / 17.
    sharp = torch.zeros(1, 68, 1, 1)
    sharp[:, ::17] = 50.0
    assert dgqp.statistics(sharp)[0, 0].item() == pytest.approx(1.0)
    assert dgqp.statistics(torch.zeros(1, 68, 1, 1))[0, 0].item() == pytest.approx(1 / 17)
    quality.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in dgqp.parameters())


def small_head():
    return GFLV2Head(num_classes=3, in_channels=16, feat_channels=16, stacked_convs=2,
                     norm_cfg=dict(type='GN', num_groups=4),
                     train_cfg=dict(assigner=dict(type='ATSSAssigner', topk=9), allowed_border=-1,
                                    pos_weight=-1, debug=False),
                     test_cfg=dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                                   nms=dict(type='nms', iou_threshold=0.6), max_per_img=100))


def test_head_scores_are_class_probability_times_quality():
    torch.manual_seed(0)
    head = small_head()
    head.init_weights()
    feats = [torch.rand(2, 16, 16 // 2 ** i, 16 // 2 ** i) for i in range(5)]
    cls_scores, bbox_preds = head(feats)
    assert [tuple(c.shape) for c in cls_scores] == [(2, 3, 16 // 2 ** i, 16 // 2 ** i) for i in range(5)]
    assert all(b.shape[1] == 4 * 17 for b in bbox_preds)
    feat = feats[0]
    for conv in head.cls_convs:
        feat = conv(feat)
    cls_prob = head.gfl_cls(feat).sigmoid()
    quality = head.dgqp(bbox_preds[0])
    assert torch.allclose(cls_scores[0], cls_prob * quality)
    assert (cls_scores[0] < cls_prob).all()  # quality in (0, 1) lowers every score
    with pytest.raises(ValueError, match='activated=True'):
        GFLV2Head(3, 16, loss_cls=dict(type='QualityFocalLoss', use_sigmoid=True))


def test_head_loss_trains_the_quality_branch_through_qfl():
    torch.manual_seed(0)
    head = small_head()
    feats = [torch.rand(2, 16, 128 // 2 ** (i + 3), 128 // 2 ** (i + 3)) for i in range(5)]
    batch = samples(2, (128, 128), 3)
    losses = head.loss(feats, batch)
    total = sum(sum(v) for v in losses.values())
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_dfl'} and torch.isfinite(total)
    sum(losses['loss_cls']).backward()  # the classification loss alone
    assert head.dgqp.mlp[0].weight.grad.abs().sum() > 0
    assert head.gfl_reg.weight.grad.abs().sum() > 0  # through DGQP into the distributions


# ------------------------------------------------------------------------------ detector
def test_family_configs_exist_with_the_paper_depths():
    for depth in SIZES:
        cfg = load_config(GIRAFFE / f'giraffedet_s2d-gfpn-d{depth}_8xb2-73e_coco.py')
        assert cfg.model.neck.depth == depth and cfg.model.neck.upsample_mode == 'nearest'
        assert cfg.model.bbox_head.type == 'GFLV2Head'
        assert cfg.model.train_cfg.assigner == dict(type='ATSSAssigner', topk=9)
        text = (GIRAFFE / f'giraffedet_s2d-gfpn-d{depth}_8xb2-73e_coco.py').read_text()
        assert ('UNVERIFIED' in text) == (depth not in (7, 11))
    cfg = load_config(D7)
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4)
    assert cfg.train_cfg.max_epochs == 73 and cfg.param_scheduler[1].milestones == [66, 71]
    assert cfg.sync_bn == 'torch' and cfg.auto_scale_lr.base_batch_size == 16
    assert cfg.test_pipeline[1].scale == (1333, 800)
    # The paper's 6x schedule is one override away.
    paper = load_config(D7, {'train_cfg.max_epochs': 72, 'param_scheduler.1.end': 72,
                             'param_scheduler.1.milestones': [65, 71]})
    assert paper.train_cfg.max_epochs == 72 and paper.param_scheduler[1].milestones == [65, 71]


def test_forward_loss_and_predict_on_cpu():
    torch.manual_seed(0)
    model = build_detector_from_config(SLIM_D7).train()
    images = torch.rand(2, 3, 128, 128) * 255
    cls_scores, bbox_preds = model._forward(images)
    strides = (8, 16, 32, 64, 128)
    assert [tuple(c.shape) for c in cls_scores] == [(2, 3, 128 // s, 128 // s) for s in strides]
    losses = model.loss(images, samples(2, (128, 128), 3))
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss) and all(log_vars[k] > 0 for k in ('loss_cls', 'loss_bbox', 'loss_dfl'))
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert sum(g is not None and g.abs().sum() > 0 for g in grads) > 0.9 * len(grads)
    model.eval()
    with torch.no_grad():
        results = model.predict(images, samples(2, (128, 128), 3))
        scores, boxes = model.bbox_head.decode_all(*model._forward(images))
    assert scores.shape == (2, sum((128 // s) ** 2 for s in strides), 3)
    for r in results:
        pred = r.pred_instances
        assert 0 < len(pred.scores) <= 100 and (pred.scores >= 0.05).all()
        assert ((pred.bboxes >= 0) & (pred.bboxes <= 128)).all() and (pred.labels < 3).all()
    top = results[0].pred_instances.scores.max()
    assert top == pytest.approx(float(scores[0].max()), rel=1e-5)  # NMS keeps the best box


def test_onnxruntime_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    model = build_detector_from_config(SLIM_D7)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # non-trivial head outputs (the official init makes them near-constant)
        for name, p in model.bbox_head.named_parameters():
            if name.startswith(('gfl_', 'dgqp')):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
    calibrate_bn(model, (torch.rand(4, 3, 128, 128) * 255 - 120) / 60)
    reparameterize(model)
    deploy = DeployModel(model)
    assert deploy.normalize  # ImageNet mean/std are part of the exported graph
    report = export_onnx(deploy, tmp_path / 'giraffedet.onnx', (128, 128))
    assert report.max_score_diff < 1e-3
    assert report.max_box_diff < 1e-3 * 128


def test_gflops_of_d7_and_d11_within_3_percent_of_the_official_readme():
    # Every counted op scales exactly with the pixel count when each level's side halves evenly,
    # so 256x128 gives 1/30 of the README's 1280x768 count (the slow test counts at full size).
    for config, official in ((D7, 190.77), (D11, 272.07)):
        assert load_config(config).official_complexity['gflops'] == official
        small = complexity.count(config, (128, 256))['gflops']
        assert 30 * small == pytest.approx(official, rel=0.03)


@pytest.mark.slow
def test_complexity_table_at_1280x768_matches_the_readme_for_d7_and_d11(tmp_path):
    # The two sizes with an official GFLOPs entry, counted at full size (D29 alone takes ~26 s there;
    # the scaling test above checks that the count is proportional to the pixel count).
    rows = complexity.main([str(D7), str(D11), '--work-dir', str(tmp_path)])
    assert [r['input'] for r in rows] == ['768x1280'] * 2
    assert abs(rows[0]['gflops_diff_pct']) < 3 and abs(rows[1]['gflops_diff_pct']) < 3
    assert (tmp_path / 'tables' / 'complexity.md').is_file()


def test_all_six_sizes_build_with_parameters_growing_with_depth():
    configs = [GIRAFFE / f'giraffedet_s2d-gfpn-d{d}_8xb2-73e_coco.py' for d in SIZES]
    params = [sum(p.numel() for p in build_detector_from_config(c).parameters()) for c in configs]
    assert params == sorted(params) and len(set(params)) == len(SIZES)
    # the official README gives no parameter counts for GiraffeDet: none is claimed
    assert all(load_config(c).official_complexity.get('params_m') is None for c in configs)


def test_builds_from_the_registry_with_reduced_widths():
    cfg = load_config(D29)
    neck = MODELS.build(dict(cfg.model.neck, in_channels=[4, 4, 4, 4, 4], inner_channels=4,
                             out_channels=4))
    assert len(neck.nodes) == 5 * 57 + 5 and len(neck.graph) == 5 + 5 * 57 + 5


def test_draw_gfpn_prints_and_draws_the_graph(tmp_path):
    from detection import draw_gfpn
    rows = draw_gfpn.main(['--depth', '2', '--work-dir', str(tmp_path)])
    assert len(rows) == 3 * 5 + 5 and rows[0]['node'] == 'c0/P7'
    assert (tmp_path / 'figures' / 'gfpn_d2.png').stat().st_size > 10_000
    assert (tmp_path / 'tables' / 'gfpn_d2.md').read_text().count('(slash)') > 0
    assert len(draw_gfpn.main([str(D11), '--work-dir', str(tmp_path)])) == 21 * 5 + 5


def test_train_evaluate_and_export_entrypoints_run_giraffedet(tmp_path):
    from detection import evaluate, export, train
    from detection.datasets import make_synthetic_coco
    root = make_synthetic_coco(tmp_path / 'data', num_train=8, num_val=4)
    data = [f'{loader}.dataset.data_root={root}/' for loader in
            ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    data += [f'{e}.ann_file={root}/annotations/instances_val.json'
             for e in ('val_evaluator', 'test_evaluator')]
    data += [f'{loader}.{k}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
             for k in ('num_workers=0', 'persistent_workers=False')]
    runner = train.main([str(SLIM_D7), *data, 'train_cfg.max_epochs=1',
                         'default_hooks.checkpoint.interval=1', '--work-dir', str(tmp_path / 'run')])
    assert runner.epoch == 1
    # After one iteration every score is below 0.05 (0.01 prior x quality): keep them all.
    metrics = evaluate.main([str(SLIM_D7), str(tmp_path / 'run' / 'epoch_1.pth'), *data,
                             'model.test_cfg.score_thr=0.0', '--work-dir', str(tmp_path / 'eval')])
    table = json.loads((tmp_path / 'eval' / 'tables' / 'evaluation.json').read_text())
    assert {row['metric']: row['value'] for row in table} == {k: round(v, 4) for k, v in metrics.items()}
    row = export.main([str(SLIM_D7), str(tmp_path / 'run' / 'epoch_1.pth'),
                       '--work-dir', str(tmp_path / 'export')])
    # The S2D chain's divisor is 128: the dynamic graph also runs at 256x384.
    assert row['input (H, W)'] == '128x128 and 256x384' and row['onnxruntime max |d score|'] < 1e-3
