# The CamStyle StarGAN on the synthetic VisDA target cameras (the demo): the official StarGAN step with a
# 16-channel generator, an 8-channel 4-layer critic and 64x32 images, 600 iterations (about 20 CPU seconds).
# (A config of common.gan.)
_base_ = ["../../common/gan/configs/stargan_tiny_synthetic.py"]
data = dict(train=dict(root="work_dirs/demo/reid_visda/data/visda/Corrected_target_training/trainval"))
stargan = dict(generator=dict(ngf=16))
train = dict(epochs=12)
