# Camera model of the VisDA-2020 winner, ResNet101-IBN-a (configs/camera.yml, the one whose predictions the ensemble
# uses): classifies the target training cameras; CE (no label smoothing) + batch-hard triplet (margin 0.3,
# L2-normalised), 4 cameras x 16 images per step, SGD lr 0.001, 20 epochs, x0.1 at 10 and 15, no warm-up.
stage = "camera"
data = dict(root="data/visda", source_transferred="original")
model = dict(backbone=dict(name="resnet101_ibn_a", last_stride=1, pretrained="pretrained/resnet101_ibn_a-59ea0ac6.pth"))
loss = dict(ce=dict(label_smoothing=0.0), triplet=dict(margin=0.3, mining="hard"))
sampler = dict(num_instances=16)
solver = dict(base_lr=0.001, max_epochs=20, steps=[10, 15], warmup_epochs=0, ims_per_batch=64, checkpoint_every=1)
