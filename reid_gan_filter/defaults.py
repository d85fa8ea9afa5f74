"""Every configuration key of ``reid_gan_filter`` with its default (the schema of ``common.config``).

A config file sets only what differs from these; a key that is not here stops the run with its name. No
official code exists and the paper's abstract fixes only the method's shape (two encoders, the distance of
each generated image to its own source in each space, small in E_c and large in E_d, the intersection of
the two selections). Everything else is a key below, with the reason for its default next to it; the numbers
quoted were measured on the synthetic set of ``reid_gan_filter.synthetic_generated`` (see the README).
"""
from __future__ import annotations

from common.config import OpenSection
from common.reid.model import IMAGENET_MEAN, IMAGENET_STD

#: The ReID "bag of tricks" baseline (Luo et al., CVPRW 2019), of E_c and of the comparison runs: Adam 3.5e-4,
#: linear warm-up from 1% over 10 epochs, x0.1 at epochs 40 and 70 of 120, P x K = 16 x 4, pad 10 + random crop +
#: flip, random erasing 0.5, label smoothing 0.1, batch-hard triplet margin 0.3.
BAG_OF_TRICKS = dict(epochs=120, ims_per_batch=64, num_instances=4, optimizer="Adam", base_lr=3.5e-4,
                     weight_decay=5e-4, warmup_epochs=10, warmup_factor=0.01, steps=[40, 70], gamma=0.1, padding=10,
                     erasing_prob=0.5, label_smoothing=0.1, triplet_margin=0.3, num_workers=4, checkpoint_every=10,
                     log_every=20)

