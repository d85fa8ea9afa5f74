# The ensemble on the synthetic data: the finetuned model and the adapted model, weighted 2 and 1, on the
# validation split, with the synthetic camera model's distance and predictions.
_base_ = ["./baseline_resnet18_ibn_a_synthetic.py"]
ensemble = dict(members=["work_dirs/demo/reid_visda/finetune", "work_dirs/demo/reid_visda/adaptation"],
                weights=[2, 1], camera_members=["work_dirs/demo/reid_visda/finetune"],
                camera_predictions="work_dirs/demo/reid_visda/finetune", split="val")
