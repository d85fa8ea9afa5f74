# DMT stage 1, ResNet101-IBN-a with a random resized crop (INPUT.RESIZECROP, scale 0.75-1) instead of
# pad + random crop (official configs/stage1/101a_384_recrop.yml).
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
input = dict(resized_crop_scale=[0.75, 1.0])
