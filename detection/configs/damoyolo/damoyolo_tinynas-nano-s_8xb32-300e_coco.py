# DAMO-YOLO-Ns (official configs/damoyolo_tinynasL18_Ns.py): TinyNAS-mob backbone, depthwise
# RepGFPN (depth 0.5, hidden ratio 0.5), ZeroHead with reg_max 7 and 1x1 projections; 416x416;
# AdamW. Nm and Nl inherit from this file.
_base_ = ['./damoyolo_tinynas-l20-t_8xb32-300e_coco.py', '../_base_/tinynas/tinynas_nano_small.py']

# Train/test size 416; the mosaic canvas keeps T's mosaic_size 640 (the Nano configs leave the
# official default) and the pipeline resizes the result to 416.
img_scale = (416, 416)
base_lr = 0.004  # official: 0.001 per 64 images x 256 = AdamW lr 4e-3
min_lr_ratio = 0.05
warmup_epochs = 5
max_epochs = 300
num_last_epochs = 16
mosaic_scale = (0.75, 1.25)  # Ns only; Nm and Nl use (0.1, 2.0)
affine_shear = 0.2
score_thr = 0.03
nms_iou = 0.65
official_complexity = dict(params_m=1.41, gflops=1.56, input_shape=(416, 416))

model = dict(
    backbone=dict(
        _delete_=True,
        type='TinyNASMob',
        structure={{_base_.tinynas_nano_small}},
        out_indices=(2, 4, 5),
        use_focus=False,
        with_spp=True,
        expand_ratio=3.5,
        expand_ratio_step=0.5,
        dw_kernel_size=5,
        norm_cfg={{_base_.norm_cfg}},
        act_cfg=dict(type='SiLU'),
        spp_act_cfg=dict(type='SiLU')),
    neck=dict(
        in_channels=[40, 80, 160],
        out_channels=[40, 80, 160],
        depth=0.5,
        hidden_ratio=0.5,
        depthwise=True,
        act_cfg=dict(type='SiLU')),
    bbox_head=dict(in_channels=[40, 80, 160], reg_max=7, kernel_size=1),
    test_cfg=dict(score_thr=score_thr, nms=dict(iou_threshold=nms_iou)))

train_pipeline = [
    dict(type='DAMOMosaic', img_scale={{_base_.mosaic_size}}),
    dict(
        type='DAMORandomAffine',
        img_scale={{_base_.mosaic_size}},
        scaling_ratio_range=mosaic_scale,
        max_rotate_degree=10.0,
        max_translate_ratio=0.2,
        max_shear_degree=affine_shear),
    dict(type='DAMOMixUp', img_scale={{_base_.mosaic_size}}, ratio_range=(0.5, 1.5), prob={{_base_.mixup_prob}}),
    dict(type='DAMOBoxAreaFilter', min_area=4.0),
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# AdamW (weight decay 1e-2, none on norms and biases) with T's warm-up and cosine schedule.
optim_wrapper = dict(
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
        eta_min=base_lr * min_lr_ratio,
        begin=warmup_epochs,
        T_max=max_epochs - num_last_epochs - warmup_epochs,
        end=max_epochs - num_last_epochs,
        by_epoch=True,
        convert_to_iter_based=True),
]
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
