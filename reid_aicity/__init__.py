"""DMT: the 1st-place vehicle ReID solution of the AI City Challenge 2021, Track 2 (Luo et al., CVPRW 2021;
``michuanhaohao/AICITY2021_Track2_DMT``), end to end on ``common.reid`` and ``common.retrieval``.

Modules, in the order of the method:

* data: ``label_xml`` (AI City / VeRi / VehicleX XML labels, any declared encoding), ``track_files``,
  ``datasets`` (AIC21 Track 2, VehicleX, VeRi-776), ``crop_detections`` (CVF2-C crops from COCO-results
  boxes), ``split_test`` (the seeded Split-Test), ``data`` (training sets, target set, loaders);
  ``synthetic_vehicles`` and ``make_synthetic`` (a synthetic data set in the AI City layout);
* stage 1: ``models``, ``optimizer``, ``stage1`` (supervised training on real + synthetic + cropped data);
* stage 2: ``pseudo_labels`` (camera-bias removal, track smoothing, Jaccard + cosine distance, DBSCAN)
  and ``stage2_uda`` (fine-tuning on the pseudo-labels);
* ``attribute_models``: the camera and orientation models;
* inference: ``inference`` (augmentation test), ``post_processing`` (re-ranking, weighted tracklets,
  camera verification, inter-camera fusion, camera/orientation bias), ``evaluation`` (top-100 mAP,
  CMC), ``ensemble`` (sum of distance matrices, ``track2.txt``);
* entry points: ``train``, ``evaluate``, ``ensemble``, ``make_synthetic``, ``crop_detections``, ``demo``;
  settings: ``defaults`` (every config key) and ``configs/``.
"""
