"""The ReID training core shared by the AI City (DMT), VisDA (Bias-Eliminate) and GAN-filter pipelines.

One concept per module:

* ``backbones``: registry ``build_backbone(name, last_stride=, pretrained=, **kw)`` over
  ``resnet_ibn`` (ResNet/ResNeXt/SE-ResNet with IBN-a/IBN-b), ``densenet_ibn`` (DenseNet-IBN-a),
  ``timm_backbones`` (ResNeSt) and ``vit_transreid`` (ViT with overlapping patches); ``pretrained``
  loads checked weights.
* ``pooling``, ``margin_classifiers``, ``head`` (pooling -> reduction -> BNNeck -> classifier) and
  ``model`` (``ReIDModel``, ``build_reid_model``).
* ``losses``: cross-entropy (label smoothing), batch-hard / weighted triplet, ``ReIDLoss``.
* ``dataset`` (checked ``(img_path, pid, camid[, extra])`` lists), ``transforms``, ``sampler``
  (P x K, DDP-aware), ``features`` (extraction with flip/crop TTA).
* ``solver`` (parameter groups, warm-up + step/cosine schedules) and ``trainer`` (``ReIDTrainer``).
"""
