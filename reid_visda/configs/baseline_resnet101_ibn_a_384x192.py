# Baseline of the VisDA-2020 winner (configs/baseline.yml) with ResNet101-IBN-a (IBN-Net release weights) at 384x192
# (the report's 'large' models): SPGAN-translated PersonX + its CamStyle copies,
# 48 + 48 images per step, label-smoothed CE + weighted soft-margin triplet, SGD lr 0.02, 61 epochs.
# The "+ CamStyle" row of the report's Table 1.
stage = "baseline"
data = dict(root="data/visda", source_transferred="spgan", camstyle=True)
input = dict(size_train=[384, 192], size_test=[384, 192])
model = dict(backbone=dict(name="resnet101_ibn_a", last_stride=1, pretrained="pretrained/resnet101_ibn_a-59ea0ac6.pth"))
