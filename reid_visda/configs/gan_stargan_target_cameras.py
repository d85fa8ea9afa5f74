# The CamStyle generator of the VisDA-2020 winner (report Sec. 2.1): one StarGAN over the cameras of the
# target training set (Corrected_target_training/trainval), with the official StarGAN recipe at 256x128
# (common/gan/configs/stargan_camstyle.py). Then one copy per camera of every target image and of every
# SPGAN-translated source image:
#   python -m common.gan.train reid_visda/configs/gan_stargan_target_cameras.py --work-dir work_dirs/gan_camstyle
#   python -m common.gan.generate work_dirs/gan_camstyle --input data/visda/Corrected_target_training/trainval \
#       --output data/visda/Corrected_target_training/trainval_camstyle
#   python -m common.gan.generate work_dirs/gan_camstyle --input data/visda/Corrected_personX/trainval_spgan \
#       --output data/visda/Corrected_personX/trainval_spgan_camstyle
# (A config of common.gan: its keys are checked against common/gan/defaults.py.)
_base_ = ["../../common/gan/configs/stargan_camstyle.py"]
data = dict(train=dict(root="data/visda/Corrected_target_training/trainval"))
