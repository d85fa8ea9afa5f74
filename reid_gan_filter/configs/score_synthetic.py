# Score the synthetic generated set of known quality (python -m reid_gan_filter.make_synthetic --root
# work_dirs/demo/reid_gan_filter/data): good, near-copy and identity-breaking images of every real training
# image, with their ground truth, so that the run prints the precision / recall of the kept set for E_c alone,
# E_d alone and their intersection. E_c is a light ReID model (ResNet18-IBN-a, 16 base channels, no
# pretraining) trained on the real images at 64x32 with a short SGD schedule for a CPU (about 5 s on the test
# scale, 25 s on the demo scale), without random erasing: on ~80-400 images of 64x32 it hides much of a person
# and slows learning (test scale, 30 epochs: AUC of good vs identity-breaking images in E_c 0.95 with erasing,
# 0.985 without). Selection: the defaults (global, 70th percentile in each space, intersection).
data = dict(real=dict(root="work_dirs/demo/reid_gan_filter/data", layout="market1501"),
            generated=dict(manifest="work_dirs/demo/reid_gan_filter/data/generated/manifest.csv"),
            ground_truth="work_dirs/demo/reid_gan_filter/data/generated/quality_synthetic.csv", num_workers=0)
encoders = dict(reid=dict(backbone=dict(name="resnet18_ibn_a", base_channels=16, last_stride=1, pretrained=None),
                          size=[64, 32]),
                colour_texture=dict(size=[64, 32]))
consistency_training = dict(epochs=30, ims_per_batch=32, num_instances=4, optimizer="SGD", base_lr=0.05,
                            weight_decay=5e-4, warmup_epochs=2, steps=[20, 26], padding=4, erasing_prob=0.0,
                            num_workers=0, checkpoint_every=10)
features = dict(batch_size=128)
