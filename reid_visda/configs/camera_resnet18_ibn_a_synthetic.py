# The camera model on the synthetic target training set: the official recipe (CE + batch-hard triplet on
# camera labels, SGD lr 0.001 with x0.1 steps, no warm-up) with the light synthetic backbone and a short
# schedule (lr 10x: trained from scratch).
_base_ = ["./baseline_resnet18_ibn_a_synthetic.py"]
stage = "camera"
data = dict(source_transferred="original", camstyle=False)
loss = dict(ce=dict(label_smoothing=0.0), triplet=dict(margin=0.3, mining="hard"))
sampler = dict(num_instances=8)
solver = dict(base_lr=0.01, max_epochs=6, steps=[4, 5], warmup_epochs=0, ims_per_batch=32, checkpoint_every=2)
camera_model = None
