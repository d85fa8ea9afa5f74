# Stage 2 (UDA on the synthetic test set), variant v1 of the official code, from the synthetic stage-1
# run. The clustering keeps DMT's eps and distance, with two settings scaled to this data set: -
# camera_bias.lam: the ridge strength relative to the feature dimension d (DMT 0.0005 x 2048 ~ 1);   with
# 128-d features the same relative strength is ~0.01; - k1 / min_samples: AI City has ~100 test images per
# vehicle, this set ~20, so the k-reciprocal   neighbourhood and the DBSCAN core size shrink from 30 / 10
# to 20 / 8.
_base_ = ["./stage1_resnet18_ibn_a_synthetic.py"]
stage = "stage2"
model = dict(init_from="work_dirs/demo/reid_aicity/stage1")
# lr 10x DMT's 4e-4: the from-scratch demo model is far from converged.
solver = dict(schedule="constant", base_lr=0.004, max_epochs=3, warmup_epochs=0, checkpoint_every=1)
stage2 = dict(cluster_every=3, iters_per_epoch=40, camera_bias=dict(method="projection", lam=0.01),
              track_self_weight=0.3, camera_groups=False, k1=20, min_samples=8)
test = dict(views=["original"],
            post=dict(bias=dict(enabled=True, camera_model="work_dirs/demo/reid_aicity/camera",
                                view_model="work_dirs/demo/reid_aicity/orientation")))
