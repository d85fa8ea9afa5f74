# Table 1, "+ SPGAN", on the synthetic data: the synthetic baseline on the SPGAN-translated source, without
# CamStyle copies.
_base_ = ["./baseline_resnet18_ibn_a_synthetic.py"]
data = dict(source_transferred="spgan", camstyle=False)
