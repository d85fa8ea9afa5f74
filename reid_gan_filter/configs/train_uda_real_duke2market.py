# UDA comparison run, DukeMTMC-reID (labelled source) -> Market-1501 (pseudo-labelled target; Jaccard + DBSCAN
# rounds as SpCL / OpenUnReID cluster), with the real target images only.
_base_ = ["./score_market1501.py"]
train = dict(setting="uda", generated="none",
             uda=dict(source=dict(root="data/dukemtmc", layout="dukemtmc")))
