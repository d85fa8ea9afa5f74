# DMT stage 1, ResNeXt101-IBN-a at 384x384 (official configs/stage1/resnext101a_384.yml; no LARGE_FC_LR).
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
model = dict(backbone=dict(name="resnext101_ibn_a", pretrained="pretrained/resnext101_ibn_a-6ace051d.pth"))
solver = dict(large_fc_lr=False)
