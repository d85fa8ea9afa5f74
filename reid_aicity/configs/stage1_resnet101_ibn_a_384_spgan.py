# DMT stage 1, ResNet101-IBN-a with the SPGAN-translated VehicleX images ("aic_sim_spgan",
# sys_image_train_tr) instead of the raw ones (official configs/stage1/101a_384_spgan.yml).
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
data = dict(sim_image_dir="sys_image_train_tr")
