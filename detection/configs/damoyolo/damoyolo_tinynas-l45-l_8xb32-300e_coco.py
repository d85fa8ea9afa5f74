# DAMO-YOLO-L (official configs/damoyolo_tinynasL45_L.py): M with the L45 structure and neck
# depth 2.0 (6 blocks per fusion node).
_base_ = ['./damoyolo_tinynas-l35-m_8xb32-300e_coco.py', '../_base_/tinynas/tinynas_l45_kxkx.py']

official_complexity = dict(params_m=42.1, gflops=97.3, input_shape=(640, 640))

model = dict(backbone=dict(structure={{_base_.tinynas_l45_kxkx}}), neck=dict(depth=2.0))
