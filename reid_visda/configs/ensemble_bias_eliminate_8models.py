# The VisDA-2020 winner's ensemble (utils/ensemble.py): the finetuned ResNet50-IBN-a, ResNet50-IBN-b,
# ResNet101-IBN-a and HRNet-W18 at 384x128 and at 384x192, weighted 2, 1, 2, 1, 2, 1, 2, 1, evaluated on the
# test split (python -m reid_visda.evaluate <run> --split test first); the camera distance is the mean of the
# four camera models, the predicted cameras those of the ResNet101-IBN-a camera model.
data = dict(root="data/visda")
camera_model = "work_dirs/camera_resnet101_ibn_a"
ensemble = dict(
    members=[f"work_dirs/finetune_{m}_{s}" for s in ("384x128", "384x192")
             for m in ("resnet50_ibn_a", "resnet50_ibn_b", "resnet101_ibn_a", "hrnet_w18")],
    weights=[2, 1, 2, 1, 2, 1, 2, 1],
    camera_members=[f"work_dirs/camera_{m}" for m in ("resnet101", "resnet152", "resnet101_ibn_a", "hrnet_w18")],
    camera_predictions="work_dirs/camera_resnet101_ibn_a",
    split="test")
