# StarGAN camera style at toy scale for tests and demos: 64x32 images, 8-channel networks, a 4-layer
# critic (64x32 -> 4x2), n_critic 5 as in the official code, 300 iterations on CPU.
# Point data.train.root at a folder of {pid}_{cam}_{idx}.jpg images from several cameras.
method = "stargan"
data = dict(
    train=dict(root="data/gan_toy/cameras"),
    size=[64, 32],
    load_size=None,
    num_workers=0,
)
stargan = dict(
    generator=dict(ngf=8, num_blocks=2),
    discriminator=dict(ndf=8, num_layers=4),
    optim=dict(lr=1e-3, lr_policy="linear", decay_epochs=2),
)
train = dict(batch_size=8, epochs=6, iters_per_epoch=50, log_every=5, sample_every=150, sample_images=3,
             checkpoint_every=150, keep_last=2)
evaluate = dict(max_images=200, batch_size=64, encoder=dict(grid=[2, 1], colour_bins=4, orientation_bins=4))
