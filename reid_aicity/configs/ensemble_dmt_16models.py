# DMT's final submission (ensemble.py): the sum of the stage-2 models' distance matrices, ranked into
# track2.txt: the official 16 models, 8 backbones (ResNet101-IBN-a, its recrop and SPGAN variants,
# ResNeXt101-IBN-a, SE-ResNet101-IBN-a, DenseNet169-IBN-a, ResNeSt101, TransReID) x the v1/v2 stage-2
# variants.
_base_ = ["./stage1_resnet101_ibn_a_384.py"]
ensemble = dict(members=[
        "work_dirs/stage2_resnet101_ibn_a_384_v1",
        "work_dirs/stage2_resnet101_ibn_a_384_v2",
        "work_dirs/stage2_resnet101_ibn_a_384_recrop_v1",
        "work_dirs/stage2_resnet101_ibn_a_384_recrop_v2",
        "work_dirs/stage2_resnet101_ibn_a_384_spgan_v1",
        "work_dirs/stage2_resnet101_ibn_a_384_spgan_v2",
        "work_dirs/stage2_densenet169_ibn_a_384_v1",
        "work_dirs/stage2_densenet169_ibn_a_384_v2",
        "work_dirs/stage2_resnext101_ibn_a_384_v1",
        "work_dirs/stage2_resnext101_ibn_a_384_v2",
        "work_dirs/stage2_se_resnet101_ibn_a_384_v1",
        "work_dirs/stage2_se_resnet101_ibn_a_384_v2",
        "work_dirs/stage2_resnest101_384_v1",
        "work_dirs/stage2_resnest101_384_v2",
        "work_dirs/stage2_transreid_256_v1",
        "work_dirs/stage2_transreid_256_v2",
])