DEFAULTS = dict(
    seed=0,
    device="auto",
    data=dict(
        # The real training set the generated images come from, and on which E_c is trained when no weights
        # are given: "market1501" or "dukemtmc" (the folder holding bounding_box_train/, or a parent of it).
        real=dict(root="data/market1501", layout="market1501"),
        # The generated images: either a common.gan manifest (manifest.csv|json), or a folder of images named
        # <source stem>_<anything>.<ext> with the folder of their sources (default: the real training folder).
        # Relative paths are resolved against path_root (default: the working directory, as
        # common.gan.generate writes them). generator: the name given to a folder's rows (default: its name).
        generated=dict(manifest=None, folder=None, source_folder=None, generator=None,
                       extensions=[".jpg", ".jpeg", ".png"], path_root=None),
        # A row whose generated file is missing, that has no source in the real set, whose pid is not its
        # source's or not in the real set, or that repeats another: False stops with the row named; True
        # leaves such rows out and reports how many (skipped.json in the run directory).
        skip_missing=False,
        # Optional CSV (generated_path, quality): the precision/recall table of the run. The synthetic set
        # writes generated/quality_synthetic.csv; positive_quality is the label of the images to keep.
        ground_truth=None,
        positive_quality="good",
        num_workers=4,  # image-decoding processes of the feature extraction
    ),
    encoders=dict(
        # Which encoder type maps images into each space (reid_gan_filter.encoders.ENCODER_TYPES), and the
        # distance there. E_c: a ReID model trained on the real set (what "same identity" means for ReID),
        # compared by cosine distance as ReID compares its L2-normalised features (Euclidean ranks those
        # alike). E_d: the parameter-free colour/texture statistics (what a style GAN changes, the same in
        # every run), compared by Euclidean distance, whose size is the amount of change. On the synthetic set
        # E_d separates near-copies from good images completely under either metric (AUC 1.0; the kept sets
        # at the 70th and 75th percentiles are identical), and E_c ranks good above identity-breaking images
        # with an AUC of 0.98 (demo scale).
        consistency=dict(type="reid", metric="cosine"),
        diversity=dict(type="colour_texture", metric="euclidean"),
        # Settings of each type, whichever space uses it.
        reid=dict(
            # A run directory (latest checkpoint) or checkpoint of a common.reid model of the architecture
            # below; None trains one on the real training set (consistency_training) into train_dir
            # (default <work_dir>/consistency_encoder), reused when already trained.
            weights=None,
            train_dir=None,
            backbone=OpenSection(name="resnet50_ibn_a", last_stride=1, pretrained=None),
            head=OpenSection(pooling="avg", neck_feat="after"),
            size=[256, 128],  # the usual person ReID input (height, width)
            # Test-time views averaged into the feature (common.reid.features): the ReID test feature.
            views=["original", "flip"],
            pixel_mean=list(IMAGENET_MEAN),
            pixel_std=list(IMAGENET_STD),
        ),
        # common.gan.ColourTextureDescriptor: colour mean/std in a rows x columns grid (a person's upper and
        # lower body and background in separate cells), per-channel colour histograms, gradient orientations,
        # sharpness per cell (common.gan's defaults); images are resized to size first (Market-1501's own).
        colour_texture=dict(grid=[4, 2], colour_bins=8, orientation_bins=8, size=[128, 64]),
        # An ImageNet timm classifier's pooled features (a generic appearance space, e.g. for E_d); weights: a
        # local state-dict file (required: nothing is downloaded); size: a person's aspect ratio.
        timm=dict(name="resnet50", weights=None, size=[256, 128], pixel_mean=list(IMAGENET_MEAN),
                  pixel_std=list(IMAGENET_STD)),
    ),
    # E_c training when encoders.reid.weights is None: the bag-of-tricks recipe (BAG_OF_TRICKS above).
    consistency_training=dict(BAG_OF_TRICKS),
    features=dict(
        batch_size=64,
        # Images per cached chunk (feature_cache): a rerun recomputes at most the chunks it has not finished.
        chunk_size=4096,
        cache_dir=None,  # default <work_dir>/feature_cache
    ),
    selection=dict(
        # Groups within which percentiles are taken: "source" (the images of one real image), "identity" or
        # "global". Global: a GAN's failures are not spread evenly over the sources (some sources give only
        # good images, others only bad ones), and a per-source percentile drops good images of sources that
        # have no bad one (with 4 images per source it keeps 3 of every 4 whatever the value). Synthetic demo
        # set, 70th percentiles: precision / recall of the kept good images 0.98 / 0.83 global, 0.91 / 0.76 per
        # identity, 0.67 / 0.72 per source.
        scope="global",
        # rule "percentile": value = % of each group kept in that space (consistency: the closest, diversity:
        # the farthest); "threshold": value = the distance cut-off. Percentiles need no knowledge of the
        # distance scale, which differs with the encoder, its training, the metric and the data. 70 keeps the
        # 70% most consistent and the 70% most diverse images: every bad image is dropped as long as each space
        # has at most 30% of them and ranks them last, and the intersection keeps at least 40%. Precision comes
        # first: the real images are always in the training set, and the paper's point is that fewer, better
        # generated images beat all of them. Synthetic demo set (a quarter near-copies, a quarter identity-
        # breaking), global: 65 -> 0.99 / 0.68, 70 -> 0.98 / 0.83, 75 -> 0.93 / 0.96, 80 -> 0.80 / 0.99
        # (precision / recall); test scale, data seeds 0-3 at 70: precision 0.92-0.97, recall 0.75-0.80.
        consistency=dict(rule="percentile", value=70.0),
        diversity=dict(rule="percentile", value=70.0),
        # "intersection" (the paper) or "union".
        combine="intersection",
    ),
    report=dict(
        histogram_bins=40,
        scatter_max_points=20000,
        grid_images=8,  # best kept and worst rejected pairs per generator
    ),
    # python -m reid_gan_filter.train: a ReID model of the encoders.reid architecture trained with the real
    # training set and the chosen generated images, evaluated on the real query / gallery.
    train=dict(
        # "supervised": the real training set's labels; "uda": a labelled source domain (uda.source) first,
        # then the real training set pseudo-labelled (k-reciprocal Jaccard + DBSCAN, common.retrieval).
        setting="supervised",
        # The generated images added to training: "none" (real only), "all" (every checked row of
        # data.generated) or "filtered" (the kept rows of the score run in score_run). A generated image is
        # labelled like its source image (its pid, or in UDA its source's pseudo-label).
        generated="filtered",
        score_run=None,
        # The recipe (the keys of consistency_training): the same "bag of tricks" baseline by default.
        recipe=dict(BAG_OF_TRICKS),
        uda=dict(
            # The labelled source domain: "personx" (a VisDA-2020 folder holding personX/image_train),
            # "market1501" or "dukemtmc". Its model is trained with the recipe, then adapted.
            source=dict(root=None, layout="personx"),
            # A model already trained on that source (a run directory or checkpoint of the encoders.reid
            # architecture) to adapt from; None trains one into <run>/source.
            source_weights=None,
            # Pseudo-label rounds on the real training set, each re-clustering with the current model and
            # fine-tuning a fresh classifier for epochs_per_round epochs (recipe without warm-up or steps).
            # Clustering as SpCL / OpenUnReID do it: Jaccard distance with k1 30, k2 6, DBSCAN with eps 0.6 and
            # min_samples 4; noise is left out.
            rounds=4,
            epochs_per_round=10,
            k1=30,
            k2=6,
            eps=0.6,
            min_samples=4,
        ),
        # Test features: the L2-normalised mean over these views; mAP / CMC / mINP under the Market-1501
        # protocol on the full ranking.
        views=["original", "flip"],
        ims_per_batch=128,
    ),
    # python -m reid_gan_filter.ablation: the selection's values (selection.consistency / diversity .value, under
    # their rule) over a grid, each cell selected from the scores of train.score_run and, with train, trained as
    # a train.setting comparison run. With percentiles, 100 keeps every image in that space, so the default 3 x 3
    # grid holds the intersection at two strictnesses, E_c alone (diversity 100), E_d alone (consistency 100)
    # and all generated images (both 100): 9 training runs.
    ablation=dict(consistency=[50.0, 70.0, 100.0], diversity=[50.0, 70.0, 100.0], train=True),
    # python -m reid_gan_filter.evaluate RUN --split ...: where the person data sets are (market1501 / dukemtmc /
    # msmt17, common.person's loaders), a query / gallery folder pair, and how many queries to draw.
    evaluate=dict(person_root="data", folders=dict(query=None, gallery=None), ranked_list_queries=6),
)
