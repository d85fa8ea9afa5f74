# DMT stage 1, ResNet101-IBN-a at 384x384 (official configs/stage1/101a_384.yml).
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
