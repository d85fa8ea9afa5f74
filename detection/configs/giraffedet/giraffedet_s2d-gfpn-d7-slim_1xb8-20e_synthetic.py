# GiraffeDet-D7's graph (13 GFPN columns over P3-P7) at reduced width, trained on the embedded
# synthetic shapes dataset at 128x128 on the CPU (160 training images, 400 iterations; about two
# minutes on one busy CPU core, mAP@0.5 0.99): what the slow test and
# `python -m detection.demo --config <this file>` run.
# Architecture, losses, ATSS and the shape of the schedule (linear warm-up, step decay) are
# D7's; widths are cut (S2D chain 16/32 -> 32..128, GFPN nodes 48, outputs and head 64) and the
# recipe is shortened: fixed-size input, no multi-scale, AdamW for speed.
_base_ = './giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'

# The embedded synthetic COCO-format dataset (detection.datasets.make_synthetic_coco): coloured
# circles, squares and triangles on textured 128x128 backgrounds. The demo generates it under
# <work-dir>/data and points data_root there (point_config_at).
data_root = 'data/synthetic_shapes/'
metainfo = dict(classes=('circle', 'square', 'triangle'))

img_scale = (128, 128)
num_classes = 3
max_epochs = 20
lr_steps = [16, 19]
warmup_iters = 60
base_lr = 0.002
backbone_channels = (32, 64, 128, 128, 128)
inner_channels = 48
out_channels = 64
official_complexity = None

model = dict(
    backbone=dict(stem_channels=(16, 32), out_channels=backbone_channels),
    neck=dict(in_channels=list(backbone_channels), inner_channels=inner_channels,
              out_channels=out_channels),
    bbox_head=dict(
        num_classes=num_classes,
        in_channels=out_channels,
        feat_channels=out_channels,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(_delete_=True, type='AdamW', lr=base_lr, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warmup_iters),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=lr_steps,
        gamma=0.1)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=5, save_best=None))
auto_scale_lr = dict(base_batch_size=8)
