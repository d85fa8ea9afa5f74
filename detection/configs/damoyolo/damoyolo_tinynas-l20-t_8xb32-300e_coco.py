# DAMO-YOLO-T (official configs/damoyolo_tinynasL20_T.py): TinyNAS-res backbone, Efficient
# RepGFPN neck, ZeroHead, AlignedOTA; 300 epochs, batch 256 (8 GPUs x 32), COCO 2017.
# The other sizes and the distillation configs inherit from this file.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/coco_detection.py',
    '../_base_/tinynas/tinynas_l20_k1kx.py'
]

# ======================== Frequently modified parameters ========================
img_scale = (640, 640)  # (width, height) for training and testing
mosaic_size = (640, 640)  # official mosaic_size: tile, affine and mixup size (640 for every size)
num_classes = 80
max_epochs = 300
num_last_epochs = 16  # final epochs without mosaic/mixup/affine, at the minimum lr
warmup_epochs = 5  # quadratic warm-up
train_batch_size_per_gpu = 32
train_num_workers = 8
base_lr = 0.01 / 64 * 256  # official: 0.01 per 64 images, for the total batch of 256
min_lr_ratio = 0.05  # cosine decay ends at base_lr * min_lr_ratio
mosaic_scale = (0.1, 2.0)  # random scale of the mosaic, applied by the affine transform
affine_shear = 0.2  # degrees; T and the Nano models use 0.2, S/M/L 2.0
mixup_prob = 0.15
score_thr = 0.05  # evaluation: multi-class NMS score threshold ...
nms_iou = 0.7  # ... and IoU threshold
# Params (M) and GFLOPs of the re-parameterised model as reported by the official README,
# checked by `python -m detection.complexity`.
official_complexity = dict(params_m=8.5, gflops=18.1, input_shape=(640, 640))

norm_cfg = dict(type='BN', momentum=0.03, eps=0.001)  # official init_bn: eps 1e-3, momentum 0.03

# ==================================== Model ====================================
model = dict(
    type='SingleStageDetector',
    # RGB input in 0..255, no mean/std normalisation (official: mean 0, std 1).
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[0., 0., 0.],
        std=[1., 1., 1.],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='TinyNASRes',
        structure={{_base_.tinynas_l20_k1kx}},
        out_indices=(2, 4, 5),
        use_focus=True,
        with_spp=True,
        reparam=True,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        spp_act_cfg=dict(type='SiLU')),
    neck=dict(
        type='RepGFPN',
        in_channels=[96, 192, 384],
        out_channels=[64, 128, 256],
        depth=1.0,
        hidden_ratio=1.0,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU')),
    bbox_head=dict(
        type='ZeroHead',
        num_classes=num_classes,
        in_channels=[64, 128, 256],
        reg_max=16,
        kernel_size=3,
        prior_generator=dict(type='MlvlPointGenerator', offset=0, strides=[8, 16, 32]),
        bbox_coder=dict(type='DistancePointBBoxCoder'),
        loss_cls=dict(
            type='QualityFocalLoss', use_sigmoid=True, activated=True, beta=2.0, loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
        loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25)),
    train_cfg=dict(
        assigner=dict(
            type='AlignedOTAAssigner',
            center_radius=2.5,
            candidate_topk=10,
            iou_weight=3.0,
            cls_weight=1.0)),
    test_cfg=dict(
        nms_pre=100000,  # the official post-processing keeps every prior above score_thr
        score_thr=score_thr,
        nms=dict(type='nms', iou_threshold=nms_iou),
        max_per_img=500,
        # Official (damo/utils/boxes.py postprocess): boxes are neither clipped to the image
        # before NMS nor filtered by size. clip_border=True / min_bbox_size=0 give mmdet's usual.
        clip_border=False,
        min_bbox_size=-1))

# ================================= Data pipelines =================================
# The official MosaicWrapper (mosaic of 4 stretched tiles, affine about the centre, mixup with a
# letterboxed partner, boxes of area > 4 kept), then its transforms: resize, flip, SADA.
# DAMOAugmentScheduleHook ramps SADA up over the whole run and skips the DAMO* steps in the last
# `num_last_epochs` epochs, leaving load -> resize -> flip -> SADA (the official no-aug pipeline).
train_pipeline = [
    dict(type='DAMOMosaic', img_scale=mosaic_size),
    dict(
        type='DAMORandomAffine',
        img_scale=mosaic_size,
        scaling_ratio_range=mosaic_scale,
        max_rotate_degree=10.0,
        max_translate_ratio=0.2,
        max_shear_degree=affine_shear),
    dict(type='DAMOMixUp', img_scale=mosaic_size, ratio_range=(0.5, 1.5), prob=mixup_prob),
    dict(type='DAMOBoxAreaFilter', min_area=4.0),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='SADA'),
    # Official: boxes are clipped to the image and empty ones dropped; images stay without boxes.
    dict(type='FilterAnnotations', min_gt_bbox_wh=(0, 0), keep_empty=False),
    dict(type='PackDetInputs')
]

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

train_dataloader = dict(
    batch_size=train_batch_size_per_gpu,
    num_workers=train_num_workers,
    dataset=dict(
        _delete_=True,
        type='MultiImageMixDataset',  # partners for mosaic and mixup come from the whole set
        dataset=dict(
            type={{_base_.dataset_type}},
            data_root={{_base_.data_root}},
            metainfo={{_base_.metainfo}},
            ann_file='annotations/instances_train2017.json',
            data_prefix=dict(img='train2017/'),
            # Official: the training set keeps the images without boxes (damo/dataset/datasets/
            # coco.py filters none); they contribute background-only targets.
            filter_cfg=dict(filter_empty_gt=False, min_size=1),
            keep_small_boxes=True,  # official: boxes under 1 px are kept (mmdet's rule drops them)
            pipeline=[
                dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
                dict(type='LoadAnnotations', with_bbox=True)
            ]),
        pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# ============================ Optimiser and schedule ============================
# SGD with Nesterov momentum; no weight decay on norm layers and biases.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))

# Quadratic warm-up, cosine decay to base_lr * min_lr_ratio, then constant for the last epochs.
param_scheduler = [
    dict(
        type='DAMOQuadraticWarmupLR',  # official: lr = base * (iter / warm-up iters)^2
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=base_lr * min_lr_ratio,
        begin=warmup_epochs,
        T_max=max_epochs - num_last_epochs - warmup_epochs,
        end=max_epochs - num_last_epochs,
        by_epoch=True,
        convert_to_iter_based=True),
]

train_cfg = dict(
    type='EpochBasedTrainLoop',
    max_epochs=max_epochs,
    val_interval=10,
    dynamic_intervals=[(max_epochs - num_last_epochs, 1)])
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# Official: the trainer converts the whole model to SyncBatchNorm (damo/apis/detector_trainer.py);
# MMEngine does the same when the run is distributed (torchrun); single-process runs keep BN.
sync_bn = 'torch'

# EMA: decay 0.9998 * (1 - exp(-iter / 2000)) as in the official trainer.
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.0002,
        gamma=2000,
        update_buffers=True,
        priority=49),
    dict(type='DAMOAugmentScheduleHook', no_aug_epochs=num_last_epochs)
]

# `--auto-scale-lr` rescales base_lr when the total batch differs from 256.
auto_scale_lr = dict(enable=False, base_batch_size=256)
