# DMT stage 1, ResNeSt101 at 384x384 (official configs/stage1/s101_384.yml), through timm's resnest101e.
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
model = dict(backbone=dict(name="resnest101e", pretrained="pretrained/resnest101-22405ba7.pth"))
