# SPGAN as the CVPR 2018 paper describes it, trained as the TensorFlow code released with the paper
# (Simon4Yan/Learning-via-Translation SPGAN/train_spgan_demo.py) does:
# * paper: SiaNet of 4 conv + 4 max-pool stages (64..512) and one FC layer to 128; the contrastive
#   loss on the four pairs of Sec. 3.2 for both SiaNet and the generators; all parts trained jointly
#   from the first iteration;
# * TensorFlow code: square 256x256 images (resize 286x286, random crop 256, flip), batch 1,
#   6 epochs (its --epoch default), Adam 2e-4 (0.5) constant.
_base_ = ["./spgan_market2duke.py"]
data = dict(size=[256, 256], load_size=[286, 286])
spgan = dict(
    sianet=dict(channels=[64, 128, 256, 512], embed_dims=[128]),
    contrastive_pairs="paper",
    sianet_start_epoch=0,
    contrastive_start_epoch=0,
    generator_every=1,
)
train = dict(batch_size=1, epochs=6)
