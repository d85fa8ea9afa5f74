# Camera model of the VisDA-2020 winner, HRNetV2-W18 (timm-format weights): see camera_resnet101_ibn_a.py.
_base_ = ["./camera_resnet101_ibn_a.py"]
model = dict(backbone=dict(name="hrnet_w18", pretrained="pretrained/hrnet_w18.pth"))
