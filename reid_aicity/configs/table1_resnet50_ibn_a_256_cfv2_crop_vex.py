# Paper Table 1, Type 3: CityFlowV2 + CVF2-C crops + VehicleX (49.1 / 65.9).
# 256x256 images; trained without the Split-Test identities and scored on them (split_test.py).
# Plain test features (original view) and no post-processing: the "baseline" of the paper's tables.
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
data = dict(train_sets=["aic", "aic_crop", "sim"], target="split_test")
input = dict(size_train=[256, 256], size_test=[256, 256])
model = dict(backbone=dict(name="resnet50_ibn_a", pretrained="pretrained/resnet50_ibn_a-d9d0bb7b.pth"))
test = dict(views=["original"], crop_test=None,
            post=dict(rerank=dict(enabled=False), track=dict(enabled=False), fic=dict(enabled=False),
                      camera_verification=dict(enabled=False), bias=dict(enabled=False)))
