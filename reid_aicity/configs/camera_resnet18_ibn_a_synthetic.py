# Camera model on the synthetic data set (DMT configs/camera_view/camera_101a.yml, scaled down): a ReID
# network trained to tell the training cameras apart, with shuffled batches.
_base_ = ["./stage1_resnet18_ibn_a_synthetic.py"]
stage = "camera"
sampler = dict(type="random")
# DATALOADER.SAMPLER "softmax": DMT's make_loss returns F.cross_entropy only (no triplet term, no smoothing).
loss = dict(triplet=None)
solver = dict(ims_per_batch=32, max_epochs=6, steps=[4], warmup_epochs=1, large_fc_lr=False, checkpoint_every=6)
