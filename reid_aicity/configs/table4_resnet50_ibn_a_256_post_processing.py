# Paper Table 4: the post-processing ablation of the Table 1 Type 2 model on the Split-Test
# (46.2 baseline, 47.0 + augmentation test, 58.8 + re-rank, 66.8 + weighted tracklet, 72.7 + camera
# verification, 74.7 + inter-camera fusion, 76.0 + camera/orientation bias). For reid_aicity.evaluate:
#   python -m reid_aicity.evaluate reid_aicity/configs/table4_resnet50_ibn_a_256_post_processing.py \
#       --work-dir work_dirs/table1_resnet50_ibn_a_256_cfv2_vex
_base_ = ["./table1_resnet50_ibn_a_256_cfv2_vex.py"]
test = dict(views=["original", "flip"], crop_test="detector", ablation=True,
            post=dict(rerank=dict(enabled=True), track=dict(enabled=True), fic=dict(enabled=True),
                      camera_verification=dict(enabled=True),
                      bias=dict(enabled=True, camera_model="work_dirs/camera_resnet101_ibn_a_320",
                                view_model="work_dirs/orientation_resnet101_ibn_a_320")))
