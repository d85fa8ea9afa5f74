# Supervised comparison run on the synthetic set of known quality (python -m reid_gan_filter.demo writes it and
# sets train.generated to none / all / filtered): the light ReID model of score_synthetic.py trained with E_c's
# short SGD recipe there on the real training images and the chosen generated images. With train.generated=none
# this run is E_c itself (same model, recipe, images and seed), which the demo reuses.
_base_ = ["./score_synthetic.py"]
train = dict(setting="supervised", generated="filtered", score_run="work_dirs/demo/reid_gan_filter/score",
             recipe={{_base_.consistency_training}})
