# DAMO-YOLO-T's structure at half width and 128x128 input, trained on the embedded synthetic
# shapes dataset (160 training images, 300 iterations; about a minute on 2 idle CPU cores): what
# `python -m detection.demo` and the slow test run.
# Architecture, losses, assigner, EMA, SADA and schedule shapes are T's; the recipe is shortened:
# no mosaic/affine/mixup (too few epochs to profit), AdamW (the Nano recipe's optimiser) for
# speed; the last 2 epochs switch the (absent) mosaic/affine/mixup off while SADA ramps on to the end.
_base_ = './damoyolo_tinynas-l20-t_8xb32-300e_coco.py'

# The embedded synthetic COCO-format dataset (detection.datasets.make_synthetic_coco): coloured
# circles, squares and triangles on textured 128x128 backgrounds. `python -m detection.demo`
# generates it under <work-dir>/data and points data_root there (point_config_at).
data_root = 'data/synthetic_shapes/'
metainfo = dict(classes=('circle', 'square', 'triangle'))

img_scale = (128, 128)
num_classes = 3
max_epochs = 15
warmup_epochs = 2
num_last_epochs = 2
base_lr = 0.004
widen_factor = 0.5  # T's backbone widths x 0.5; neck and head channels follow
official_complexity = None

model = dict(
    backbone=dict(widen_factor=widen_factor),
    neck=dict(in_channels=[48, 96, 192], out_channels=[32, 64, 128]),
    bbox_head=dict(num_classes=num_classes, in_channels=[32, 64, 128]))

train_pipeline = [
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='SADA'),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(0, 0), keep_empty=False),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        dataset=dict(
            data_root=data_root,
            metainfo=metainfo,
            ann_file='annotations/instances_train.json',
            data_prefix=dict(img='train/')),
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
    optimizer=dict(_delete_=True, type='AdamW', lr=base_lr, weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
param_scheduler = [
    dict(
        type='DAMOQuadraticWarmupLR',
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=base_lr * 0.05,
        begin=warmup_epochs,
        T_max=max_epochs - warmup_epochs,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5, dynamic_intervals=None)
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0002,
        gamma=200,
        update_buffers=True,
        priority=49),
    dict(type='DAMOAugmentScheduleHook', no_aug_epochs=num_last_epochs)
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=5, save_best=None))
auto_scale_lr = dict(base_batch_size=8)
