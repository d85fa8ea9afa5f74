# Domain adaptation of the VisDA-2020 winner (configs/adaptation.yml),
# HRNetV2-W18 (timm-format ImageNet weights), 384x128:
# from the baseline run, source + pseudo-labelled target (the 500 largest DBSCAN clusters, labelled once
# before the first epoch as the code trains), 24 original + 72 CamStyle images per step, each chunk from one
# domain with p = 0.5.
_base_ = ["./baseline_hrnet_w18_384x128.py"]
stage = "adaptation"
model = dict(backbone=dict(pretrained=None), init_from="work_dirs/baseline_hrnet_w18_384x128")
