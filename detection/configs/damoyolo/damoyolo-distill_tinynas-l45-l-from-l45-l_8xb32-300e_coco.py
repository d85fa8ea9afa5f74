# DAMO-YOLO-L distilled from itself (official README: "L is distilled by itself", L* 51.9 mAP;
# scripts/coco_distill.sh's trainer with an L teacher): the M-from-L distillation with the
# student swapped for L (L = M with the L45 structure and neck depth 2.0, as its own config).
# Set teacher_ckpt to a trained L checkpoint (or the converted official non-distilled L, 50.8).
_base_ = ['./damoyolo-distill_tinynas-l35-m-from-l45-l_8xb32-300e_coco.py',
          '../_base_/tinynas/tinynas_l45_kxkx.py']

model = dict(backbone=dict(structure={{_base_.tinynas_l45_kxkx}}), neck=dict(depth=2.0))
