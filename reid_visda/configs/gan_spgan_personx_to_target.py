# SPGAN for the VisDA-2020 source: PersonX (Corrected_personX/trainval) -> the real target training images
# (Corrected_target_training/trainval), as the official SPGAN code trains (common/gan/defaults.py: 256x128,
# batch 8, 20 epochs, lambda_cyc 10, lambda_ide 5, lambda_con 2, margin 2). The challenge also ships such a
# translation (PersonX_SPGAN); this trains one. Then:
#   python -m common.gan.train reid_visda/configs/gan_spgan_personx_to_target.py --work-dir work_dirs/gan_spgan
#   python -m common.gan.generate work_dirs/gan_spgan --input data/visda/Corrected_personX/trainval \
#       --output data/visda/Corrected_personX/trainval_spgan
# (A config of common.gan: its keys are checked against common/gan/defaults.py.)
method = "spgan"
data = dict(source=dict(root="data/visda/Corrected_personX/trainval"),
            target=dict(root="data/visda/Corrected_target_training/trainval"))
