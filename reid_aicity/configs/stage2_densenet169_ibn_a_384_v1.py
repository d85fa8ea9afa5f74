# DMT stage 2 (UDA on the AI City test set), variant v1 (train_stage2_v1.py), from
# stage1_densenet169_ibn_a_384 (official configs/stage2/densenet169a_384.yml; its CHECKPOINT_PERIOD and
# EVAL_PERIOD 1 only save and evaluate after every epoch): one pseudo-label round (camera-bias projection
# lam 0.0005, gallery tracks 0.3 f + 0.7 mean, 0.9 Jaccard (k1 30, k2 6) + 0.1 cosine, DBSCAN eps 0.55 /
# min_samples 10), classifier from the cluster means, 3 epochs x 300 iterations at a fixed lr 4e-4. Test:
# original + detector-cropped features (FLIP_FEATS no, CROP_TEST True), TEST.LA 0.23, camera/orientation
# bias.
_base_ = ["./stage1_densenet169_ibn_a_384.py"]
stage = "stage2"
model = dict(init_from="work_dirs/stage1_densenet169_ibn_a_384")
solver = dict(schedule="constant", base_lr=4e-4, max_epochs=3, warmup_epochs=0, large_fc_lr=True, checkpoint_every=1,
              log_every=50)
stage2 = dict(cluster_every=3, iters_per_epoch=300, aug_features=True,
              camera_bias=dict(method="projection", lam=0.0005), track_self_weight=0.3, camera_groups=False,
              k1=30, k2=6, jaccard_weight=0.9, eps=0.55, min_samples=10)
test = dict(views=["original"], crop_test="detector",
            post=dict(fic=dict(lam=0.23),
                      bias=dict(enabled=True, camera_weight=0.1, view_weight=0.05,
                                camera_model="work_dirs/camera_resnet101_ibn_a_320",
                                view_model="work_dirs/orientation_resnet101_ibn_a_320")))
