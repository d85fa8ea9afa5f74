# UDA comparison run, DukeMTMC-reID (labelled source) -> Market-1501 (pseudo-labelled target; Jaccard + DBSCAN
# rounds as SpCL / OpenUnReID cluster), with every generated target image added.
_base_ = ["./score_market1501.py"]
train = dict(setting="uda", generated="all",
             uda=dict(source=dict(root="data/dukemtmc", layout="dukemtmc")))
