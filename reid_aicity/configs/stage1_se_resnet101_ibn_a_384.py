# DMT stage 1, SE-ResNet101-IBN-a at 384x384 (official configs/stage1/se_resnet101a_384.yml).
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
model = dict(backbone=dict(name="se_resnet101_ibn_a", pretrained="pretrained/se_resnet101_ibn_a-fabed4e2.pth"))
