"""Exploring the quality of GAN generated images for person ReID (Jiang et al., ACM MM 2021): score every
generated training image by identity consistency and diversity against its own source image, and keep the
images that are both, on ``common.reid``, ``common.gan`` and ``common.person``.

Modules, in the order of the method:

* data: ``real_set`` (the real training set with the pids of its file names), ``generated_set`` (a
  ``common.gan`` manifest or a folder pair, checked row by row against the real set), ``ground_truth``
  (known qualities and the precision/recall of a selection);
* the two spaces: ``encoders`` (E_c: a ReID model trained on the real set; E_d: the parameter-free colour/
  texture descriptor; or a local timm backbone), ``consistency_training`` (trains E_c), ``feature_cache``
  (batched, chunked, resumable features), ``scoring`` (each generated image's distance to its source);
* ``selection`` (threshold or percentile per space, per source / identity / globally, intersection or union);
* ``figures``; entry point ``score`` (``python -m reid_gan_filter.score <config>``); settings ``defaults``
  (every key) and ``configs/``;
* training with the kept images: ``reid_training`` (the bag-of-tricks recipe of E_c and of every comparison
  run), ``training_sets`` (real, generated, source and evaluation images), ``training_runs`` (supervised and UDA
  runs, evaluation); entry points ``train`` (one run), ``evaluate`` (a run on another retrieval set),
  ``compare`` (one table of runs) and ``ablation`` (a grid of selection cut-offs);
* synthetic data of known quality: ``synthetic_generated`` (good, near-copy and identity-breaking generated
  images of a synthetic Market-1501 set) and its writer ``make_synthetic``; ``demo`` runs everything on it.
"""
