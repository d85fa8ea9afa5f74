"""Every configuration key of ``common.gan`` with its default (the schema of ``common.config``).

A config file sets only what differs; an unknown key stops the run with its name. ``method`` picks the
translator: ``spgan`` (two domains, ``data.source`` -> ``data.target``) or ``stargan`` (the cameras of
``data.train``). Defaults follow the official code; where a paper says otherwise a key selects the
paper's variant, and the comment next to it says so.

SPGAN sources: the author's PyTorch code Simon4Yan/eSPGAN ``py-spgan/train_spgan.py`` (the same step as
open-mmlab/OpenUnReID ``tools/SPGAN/main.py`` + ``config.yaml``), the TensorFlow code of
Simon4Yan/Learning-via-Translation ``SPGAN/train_spgan_demo.py``, the CVPR 2018 paper. StarGAN sources:
yunjey/stargan ``main.py`` / ``solver.py`` / ``model.py`` and the CVPR 2018 paper.
"""
from __future__ import annotations

#: The translators ``python -m common.gan.train`` trains.
METHODS = ("spgan", "stargan")

#: One image folder (see ``common.gan.folders``).
FOLDER = dict(
    root=None,
    pattern="*.jpg",  # glob relative to root ("**/*.jpg" recurses)
    name_regex=r"^(\d+)_(\d+)_(\d+)",  # Bias-Eliminate's {pid}_{cam}_{idx}; Market-1501: r"^(-?\d+)_c(\d+)"
    pid_group=1,  # None: unlabelled images (pid -1)
    camera_group=2,  # None: cameras from camera_file (or all 0)
    camera_file=None,  # "<name> <camera>" lines; overrides camera_group
)

DEFAULTS = dict(
    method="spgan",
    seed=0,
    device="auto",  # auto / cpu / cuda / cuda:N
    deterministic=False,  # torch.use_deterministic_algorithms (CPU runs are bit-reproducible anyway)
    data=dict(
        source=dict(FOLDER),  # spgan: source domain (translated by G)
        target=dict(FOLDER),  # spgan: target domain
        train=dict(FOLDER),  # stargan: the camera-labelled images; its cameras are the domains
        # Network input (H, W). eSPGAN / OpenUnReID: 256x128. The TensorFlow SPGAN code trains and
        # translates square 256x256 images (load 286, crop 256).
        size=[256, 128],
        # Resize to this, then random-crop `size` (eSPGAN: 286x144 -> 256x128). None: resize to `size`
        # (StarGAN: Resize + flip, no crop).
        load_size=[286, 144],
        flip=True,  # random horizontal flip (both official codes)
        num_workers=2,
    ),
    spgan=dict(
        generator=dict(ngf=64, num_blocks=9),  # CycleGAN resnet_9blocks (all SPGAN code)
        discriminator=dict(ndf=64, num_layers=3),  # 70x70 PatchGAN
        # SiaNet. Code (eSPGAN / OpenUnReID): 3 conv stages, FC 128 -> FC 64. Paper Sec. 4.2: 4 conv
        # stages (64..512) and one FC to 128: channels=[64, 128, 256, 512], embed_dims=[128]. The
        # TensorFlow code: 4 stages, FC 128 -> FC 64.
        sianet=dict(channels=[64, 128, 256], embed_dims=[128, 64], dropout=0.5),
        lambda_cycle=10.0,  # lambda_1 (paper and code)
        lambda_identity=5.0,  # lambda_2 (paper and code; = CycleGAN's 0.5 x lambda_cyc)
        lambda_contrastive=2.0,  # lambda_3 (paper and code)
        margin=2.0,  # m (paper and code)
        # How the pair losses combine (common.gan.spgan): "code" (eSPGAN / OpenUnReID), "code_tf" (the
        # TensorFlow code: negative pair (x_S, x_T) only) or "paper" (mean of the 4 pairs of Sec. 3.2).
        contrastive_pairs="code",
        # When SiaNet and the contrastive term start (0-based epochs). Code: SiaNet trains from epoch 1
        # (`epoch > 0`), the generators see the contrastive loss from epoch 2 (`epoch > 1`). Paper and
        # TensorFlow code: both from the start (0 and 0).
        sianet_start_epoch=1,
        contrastive_start_epoch=2,
        # Generators update on every n-th iteration of an epoch, SiaNet and discriminators on all
        # (code: `i % 2 == 0`). Paper / TensorFlow code: every iteration (1).
        generator_every=2,
        pool_size=50,  # history of generated images per discriminator (CycleGAN, all SPGAN code)
        init_gain=0.02,  # N(0, 0.02) init (CycleGAN / OpenUnReID init_weights)
        # Adam 2e-4, (0.5, 0.999) for G, D and SiaNet; constant lr in all SPGAN code. CycleGAN's linear
        # decay to 0 over the last epochs: lr_policy="linear", decay_epochs=N.
        optim=dict(lr=2e-4, betas=[0.5, 0.999], lr_policy="constant", decay_epochs=None),
    ),
    stargan=dict(
        generator=dict(ngf=64, num_blocks=6),  # g_conv_dim, g_repeat_num
        discriminator=dict(ndf=64, num_layers=6),  # d_conv_dim, d_repeat_num
        lambda_cls=1.0,
        lambda_rec=10.0,
        lambda_gp=10.0,
        n_critic=5,
        # Target cameras of an iteration: "permute" (code: a permutation of the batch's own labels) or
        # "uniform" (paper: random target domain).
        target_label="permute",
        # Adam 1e-4, (0.5, 0.999); decay over the last `decay_epochs` (code: the last 100k of 200k
        # iterations, updated every 1000). "stargan_code" reproduces what solver.py does (the lr only
        # falls to 0.999x, see common.gan.lr_schedule); "linear" is the paper's decay to 0.
        optim=dict(lr=1e-4, betas=[0.5, 0.999], lr_policy="stargan_code", decay_epochs=100),
    ),
    train=dict(
        batch_size=8,  # eSPGAN / OpenUnReID 8 (TensorFlow SPGAN: 1); StarGAN 16
        epochs=20,  # eSPGAN 20
        # Iterations per epoch; None: one pass over the smaller set (SPGAN: min(|S|, |T|) // batch,
        # StarGAN: |train| // batch). OpenUnReID: 200; StarGAN configs use 1000 (= lr_update_step).
        iters_per_epoch=None,
        log_every=10,  # iterations between metric rows
        sample_every=500,  # iterations between sample grids (samples/iter_XXXXXXXX.png)
        sample_images=4,  # rows of the sample grid (the first images of each set)
        checkpoint_every=1000,  # iterations between checkpoints (and one at the end)
        keep_last=3,
    ),
    evaluate=dict(
        enabled=True,  # Fréchet domain distances after training (tables/domain_distance.md|json)
        max_images=500,  # per image set, spread evenly over the sorted list
        batch_size=32,
        # ColourTextureDescriptor of the default encoder (pass an nn.Module to run_gan_training instead).
        encoder=dict(grid=[4, 2], colour_bins=8, orientation_bins=8),
    ),
)
