# UDA comparison run, DukeMTMC-reID (labelled source) -> Market-1501 (pseudo-labelled target; Jaccard + DBSCAN
# rounds as SpCL / OpenUnReID cluster), with the generated target images kept by work_dirs/score_market1501 added.
_base_ = ["./score_market1501.py"]
train = dict(setting="uda", generated="filtered", score_run="work_dirs/score_market1501",
             uda=dict(source=dict(root="data/dukemtmc", layout="dukemtmc")))
