# GiraffeDet-D7 (official configs/giraffeDet/giraffe_d7_scratch_6x.py): S2D-chain backbone, GFPN
# neck with 2 x 7 - 1 = 13 columns, GFocalV2 head (DGQP), ATSS; trained from scratch with the
# "6x" schedule on 8 GPUs x 2 images, COCO 2017. The other sizes inherit from this file.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/coco_detection.py']

# ======================== Frequently modified parameters ========================
img_scale = (1333, 800)  # (width, height) of the test resize (keep ratio)
train_scales = [(1333, 480), (1333, 960)]  # multi-scale training: short side in [480, 960]
num_classes = 80
depth = 7  # GiraffeDet-D{depth}: the GFPN has 2 * depth - 1 columns
inner_channels = int(256 * 0.7)  # official fpn_channels 256 x width_multiplier 0.7 = 179
out_channels = 256  # official out_fpn_channels
# Official code: 73 epochs, lr x0.1 at epochs 66 and 71 (mmcv step=[66, 71], total_epochs=73).
# The paper's 6x: 72 epochs, decays at 65 and 71; select it with
#   train_cfg.max_epochs=72 param_scheduler.1.end=72 param_scheduler.1.milestones=[65,71]
max_epochs = 73
lr_steps = [66, 71]
warmup_iters = 7330  # official linear warm-up from 0.1 x lr
train_batch_size_per_gpu = 2
train_num_workers = 2
base_lr = 0.02  # for the total batch of 16 (8 GPUs x 2)
score_thr = 0.05
nms_iou = 0.6
# The official README's FLOPs at 1280x768 (no params given). It counts with mmcv's
# get_model_complexity_info, which reports multiply-accumulates as "FLOPs": flops_per_mac=1
# (DAMO-YOLO's table counts 2 per MAC). Checked by `python -m detection.complexity`.
official_complexity = dict(params_m=None, gflops=190.77, input_shape=(768, 1280), flops_per_mac=1)

# Official: SyncBN in the backbone and the neck (hard-coded). BN here; multi-GPU runs convert
# it to SyncBN through MMEngine's `sync_bn` below. The head uses GroupNorm.
norm_cfg = dict(type='BN')
act_cfg = dict(type='SiLU')

# ==================================== Model ====================================
model = dict(
    type='GFL',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=128),  # the S2D chain and GFPN need sides divisible by stride 128
    backbone=dict(
        type='SpaceToDepthChain',
        stem_channels=(32, 64),
        out_channels=(128, 256, 512, 1024, 2048),
        norm_cfg=norm_cfg,
        act_cfg=act_cfg),
    neck=dict(
        type='GFPN',
        in_channels=[128, 256, 512, 1024, 2048],
        inner_channels=inner_channels,
        out_channels=out_channels,
        depth=depth,
        # 'nearest' follows the official code (upsample_type='nearest'); the paper describes
        # bilinear upsampling: upsample_mode='bilinear' selects it.
        upsample_mode='nearest',
        norm_cfg=norm_cfg,
        act_cfg=act_cfg),
    bbox_head=dict(
        type='GFLV2Head',
        num_classes=num_classes,
        in_channels=out_channels,
        feat_channels=256,
        stacked_convs=2,
        reg_max=16,
        reg_topk=4,
        reg_channels=64,
        add_mean=True,
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        act_cfg=dict(type='ReLU'),
        anchor_generator=dict(
            type='AnchorGenerator',
            ratios=[1.0],
            octave_base_scale=8,
            scales_per_octave=1,
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(type='DistancePointBBoxCoder'),
        # Official: QualityFocalLoss(use_sigmoid=False), i.e. on probabilities; in mmdet 3.x
        # that is use_sigmoid=True with activated=True.
        loss_cls=dict(
            type='QualityFocalLoss', use_sigmoid=True, activated=True, beta=2.0, loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
        loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25)),
    train_cfg=dict(
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=score_thr,
        nms=dict(type='nms', iou_threshold=nms_iou),
        max_per_img=100))

# ================================= Data pipelines =================================
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=train_batch_size_per_gpu,
    num_workers=train_num_workers,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# ============================ Optimiser and schedule ============================
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=1e-4))
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
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# BN -> SyncBN when the run is distributed (torchrun); single-process runs keep BN.
sync_bn = 'torch'
# `--auto-scale-lr` rescales base_lr when the total batch differs from 16.
auto_scale_lr = dict(enable=False, base_batch_size=16)
