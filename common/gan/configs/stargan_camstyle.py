# StarGAN camera style (CamStyle), as yunjey/stargan trains it (main.py defaults, RaFD-style single
# labels): batch 16, 200k iterations (200 epochs x 1000 = lr_update_step), n_critic 5, Adam 1e-4
# (0.5, 0.999), the official "decay" over the last 100k iterations (lr_policy stargan_code: the rate
# only falls to 0.999x, see common/gan/lr_schedule.py), lambda_cls 1, lambda_rec 10, lambda_gp 10,
# 6 residual blocks, 6-layer critic. The official images are 128x128 faces; person images are 256x128
# here (the critic's class kernel becomes 4x2). Resize + flip, no crop (official transform).
# The images: a folder of {pid}_{cam}_{idx}.jpg files (Bias-Eliminate's trainval); every camera in it
# is a domain. python -m common.gan.generate <run> then writes trainval_camstyle/.
method = "stargan"
data = dict(
    train=dict(root="data/visda/trainval"),
    size=[256, 128],
    load_size=None,
)
train = dict(batch_size=16, epochs=200, iters_per_epoch=1000, sample_every=1000, checkpoint_every=10000)
