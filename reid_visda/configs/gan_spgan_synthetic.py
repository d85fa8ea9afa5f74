# SPGAN on the synthetic VisDA data (the demo): the official step and schedule shape (SiaNet from epoch 1,
# the contrastive term from epoch 2, generators every other iteration) with 16-channel networks, 2 residual
# blocks and 64x32 images, trained for a CPU minute. (A config of common.gan.)
_base_ = ["../../common/gan/configs/spgan_tiny_synthetic.py"]
data = dict(source=dict(root="work_dirs/demo/reid_visda/data/visda/Corrected_personX/trainval"),
            target=dict(root="work_dirs/demo/reid_visda/data/visda/Corrected_target_training/trainval"))
