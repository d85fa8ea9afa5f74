# Orientation model on the synthetic VehicleX-like set (DMT configs/camera_view/view_101a.yml, scaled
# down): a ReID network trained on orientation bins, with shuffled batches.
_base_ = ["./stage1_resnet18_ibn_a_synthetic.py"]
stage = "orientation"
sampler = dict(type="random")
# DATALOADER.SAMPLER "softmax": DMT's make_loss returns F.cross_entropy only (no triplet term, no smoothing).
loss = dict(triplet=None)
solver = dict(ims_per_batch=32, max_epochs=24, steps=[18], warmup_epochs=2, large_fc_lr=False, checkpoint_every=8)
attribute = dict(orientation_bins="dmt_code")
