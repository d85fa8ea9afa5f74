# Domain adaptation on the synthetic data, from the synthetic baseline: the official stage (source + target
# chunks with p = 0.5, 1/4 original and 3/4 CamStyle images per step, pseudo-labels from the k-reciprocal
# distance and DBSCAN, made once as the code trains) with the clustering scaled to this set:
# ~48 target identities with ~8 images each instead of hundreds of clusters with dozens: k1 10 (the
# neighbourhoods are built over two copies of each image) and eps 0.4.
_base_ = ["./baseline_resnet18_ibn_a_synthetic.py"]
stage = "adaptation"
model = dict(init_from="work_dirs/demo/reid_visda/baseline")
solver = dict(max_epochs=8, steps=[6], warmup_epochs=1)
adaptation = dict(top_clusters=60, k1=10, k2=6, eps=0.4, outliers=dict(count=20),
                  target_classifier_lr=0.05)
