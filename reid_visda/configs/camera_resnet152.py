# Camera model of the VisDA-2020 winner, plain ResNet152 (torchvision weights): see camera_resnet101_ibn_a.py.
_base_ = ["./camera_resnet101_ibn_a.py"]
model = dict(backbone=dict(name="resnet152", pretrained="pretrained/resnet152-b121ed2d.pth"))
