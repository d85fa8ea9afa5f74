# DAMO-YOLO-Nl (official configs/damoyolo_tinynasL20_Nl.py): Ns's recipe with the nano-large
# structure and mosaic scale (0.1, 2.0).
_base_ = ['./damoyolo_tinynas-nano-s_8xb32-300e_coco.py', '../_base_/tinynas/tinynas_nano_large.py']

mosaic_scale = (0.1, 2.0)
official_complexity = dict(params_m=5.69, gflops=6.04, input_shape=(416, 416))

model = dict(
    backbone=dict(structure={{_base_.tinynas_nano_large}}),
    neck=dict(in_channels=[80, 160, 320], out_channels=[80, 160, 320]),
    bbox_head=dict(in_channels=[80, 160, 320]))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='CachedMosaic', img_scale=(416, 416), pad_val=114.0),
    dict(
        type='RandomAffine',
        scaling_ratio_range=mosaic_scale,
        max_rotate_degree=10.0,
        max_translate_ratio=0.2,
        max_shear_degree=0.2,
        border=(-208, -208)),
    dict(type='CachedMixUp', img_scale=(416, 416), ratio_range=(0.5, 1.5), pad_val=114.0, prob=0.15),
    dict(type='RandomFlip', prob=0.5),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
