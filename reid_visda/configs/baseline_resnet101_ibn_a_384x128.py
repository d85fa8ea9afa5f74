# Baseline of the VisDA-2020 winner (configs/baseline.yml) with ResNet101-IBN-a (IBN-Net release weights) at 384x128:
# SPGAN-translated PersonX + its CamStyle copies,
# 48 + 48 images per step, label-smoothed CE + weighted soft-margin triplet, SGD lr 0.02, 61 epochs.
# The "+ CamStyle" row of the report's Table 1.
stage = "baseline"
# CamStyle groups: common.gan.generate writes one copy per camera of the target training set, 5 for VisDA-2020
# (cameras 0, 1, 3, 4, 5); the code's loader expects 6 or 8 (its unpublished CamStyle set had that many).
data = dict(root="data/visda", source_transferred="spgan", camstyle=True, camstyle_group_sizes=[5])
input = dict(size_train=[384, 128], size_test=[384, 128])
model = dict(backbone=dict(name="resnet101_ibn_a", last_stride=1, pretrained="pretrained/resnet101_ibn_a-59ea0ac6.pth"))
