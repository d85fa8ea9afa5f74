"""Bias elimination for domain adaptive pedestrian ReID: the 1st-place solution of the VisDA-2020 challenge
(Gu et al., arXiv:2012.13498; ``vimar-gu/Bias-Eliminate-DA-ReID``), end to end on ``common.reid``,
``common.retrieval``, ``common.person`` and ``common.gan``.

Modules, in the order of the method:

* data: ``prepare_data`` (the VisDA-2020 download -> the official re-organised ``Corrected_*`` trees),
  ``data`` (training sets, CamStyle pairing, domain-mixing batches, loaders); the SPGAN and CamStyle
  (StarGAN) images come from ``common.gan``;
* stage 1: ``models`` (GAP+GMP -> 512 -> BN -> dropout head, one classifier per domain), ``optimizer``,
  ``trainer`` (original + CamStyle chunks), ``baseline``;
* ``camera_model``: the target camera classifier;
* stage 2: ``pseudo_labels`` (k-reciprocal distance, DBSCAN, the 500 largest clusters, outlier classes)
  and ``adaptation`` (adaptation and finetune);
* inference: ``post_processing`` (camera projection, kNN smoothing, re-ranking, camera distance, same-camera
  penalty, topology), ``topology`` (the camera-transition matrix from validation data), ``evaluate``,
  ``ensemble`` (weighted distances, ``result.txt``);
* entry points: ``train``, ``evaluate``, ``ensemble``, ``topology``, ``prepare_data``, ``demo``; settings:
  ``defaults`` (every config key) and ``configs/``.
"""
