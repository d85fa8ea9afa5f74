# Paper Table 2: TransReID, CityFlowV2 only (42.1 / 59.8).
# Trained without the Split-Test identities and scored on them (split_test.py).
# Plain test features (original view) and no post-processing: the "baseline" of the paper's tables.
_base_ = ["./stage1_transreid_256.py"]
data = dict(train_sets=["aic"], target="split_test")
test = dict(views=["original"], crop_test=None,
            post=dict(rerank=dict(enabled=False), track=dict(enabled=False), fic=dict(enabled=False),
                      camera_verification=dict(enabled=False), bias=dict(enabled=False)))
