# DMT stage 2, variant v2 (train_stage2_v2.py), from stage1_densenet169_ibn_a_384: gallery tracks 0.1 f +
# 0.9 mean and +10 between cameras < 40 and >= 40 before DBSCAN (the test-only cameras cluster among
# themselves). The paper describes the variants as "two different cluster parameters"; in the code both
# use eps 0.55.
_base_ = ["./stage2_densenet169_ibn_a_384_v1.py"]
stage2 = dict(track_self_weight=0.1, camera_groups=True)
