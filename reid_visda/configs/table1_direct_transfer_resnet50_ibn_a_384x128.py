# The report's Table 1, "Direct transfer": the baseline recipe on the original PersonX images, without
# CamStyle copies (96 original images per step).
_base_ = ["./baseline_resnet50_ibn_a_384x128.py"]
data = dict(source_transferred="original", camstyle=False)
