# The report's Table 1, "+ SPGAN": the baseline recipe on the SPGAN-translated PersonX images, without
# CamStyle copies (96 images per step).
_base_ = ["./baseline_resnet50_ibn_a_384x128.py"]
data = dict(source_transferred="spgan", camstyle=False)
