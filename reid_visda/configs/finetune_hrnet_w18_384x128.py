# Finetuning of the VisDA-2020 winner (configs/finetune.yml), HRNetV2-W18 (timm-format ImageNet weights) at 384x128:
# from the adapted run, with the camera-model distance subtracted before clustering and the outlier classes; evaluated
# with the post-processing (camera projection, kNN smoothing, re-ranking, camera terms, topology).
_base_ = ["./adaptation_hrnet_w18_384x128.py"]
stage = "finetune"
model = dict(init_from="work_dirs/adaptation_hrnet_w18_384x128")
camera_model = "work_dirs/camera_resnet101_ibn_a"
