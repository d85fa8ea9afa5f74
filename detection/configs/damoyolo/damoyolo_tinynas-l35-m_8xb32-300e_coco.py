# DAMO-YOLO-M (official configs/damoyolo_tinynasL35_M.py): TinyNAS-CSP backbone (SiLU), neck depth
# 1.5 (round(4.5) = 4 blocks per fusion node) with SiLU, affine shear 2.0.
_base_ = ['./damoyolo_tinynas-l20-t_8xb32-300e_coco.py', '../_base_/tinynas/tinynas_l35_kxkx.py']

affine_shear = 2.0
official_complexity = dict(params_m=28.2, gflops=61.8, input_shape=(640, 640))

model = dict(
    backbone=dict(
        _delete_=True,
        type='TinyNASCSP',
        structure={{_base_.tinynas_l35_kxkx}},
        out_indices=(2, 3, 4),
        use_focus=True,
        with_spp=True,
        reparam=True,
        norm_cfg={{_base_.norm_cfg}},
        act_cfg=dict(type='SiLU'),
        csp_act_cfg=dict(type='ReLU'),  # official CSPWrapper default, not the backbone's act
        spp_act_cfg=dict(type='SiLU')),
    neck=dict(
        in_channels=[128, 256, 512],
        out_channels=[128, 256, 512],
        depth=1.5,
        hidden_ratio=1.0,
        act_cfg=dict(type='SiLU')),
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
