# UDA comparison run on the synthetic data: a labelled synthetic source domain (the PersonX-like people of
# common.person, python -m reid_gan_filter.demo writes them) -> the synthetic real set without its labels, with
# the chosen generated images. Clustering scaled to this set (~48 identities with ~8 images each instead of
# hundreds with dozens): Jaccard k1 10 / k2 4, DBSCAN eps 0.5; 2 rounds of 6 epochs.
_base_ = ["./train_supervised_synthetic.py"]
train = dict(setting="uda",
             uda=dict(source=dict(root="work_dirs/demo/reid_gan_filter/data/source", layout="personx"),
                      rounds=2, epochs_per_round=6, k1=10, k2=4, eps=0.5, min_samples=4))
