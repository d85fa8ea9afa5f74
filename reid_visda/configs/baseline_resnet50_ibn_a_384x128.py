# Baseline of the VisDA-2020 winner (configs/baseline.yml) with ResNet50-IBN-a (IBN-Net release weights) at 384x128
# (the standard size): SPGAN-translated PersonX + its CamStyle copies,
# 48 + 48 images per step, label-smoothed CE + weighted soft-margin triplet, SGD lr 0.02, 61 epochs.
# The "+ CamStyle" row of the report's Table 1.
stage = "baseline"
data = dict(root="data/visda", source_transferred="spgan", camstyle=True)
input = dict(size_train=[384, 128], size_test=[384, 128])
model = dict(backbone=dict(name="resnet50_ibn_a", last_stride=1, pretrained="pretrained/resnet50_ibn_a-d9d0bb7b.pth"))
