# Stage 1 on the synthetic AI City data set (python -m reid_aicity.make_synthetic): the demo's and the
# tests' setting. DMT's recipe (CE + soft-margin triplet, P x K, SGD with warm-up + steps, aic_sim data
# with the CVF2-C crops) with a light backbone (ResNet18-IBN-a, 16 base channels, 128-d features),
# 64x64 images, no pretraining and a short schedule for a CPU.
stage = "stage1"
data = dict(root="work_dirs/demo/reid_aicity/data", train_sets=["aic", "aic_crop", "sim"], num_workers=0,
            split_test=dict(num_ids=8, seed=0, queries_per_camera=1))
input = dict(size_train=[64, 64], size_test=[64, 64], padding=4)
model = dict(backbone=dict(name="resnet18_ibn_a", base_channels=16, last_stride=1, pretrained=None))
sampler = dict(type="identity", num_instances=4)  # 8 identities x 4 images
solver = dict(ims_per_batch=32, base_lr=0.05, max_epochs=16, steps=[10, 14], warmup_epochs=2,
              amp=False, checkpoint_every=4, log_every=20)
# Augmentation test with flips and the detector crops of both queries and gallery.
test = dict(ims_per_batch=128, views=["original", "flip"], crop_test="detector", crop_gallery=True,
            post=dict(fic=dict(lam=0.18)))
