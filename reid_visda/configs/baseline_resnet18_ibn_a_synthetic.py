# The baseline ("+ CamStyle" row of Table 1) on the synthetic VisDA data set (python -m reid_visda.demo writes
# it): the official recipe (SPGAN source + CamStyle copies, half and half per step, label-smoothed CE +
# weighted soft-margin triplet, SGD with warm-up and steps, the GAP+GMP -> Linear -> BN -> dropout head) with
# a light backbone (ResNet18-IBN-a, 16 base channels, no pretraining), a 128-d embedding, 64x32 images and a
# short schedule for a CPU.
stage = "baseline"
data = dict(root="work_dirs/demo/reid_visda/data/visda", source_transferred="spgan", camstyle=True,
            camstyle_group_sizes=[5], num_workers=0)
input = dict(size_train=[64, 32], size_test=[64, 32], padding=4)
model = dict(backbone=dict(name="resnet18_ibn_a", base_channels=16, last_stride=1, pretrained=None),
             head=dict(reduction_dim=128, dropout=0.3))
sampler = dict(num_instances=4)
solver = dict(ims_per_batch=32, base_lr=0.05, max_epochs=12, steps=[8, 11], warmup_epochs=2, checkpoint_every=4,
              log_every=20)
camera_model = "work_dirs/demo/reid_visda/camera"
# The post-processing's neighbourhoods scaled to this gallery (~640 images, ~5 per identity, against ~24k in
# VisDA's test set): kNN smoothing over 20 neighbours instead of 50, re-ranking with k1 20 / k2 6 instead of 30 / 8.
test = dict(ims_per_batch=128,
            post=dict(smoothing=dict(knn=20), rerank=dict(k1=20, k2=6)))
