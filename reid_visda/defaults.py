"""Every configuration key of ``reid_visda`` with its default (the schema of ``common.config``).

A config file sets only what differs from these; a key that is not here stops the run with its name
(``common.config.ConfigKeyError``). Defaults follow the official code (vimar-gu/Bias-Eliminate-DA-ReID,
``config/defaults.py`` and ``configs/{baseline,adaptation,finetune,camera,test}.yml``); where the
technical report says otherwise, a key selects the report's variant and the comment next to it says so.
"""
from __future__ import annotations

from common.config import OpenSection
from common.reid.model import IMAGENET_MEAN

#: What ``python -m reid_visda.train`` runs, by ``stage``.
STAGES = ("baseline", "camera", "adaptation", "finetune")

DEFAULTS = dict(
    # baseline: supervised on the (translated) source + its CamStyle copies; camera: the target
    # camera classifier; adaptation / finetune: source + pseudo-labelled target (finetune adds the
    # camera-distance subtraction and the outlier classes to the pseudo-labels).
    stage="baseline",
    seed=1,  # official setup_seed(1)
    device="auto",
    deterministic=False,
    data=dict(
        # The folder holding the official re-organised trees (python -m reid_visda.prepare_data writes
        # them from the VisDA-2020 download; the GANs of common.gan add the *_spgan / *_camstyle folders).
        root="data/visda",
        source_dir="Corrected_personX",
        target_dir="Corrected_target_training",
        val_dir="Corrected_valid",
        test_dir="Corrected_test",
        # SRC_DATA.TRANSFERED: "spgan" reads trainval_spgan/ (+ trainval_spgan_camstyle/), "original"
        # reads trainval/ (+ trainval_camstyle/). The target always reads its original images.
        source_transferred="spgan",
        # Baseline batches of 48 original + 48 CamStyle images (the code). False trains on 96 original
        # images per step: the "direct transfer" and "+ SPGAN" rows of the report's Table 1.
        camstyle=True,
        camstyle_group_sizes=[6, 8],  # visda_dataset.py: a CamStyle group has 6 or 8 images
        num_workers=4,
        # Other retrieval sets for python -m reid_visda.evaluate --split: "market1501", "dukemtmc", "msmt17"
        # (their query / gallery under person_root, common.person's loaders) or "folders" (a query and a
        # gallery folder; identities and cameras from names <id>_c<camera>... when every name has them).
        person_root="data",
        folders=dict(query=None, gallery=None),
    ),
    input=dict(
        size_train=[384, 128],  # the report's "large" models: [384, 192]
        size_test=[384, 128],
        flip_prob=0.5,
        padding=10,
        erasing_prob=1.0,  # INPUT.RE_PROB
        erasing_sampling="zhong",  # the code's RandomErasing (uniform aspect ratio, 100 attempts)
        erasing_scale=[0.02, 0.2],  # sl 0.02, INPUT.RE_SH 0.2
        erasing_ratio=0.3,  # r1
        # The code resizes every image with PIL bilinear before its transforms.
        interpolation="bilinear",
        pixel_mean=list(IMAGENET_MEAN),  # INPUT.PIXEL_MEAN [123.675, 116.28, 103.53] / 255
        pixel_std=[57.0 / 255] * 3,  # INPUT.PIXEL_STD [57, 57, 57] / 255 (not ImageNet's std)
    ),
    model=dict(
        backbone=OpenSection(name="resnet50_ibn_a", last_stride=1, pretrained=None),
        # GAP + GMP summed -> Linear 2048->512 (MODEL.NECK) -> BN (trainable bias) -> dropout 0.7; the
        # test feature is the BN output (common.reid.head.EmbeddingHead; the classifiers are per domain).
        head=dict(pooling="avgmax", reduction_dim=512, bnneck=True, bnneck_bias_frozen=False, dropout=0.7,
                  neck_feat="after"),
        # Weights to start from: a run directory (its latest checkpoint), a checkpoint file or a plain
        # state dict. Classifiers are never loaded (the code's load_param('self') skips every key
        # containing "classifier"): adaptation starts from the baseline, finetune from adaptation. VisDA.md
        # passes the baseline's epoch-60 checkpoint (its last, saved every 6 epochs) and a hand-picked "best"
        # adapted model; give that checkpoint file here to do the same.
        init_from=None,
    ),
    loss=dict(
        # 'trp_cls': label-smoothed CE (IF_LABELSMOOTH 'on', epsilon 0.1) + the softmax-weighted
        # soft-margin triplet on L2-normalised features (TRP_L2 'yes'), both on the post-BN feature.
        ce=dict(weight=1.0, label_smoothing=0.1),
        triplet=dict(weight=1.0, margin=0.0, mining="weighted", feature="bn_feat", normalize=True),
    ),
    sampler=dict(
        num_instances=8,  # NUM_INSTANCE (camera model: 16)
        # "official": batches composed as RandomIdentitySampler_ImgUniform (each identity's last n mod K
        # images dropped, a pass ends when fewer than P identities have chunks left) and epochs as long as
        # the code's DataLoader counts them; "balanced": common.reid.sampler.IdentitySampler (every image
        # once per epoch, last chunks topped up).
        kind="official",
    ),
    solver=dict(
        optimizer="SGD",
        base_lr=0.02,
        momentum=0.9,
        weight_decay=0.0,
        weight_decay_bias=5e-4,  # SOLVER.WEIGHT_DECAY_BIAS keeps its default while WEIGHT_DECAY is 0
        bias_lr_factor=1.0,
        ims_per_batch=96,
        max_epochs=61,  # the code's MAX_EPOCHS; the report says 60
        steps=[24, 48],
        gamma=0.1,
        warmup_epochs=10,
        warmup_factor=0.01,
        # WarmupMultiStepLR is stepped at the start of every epoch after PyTorch (>= 1.1) has already
        # stepped it once at construction, so epoch e (1-based) uses the factor of e. With PyTorch
        # 1.0 (the README asks for >= 1.0) the first epoch used step 0: set 0 for that.
        epoch_offset=1,
        amp=False,  # the code trains in fp32
        grad_clip_norm=None,
        checkpoint_every=6,  # CHECKPOINT_PERIOD
        keep_last=2,
        log_every=30,  # LOG_PERIOD
    ),
    adaptation=dict(
        domain_probs=[0.5, 0.5],  # DATALOADER.SAMPLER_PROB (source, target): the domain of each chunk
        loss_weights=[1.0, 1.0],  # LOSS.LOSS_WEIGHTS (source, target)
        original_fraction=0.25,  # 24 original + 72 CamStyle images per step of 96
        target_classifier_lr=0.02,  # TGT_UNSUPDATA.CLS_LR, kept constant by the schedule
        # When the target is pseudo-labelled. "initial" (the code): once, before the first epoch, and trained
        # on for every epoch -- engine/adaptation_trainer.py re-clusters every PSOLABEL_PERIOD epochs, but
        # assigns the new loaders to local variables of its event handler, so training never sees them.
        # "every" (report Sec. 2.3: "executed every 6 epochs"): relabel every pseudo_label_every epochs.
        relabel="initial",
        pseudo_label_every=6,  # PSOLABEL_PERIOD (epochs), for relabel="every"
        # Cluster(): features of the pixel mean of each target image and its CamStyle copies, cast to
        # float16 as the code does, k-reciprocal distance of the set against itself (k1 20, k2 6,
        # lambda 0.3), minus camera_weight x camera-feature distance (finetune), negatives set to 0.
        # Only the features are rounded: the code's re-ranking also stores its expanded encodings V_qe in
        # float16, which common.retrieval keeps in float32 (distances differ by ~1e-4).
        half_precision_features=True,
        k1=20,
        k2=6,
        lambda_value=0.3,
        camera_weight=0.1,
        eps=0.5,  # TGT_UNSUPDATA.CLUSTER_DIST_THRD
        min_samples=4,
        top_clusters=500,  # TGT_UNSUPDATA.CLUSTER_TOPK: the largest clusters become classes
        # Finetune's extra classes. "official" (the code): every value of the label set outside the
        # top clusters -- the other clusters and the DBSCAN noise group -- in Python set order, gets
        # label top - 1 + j for j = 0..count (the first shares the last top cluster's label); the
        # classifier has top + count rows. "paper" (report Sec. 2.3): `count` single-image classes
        # drawn from the noise images. "none": outliers are dropped, as in adaptation.
        outliers=dict(mode="official", count=200),
    ),
    # A camera-model run directory (stage "camera"): its features enter finetune's pseudo-labels and,
    # with its predicted cameras, the test-time post-processing (TEST.CAMERA_WEIGHT).
    camera_model=None,
    test=dict(
        ims_per_batch=64,
        views=["original", "flip"],  # tester.py sums the original and flipped features
        # The camera model reads the last view the tester computed, the flipped image.
        camera_view="flip",
        top_k=100,  # the VisDA server scores the top-100 list
        post=dict(
            # R1_mAP_reranking, each step a switch, in this order. Cameras are the camera model's
            # predictions (the test set has none); "labels" uses the data's cameras mapped to the
            # camera model's classes (validation only).
            cameras="predicted",
            # The code casts the features to float16 first; it then also forms the projection's Gram matrix
            # and camera means in float16 and stores re-ranking's V_qe in float16, which are kept in
            # float32/64 here (distances differ by ~1e-4).
            half_precision_features=True,
            camera_projection=dict(enabled=True, lam=0.02),  # compute_P2 / meanfeat_sub on the gallery
            smoothing=dict(enabled=True, rounds=3, knn=50, beta=0.03, alpha=0.2, carry_knn=True),
            rerank=dict(enabled=True, k1=30, k2=8, lambda_value=0.3),
            camera_distance=dict(enabled=True, weight=0.1),  # d -= 0.1 x camera-feature distance
            same_camera=dict(enabled=True, penalty=1.0),  # d += 1 where the predicted cameras agree
            # d -= weight x d x T[q_cam, g_cam], i.e. pairs of likely camera transitions come closer (the
            # report's words, "larger distance weights", suggest the opposite; the code's formula is kept).
            # The code hard-codes a 5x5 T its authors measured on the validation set; here T is measured
            # by reid_visda.topology: a .npy file it wrote, or "estimate" to measure it on data.val_dir now
            # (optimistic when scoring that same validation set).
            topology=dict(enabled=True, weight=1.0, matrix="estimate"),
        ),
        ablation=True,  # also score every cumulative post-processing step
        save_figures=True,
        ranked_list_queries=6,  # queries drawn with their top-10 gallery images (0: none)
    ),
    evaluate_after_training=True,
    # python -m reid_visda.ensemble (utils/ensemble.py): members are evaluation directories (their
    # distmat.npy, re-ranked, before the camera terms), weights as in the code for
    # r50a, r50b, r101a, hrnet at 384x128 then 384x192; camera_members hold camdistmat.npy (averaged; camera
    # runs evaluated with reid_visda.evaluate), camera_predictions the q_pred.npy / g_pred.npy to use. The code
    # accumulates in float16 (half_precision; its later camera terms stay float16 too, here float32) and
    # ranks with an unstable argsort, so tied distances may come out in another order.
    ensemble=dict(members=[], weights=[2, 1, 2, 1, 2, 1, 2, 1], camera_members=[], camera_predictions=None,
                  half_precision=True, split="test"),
)
