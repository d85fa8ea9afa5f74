# DMT camera model (official configs/camera_view/camera_101a.yml, train_cam.py): ResNet101-IBN-a at
# 320x320 trained to classify the CityFlowV2 training cameras, shuffled batches of 64, 80 epochs.
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
stage = "camera"
input = dict(size_train=[320, 320], size_test=[320, 320])
sampler = dict(type="random")
# DATALOADER.SAMPLER "softmax": DMT's make_loss returns F.cross_entropy only (no triplet term, no smoothing).
loss = dict(triplet=None)
solver = dict(ims_per_batch=64, large_fc_lr=False, checkpoint_every=10, log_every=50)
