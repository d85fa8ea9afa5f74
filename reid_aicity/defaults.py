"""Every configuration key of ``reid_aicity`` with its default (the schema of ``common.config``).

A config file sets only what differs from these; a key that is not here stops the run with its name
(``common.config.ConfigKeyError``). Defaults follow DMT's official code (``config/defaults.py`` and
``configs/stage1/101a_384.yml``); where the paper says otherwise, a key selects the paper's variant and
the comment next to it says so.
"""
from __future__ import annotations

from common.config import OpenSection
from common.reid.model import IMAGENET_MEAN, IMAGENET_STD

#: What ``python -m reid_aicity.train`` runs, by ``stage``.
STAGES = ("stage1", "stage2", "camera", "orientation")

DEFAULTS = dict(
    # stage1: supervised training on real + synthetic (+ cropped) data; stage2: UDA on the target set;
    # camera / orientation: the camera-ID and VehicleX-orientation classifiers of the post-processing.
    stage="stage1",
    seed=1234,  # DMT SOLVER.SEED
    device="auto",
    deterministic=False,
    data=dict(
        root="data",  # the folder holding AIC21/ (python -m reid_aicity.make_synthetic writes one)
        aic_dir="AIC21/AIC21_Track2_ReID",
        sim_dir="AIC21/AIC21_Track2_ReID_Simulation",
        sim_image_dir="sys_image_train",
        crop_train_dir="training_part_seg/cropped_patch/image_train",  # CVF2-C, relative to aic_dir
        crop_test_dir="cropped_aic_test",  # {image_query, image_test} crops for the augmentation test
        # Training data of stage 1 (paper Table 1): "aic" (CityFlowV2), "aic_crop" (CVF2-C crops),
        # "sim" (VehicleX, identities after the real ones). DMT's "aic_sim" = all three.
        train_sets=["aic", "aic_crop", "sim"],
        # Retrieval set of evaluation and stage 2: "test" (image_query vs image_test) or "split_test"
        # (identities carved from the training set, which then leave training; see split_test.py).
        # Also "veri776" (VeRi-776's image_query vs image_test under data.veri_dir, with test_track.txt) or
        # "folders" (data.folders: a query and a gallery folder; identities and cameras from file names
        # <id>_c<camera>_... when every name has that form, else unlabelled: features and pictures, no scores).
        target="test",
        veri_dir="VeRi",
        folders=dict(query=None, gallery=None),
        split_test=dict(num_ids=88, seed=0, queries_per_camera=1),  # paper: 88 vehicles
        num_workers=8,
    ),
    input=dict(
        size_train=[384, 384],
        size_test=[384, 384],
        flip_prob=0.5,
        padding=10,
        erasing_prob=0.5,
        resized_crop_scale=None,  # INPUT.RESIZECROP ("recrop" models): [0.75, 1.0]
        interpolation="bicubic",
        pixel_mean=list(IMAGENET_MEAN),  # TransReID: [0.5, 0.5, 0.5]
        pixel_std=list(IMAGENET_STD),
    ),
    model=dict(
        backbone=OpenSection(name="resnet101_ibn_a", last_stride=1, pretrained=None),
        head=OpenSection(pooling="avg", neck_feat="after"),
        # Weights to start from: a run directory of this package (its latest checkpoint), a
        # CheckpointManager file or a plain state dict. Stage 2 starts from its stage-1 run. The
        # classifier is not loaded when its number of classes differs (DMT copy_state_dict).
        init_from=None,
    ),
    loss=dict(
        ce=dict(weight=1.0, label_smoothing=0.0),  # IF_LABELSMOOTH 'off' (the paper removes it too)
        triplet=dict(weight=1.0, margin=0.0, mining="hard", feature="global_feat"),  # NO_MARGIN: soft margin
    ),
    sampler=dict(
        # "identity": P x K (DATALOADER.SAMPLER softmax_triplet); "random": shuffled batches
        # (softmax, the camera / orientation models).
        type="identity",
        num_instances=8,  # K; with 96 images per batch, P = 12. The paper says 8 identities x 12 images.
    ),
    solver=dict(
        optimizer="SGD",
        base_lr=0.01,
        momentum=0.9,
        weight_decay=5e-4,
        weight_decay_bias=5e-4,
        bias_lr_factor=2.0,
        large_fc_lr=True,  # classifier at 2x the base lr (SOLVER.LARGE_FC_LR)
        ims_per_batch=96,
        max_epochs=80,
        schedule="multistep",  # "multistep" (CNNs), "cosine" (TransReID), "constant" (stage 2)
        steps=[40, 70],
        gamma=0.1,
        warmup_epochs=10,
        warmup_factor=0.01,  # the code's WARMUP_FACTOR; the paper says from 1e-3 to 1e-2 (0.1)
        min_factor=1e-3,  # cosine floor (timm min lr 1e-5 over base 0.01)
        epoch_offset=1,  # DMT steps its scheduler with 1-based epochs before each epoch
        amp=True,  # SOLVER.FP16_ENABLED (fp16 on CUDA, bf16 on CPU)
        grad_clip_norm=None,
        checkpoint_every=10,
        keep_last=2,
        log_every=50,
    ),
    stage2=dict(
        # The two pseudo-label settings of train_stage2_v1.py / _v2.py differ in track_self_weight and
        # camera_groups only.
        cluster_every=3,  # epochs per pseudo-label round (DMT: epoch % 3 == 0, one round in 3 epochs)
        iters_per_epoch=300,
        aug_features=True,  # average with a flip + pad + random-crop view before clustering
        # The average of the two L2-normalised views as it is (code, False) or L2-normalised again (True).
        renormalize_aug_average=False,
        # Camera-bias removal before clustering. "projection" (code, compute_P2/meanfeat_sub):
        # f <- normalise((X_c^T X_c + n_c lam I)^-1 (f - mu_c)) with lam; "mean" (paper Eq. 2):
        # f <- normalise(f - alpha mu_c).
        camera_bias=dict(method="projection", lam=0.0005, alpha=1.0),
        # f <- w f + (1 - w) mean_track (gallery); v1 0.3, v2 0.1. The paper's Eq. 3 gives this weight
        # (beta) as 0.0005, the value of the code's ridge lam: set 0.0005 for that literal reading.
        track_self_weight=0.3,
        k1=30,
        k2=6,
        jaccard_weight=0.9,  # distance = 0.9 Jaccard + 0.1 row-normalised cosine
        # The Jaccard term on the track-smoothed features as they are (code, False: they are not unit-norm;
        # faiss IndexFlatL2 neighbours and softmax(-(2 - 2 x_i.x_j)) weights, faiss_rerank.py), or on their
        # L2-normalised copies (True; on real features this changes up to a third of the Jaccard entries).
        normalize_features=False,
        eps=0.55,  # DBSCAN; the paper says the two variants use "two cluster parameters", the code
        min_samples=10,  # uses eps 0.55 in both
        camera_groups=False,  # v2: +10 between cameras < new_camera_min and >= it (never clustered together)
        new_camera_min=40,
        reset_optimizer_each_epoch=True,  # the code builds a new optimizer every epoch
    ),
    attribute=dict(
        # Orientation bins of the orientation model. "dmt_code" (datasets/sim_view.py):
        # int(max(angle - 0.1, 0) / 10), minus 5 when > 13 (31 labels, some shared);
        # "paper": 36 bins of 10 degrees.
        orientation_bins="dmt_code",
    ),
    test=dict(
        ims_per_batch=128,
        # Test features in float32 as DMT extracts them (False), or with mixed precision on CUDA (True).
        amp=False,
        # Augmentation test. Views of common.reid.features ("original", "flip", "crop": centre crop).
        views=["original", "flip"],  # FLIP_FEATS on (stage 1); stage-2 configs: ["original"]
        # Crop view: None, "center" (a centre crop of each image) or "detector" (CROP_TEST: the
        # crop_detections copies in data.crop_test_dir, or data.crop_train_dir for a Split-Test).
        crop_test=None,
        # DMT builds the gallery crop path with replace('image_gallery', ...) on image_test, so the
        # gallery "crop" is the original image (code, False); True crops the gallery too (paper).
        crop_gallery=False,
        top_k=100,  # the server scores mAP over the top-100 list; None: the full ranking (VeRi-776 convention)
        # AP@top_k over all relevant items of the gallery ("all", the standard convention), or over those
        # retrieved in the top_k ("retrieved": the server's convention as the VisDA organisers describe it,
        # higher; "min": min(top_k, relevant)). common.retrieval.metrics; the tables name the one printed.
        ap_normalizer="all",
        new_camera_min=40,  # cameras >= this are the test-only ("held-out") cameras
        post=dict(
            # Not in DMT (off): database-side augmentation of the gallery (mean of each item's k nearest gallery
            # items weighted by similarity^alpha; alpha 0: plain mean) and fast-reid's alpha query expansion
            # (TEST.AQE: k 5, alpha 3, 1 round, over queries and gallery pooled), applied in that order to the
            # test features before the distances (common.retrieval.query_expansion).
            dba=dict(enabled=False, k=10, alpha=0.0, times=1),
            aqe=dict(enabled=False, k=5, alpha=3.0, times=1),
            # Paper Sec. 3.3 and the code's query-to-track re-ranking; the code's image-level RE_RANKING
            # (used without tracks) has k1=50, k2=15, lambda_value=0.3.
            rerank=dict(enabled=True, k1=7, k2=2, lambda_value=0.6),
            track=dict(enabled=True, threshold=0.6, eps=0.01),  # weighted image-to-track re-ranking
            # Feature-level camera bias removal (FIC, ridge projection fitted on the gallery) with
            # lam (TEST.LA; 0.18 by default and in the paper, per model in the stage-2 configs), and the
            # inter-camera fusion: average the distances with and without it (code, fuse=True).
            fic=dict(enabled=True, lam=0.18, fuse=True),
            camera_verification=dict(enabled=True, same_camera_penalty=10.0, group_penalty=10.0),
            # D = D_r - camera_weight D_cam - view_weight D_view (paper Eq. 4); camera_model /
            # view_model: run directories of the camera / orientation models, or DMT-format distance files
            # (track_cam_rk.npy / track_view_rk.npy: queries x gallery tracks in ascending track id order).
            bias=dict(enabled=False, camera_weight=0.1, view_weight=0.05, camera_model=None, view_model=None),
        ),
        ablation=False,  # evaluate every cumulative post-processing step (paper Table 4)
        save_figures=True,
        ranked_list_queries=6,  # queries drawn with their top-10 gallery images (0: none)
    ),
    evaluate_after_training=True,
    # python -m reid_aicity.ensemble: members are run directories (their dist_mat.npy) or .npy files;
    # weights None sums them unweighted (DMT ensemble.py).
    ensemble=dict(members=[], weights=None),
)
