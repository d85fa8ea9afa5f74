# SPGAN at toy scale for tests and demos: 64x32 images, 8-channel networks with 2 residual blocks, a
# 2-stage SiaNet, ~120 iterations on CPU. The official schedule (SiaNet from epoch 1, the contrastive
# term from epoch 2, generators every other iteration) is kept, compressed into 6 short epochs.
# Point data.source.root / data.target.root at two image folders named {pid}_{cam}_{idx}.jpg.
method = "spgan"
data = dict(
    source=dict(root="data/gan_toy/source"),
    target=dict(root="data/gan_toy/target"),
    size=[64, 32],
    load_size=[72, 36],
    num_workers=0,
)
spgan = dict(
    generator=dict(ngf=8, num_blocks=2),
    discriminator=dict(ndf=8, num_layers=3),
    sianet=dict(channels=[8, 16], embed_dims=[16, 8]),
    optim=dict(lr=1e-3),
)
train = dict(batch_size=4, epochs=6, iters_per_epoch=20, log_every=5, sample_every=60, sample_images=3,
             checkpoint_every=60, keep_last=2)
evaluate = dict(max_images=200, batch_size=64, encoder=dict(grid=[2, 1], colour_bins=4, orientation_bins=4))
