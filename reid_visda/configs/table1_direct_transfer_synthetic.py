# Table 1, "Direct transfer", on the synthetic data: the synthetic baseline on the original (untranslated)
# source images, without CamStyle copies.
_base_ = ["./baseline_resnet18_ibn_a_synthetic.py"]
data = dict(source_transferred="original", camstyle=False)
