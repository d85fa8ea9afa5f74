# Camera model of the VisDA-2020 winner, plain ResNet101 (torchvision weights): see camera_resnet101_ibn_a.py.
_base_ = ["./camera_resnet101_ibn_a.py"]
model = dict(backbone=dict(name="resnet101", pretrained="pretrained/resnet101-63fe2227.pth"))
