# DMT stage 1, DenseNet169-IBN-a at 384x384 (official configs/stage1/densenet169a_384.yml: the same
# schedule, lr, batch and input size as the other CNNs). Its LAST_STRIDE (1) is not passed to the
# DenseNet by the official make_model.py (``densenet169_ibn_a()``), which keeps the ImageNet network's
# last transition pooling: output stride 32, a 12x12 map of 1664 channels at 384x384. last_stride=1
# drops that pooling (24x24) with the same weights.
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
model = dict(backbone=dict(name="densenet169_ibn_a", last_stride=2,
                           pretrained="pretrained/densenet169_ibn_a-9f32c161.pth"))
