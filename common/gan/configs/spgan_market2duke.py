# SPGAN, Market-1501 -> DukeMTMC-reID (the paper's setting), as the official PyTorch code trains it
# (Simon4Yan/eSPGAN py-spgan/train_spgan.py; OpenUnReID tools/SPGAN reproduces the same step):
# 256x128 inputs (resize 286x144, random crop, flip), batch 8, 20 epochs of min(|S|, |T|) / 8
# iterations, Adam 2e-4 (0.5, 0.999) constant, lambda_cyc 10, lambda_ide 5, lambda_con 2, margin 2,
# SiaNet from epoch 1, contrastive term from epoch 2, generators every other iteration.
# Every key not set here has the value of common/gan/defaults.py.
method = "spgan"
data = dict(
    # Market-1501 / DukeMTMC-reID names: 0002_c1s1_000451_03.jpg, 0001_c2_f0046182.jpg (pid -1: junk)
    source=dict(root="data/market1501/bounding_box_train", name_regex=r"^(-?\d+)_c(\d+)"),
    target=dict(root="data/dukemtmc-reid/bounding_box_train", name_regex=r"^(-?\d+)_c(\d+)"),
    size=[256, 128],
    load_size=[286, 144],
)
train = dict(batch_size=8, epochs=20)
