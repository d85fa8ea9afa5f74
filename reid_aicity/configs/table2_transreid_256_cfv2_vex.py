# Paper Table 2: TransReID, CityFlowV2 + VehicleX (45.5 / 61.0).
# Trained without the Split-Test identities and scored on them (split_test.py).
# Plain test features (original view) and no post-processing: the "baseline" of the paper's tables.
_base_ = ["./stage1_transreid_256.py"]
data = dict(train_sets=["aic", "sim"], target="split_test")
test = dict(views=["original"], crop_test=None,
            post=dict(rerank=dict(enabled=False), track=dict(enabled=False), fic=dict(enabled=False),
                      camera_verification=dict(enabled=False), bias=dict(enabled=False)))
