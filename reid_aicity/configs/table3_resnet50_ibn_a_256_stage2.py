# Paper Table 3: stage 2 (UDA, v1) of the Table 1 Type 2 model with the Split-Test as the target
# (46.2 -> 66.0 mAP, 64.8 -> 76.8 R1); plain test features, no post-processing.
_base_ = ["./table1_resnet50_ibn_a_256_cfv2_vex.py"]
stage = "stage2"
model = dict(init_from="work_dirs/table1_resnet50_ibn_a_256_cfv2_vex")
solver = dict(schedule="constant", base_lr=4e-4, max_epochs=3, warmup_epochs=0, large_fc_lr=True, checkpoint_every=1,
              log_every=50)
stage2 = dict(cluster_every=3, iters_per_epoch=300, aug_features=True,
              camera_bias=dict(method="projection", lam=0.0005), track_self_weight=0.3, camera_groups=False,
              k1=30, k2=6, jaccard_weight=0.9, eps=0.55, min_samples=10)
