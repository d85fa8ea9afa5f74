# Stage 2 on the synthetic test set, variant v2 of the official code: heavier track smoothing and the
# camera-group constraint (test-only cameras c041.. never share a cluster with the others).
_base_ = ["./stage2_resnet18_ibn_a_synthetic_v1.py"]
stage2 = dict(track_self_weight=0.1, camera_groups=True)
