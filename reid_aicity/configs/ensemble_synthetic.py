# Ensemble of the two synthetic stage-2 models (DMT ensemble.py: the sum of their distance matrices).
_base_ = ["./stage1_resnet18_ibn_a_synthetic.py"]
ensemble = dict(members=["work_dirs/demo/reid_aicity/stage2_v1", "work_dirs/demo/reid_aicity/stage2_v2"])
