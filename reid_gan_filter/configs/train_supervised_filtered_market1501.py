# Supervised comparison run on Market-1501: the bag-of-tricks ResNet50-IBN-a (the E_c architecture of
# score_market1501.py) trained on the real training set + the generated images kept by the scoring run
# work_dirs/score_market1501 (python -m reid_gan_filter.score reid_gan_filter/configs/score_market1501.py),
# evaluated on the Market-1501 query / gallery.
_base_ = ["./score_market1501.py"]
train = dict(setting="supervised", generated="filtered", score_run="work_dirs/score_market1501")
