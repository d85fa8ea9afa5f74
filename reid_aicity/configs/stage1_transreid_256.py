# DMT stage 1, TransReID ViT-B/16 (no JPM, no SIE) with overlapping 16x16 patches at stride 14, 256x256,
# pixel mean/std 0.5 (official configs/stage1/transreid_256.yml): 40 epochs, timm cosine schedule with
# 5 warm-up epochs from lr 1e-6 (factor 1e-4) to a 1e-5 floor (factor 1e-3), wd 1e-4, no LARGE_FC_LR.
_base_ = ["./_base_/dmt_stage1_cnn_384.py"]
input = dict(size_train=[256, 256], size_test=[256, 256], pixel_mean=[0.5, 0.5, 0.5], pixel_std=[0.5, 0.5, 0.5])
model = dict(backbone=dict(_delete_=True, name="vit_base_patch16_transreid", img_size=[256, 256], stride=14,
                           drop_path_rate=0.1, pretrained="pretrained/jx_vit_base_p16_224-80ecf9dd.pth"),
             head=dict(_delete_=True, pooling="identity", neck_feat="after"))
solver = dict(max_epochs=40, schedule="cosine", warmup_epochs=5, warmup_factor=1e-4, min_factor=1e-3,
              weight_decay=1e-4, weight_decay_bias=1e-4, large_fc_lr=False, checkpoint_every=5)
