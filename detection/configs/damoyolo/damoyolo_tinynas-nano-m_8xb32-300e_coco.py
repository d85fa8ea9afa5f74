# DAMO-YOLO-Nm (official configs/damoyolo_tinynasL18_Nm.py): Ns's recipe with the nano-middle
# structure and mosaic scale (0.1, 2.0).
_base_ = ['./damoyolo_tinynas-nano-s_8xb32-300e_coco.py', '../_base_/tinynas/tinynas_nano_middle.py']

mosaic_scale = (0.1, 2.0)
official_complexity = dict(params_m=2.71, gflops=3.69, input_shape=(416, 416))

model = dict(
    backbone=dict(structure={{_base_.tinynas_nano_middle}}),
    neck=dict(in_channels=[64, 128, 256], out_channels=[64, 128, 256]),
    bbox_head=dict(in_channels=[64, 128, 256]))

train_pipeline = [
    dict(type='DAMOMosaic', img_scale={{_base_.mosaic_size}}),
    dict(
        type='DAMORandomAffine',
        img_scale={{_base_.mosaic_size}},
        scaling_ratio_range=mosaic_scale,
        max_rotate_degree=10.0,
        max_translate_ratio=0.2,
        max_shear_degree={{_base_.affine_shear}}),
    dict(type='DAMOMixUp', img_scale={{_base_.mosaic_size}}, ratio_range=(0.5, 1.5), prob={{_base_.mixup_prob}}),
    dict(type='DAMOBoxAreaFilter', min_area=4.0),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='SADA'),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(0, 0), keep_empty=False),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
