# Finetuning on the synthetic data, from the synthetic adaptation run: camera-distance subtraction and the
# outlier classes of the official code; evaluated with the whole post-processing.
_base_ = ["./adaptation_synthetic.py"]
stage = "finetune"
model = dict(init_from="work_dirs/demo/reid_visda/adaptation")
