# Domain adaptation of the VisDA-2020 winner (configs/adaptation.yml),
# ResNet50-IBN-a (IBN-Net release weights), 384x128:
# from the baseline run, source + pseudo-labelled target (the 500 largest DBSCAN clusters, labelled once
# before the first epoch as the code trains), 24 original + 72 CamStyle images per step, each chunk from one
# domain with p = 0.5.
_base_ = ["./baseline_resnet50_ibn_a_384x128.py"]
stage = "adaptation"
model = dict(backbone=dict(pretrained=None), init_from="work_dirs/baseline_resnet50_ibn_a_384x128")
