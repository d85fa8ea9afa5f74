# DAMO-YOLO-S (official configs/damoyolo_tinynasL25_S.py): T's recipe with the L25 structure,
# a wider neck (hidden ratio 0.75) and affine shear 2.0.
_base_ = ['./damoyolo_tinynas-l20-t_8xb32-300e_coco.py', '../_base_/tinynas/tinynas_l25_k1kx.py']

affine_shear = 2.0
official_complexity = dict(params_m=16.3, gflops=37.8, input_shape=(640, 640))

model = dict(
    backbone=dict(structure={{_base_.tinynas_l25_k1kx}}),
    neck=dict(in_channels=[128, 256, 512], out_channels=[128, 256, 512], hidden_ratio=0.75),
    bbox_head=dict(in_channels=[128, 256, 512]))

train_pipeline = [
    dict(type='DAMOMosaic', img_scale={{_base_.mosaic_size}}),
    dict(
        type='DAMORandomAffine',
        img_scale={{_base_.mosaic_size}},
        scaling_ratio_range={{_base_.mosaic_scale}},
        max_rotate_degree=10.0,
        max_translate_ratio=0.2,
        max_shear_degree=affine_shear),
    dict(type='DAMOMixUp', img_scale={{_base_.mosaic_size}}, ratio_range=(0.5, 1.5), prob={{_base_.mixup_prob}}),
    dict(type='DAMOBoxAreaFilter', min_area=4.0),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='SADA'),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(0, 0), keep_empty=False),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
