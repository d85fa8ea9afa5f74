# DMT orientation model (official configs/camera_view/view_101a.yml, train_view.py): ResNet101-IBN-a at
# 320x320 trained on VehicleX orientation bins, shuffled batches of 64, 80 epochs. The bins follow the
# code (datasets/sim_view.py); attribute.orientation_bins="paper" gives the paper's 36 bins of 10 degrees.
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
stage = "orientation"
input = dict(size_train=[320, 320], size_test=[320, 320])
sampler = dict(type="random")
# DATALOADER.SAMPLER "softmax": DMT's make_loss returns F.cross_entropy only (no triplet term, no smoothing).
loss = dict(triplet=None)
solver = dict(ims_per_batch=64, large_fc_lr=False, checkpoint_every=10, log_every=50)
attribute = dict(orientation_bins="dmt_code")
