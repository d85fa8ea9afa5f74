# The report's "large" model (VisDA.md, "Train models with large image size"): finetune.yml at 384x192,
# started from the 384x128 adaptation run (the report: "finetuned ... based on standard models").
# Backbone: ResNet50-IBN-b (IBN-Net release weights).
_base_ = ["./finetune_resnet50_ibn_b_384x128.py"]
input = dict(size_train=[384, 192], size_test=[384, 192])
model = dict(init_from="work_dirs/adaptation_resnet50_ibn_b_384x128")
