# Supervised comparison run on Market-1501: the bag-of-tricks ResNet50-IBN-a (the E_c architecture of
# score_market1501.py) trained on the real training set only,
# evaluated on the Market-1501 query / gallery.
_base_ = ["./score_market1501.py"]
train = dict(setting="supervised", generated="none")
