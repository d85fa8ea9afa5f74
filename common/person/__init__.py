"""Person ReID data: loaders of the real on-disk layouts and a procedural synthetic data set.

* ``datasets``: ``PersonSplits``, Market-1501, DukeMTMC-reID and MSMT17 (torchreid's conventions);
* ``visda``: the VisDA-2020 challenge layout (PersonX source, target training/validation/test);
* ``bias_eliminate``: the re-organised tree of the official Bias-Eliminate code (``trainval``,
  CamStyle groups, ``test_probe``/``test_gallery``) and names that it parses;
* ``synthetic``: procedurally drawn people, source (PersonX-like) and target (real-like) domains
  and cameras; ``make_synthetic`` writes them in the VisDA-2020 or Market-1501 layout
  (``python -m common.person.make_synthetic --root DIR``; ``make_synthetic_dataset(root, SCALES["demo"])``);
  ``ground_truth`` reads the identities of its anonymous sets.

Every loader returns ``common.reid.dataset.ReIDItem`` lists checked by ``check_items``.
"""
from .bias_eliminate import (OFFICIAL_GROUP_SIZES, BiasEliminateTree, bias_eliminate_name, camstyle_copy_name,
                             load_bias_eliminate_tree)
from .datasets import (PERSON_DATASETS, PersonDataError, PersonSplits, load_dukemtmc, load_market1501,
                       load_msmt17)
from .ground_truth import read_synthetic_identities, with_synthetic_identities
from .visda import load_personx, load_visda_target_training, load_visda_test, load_visda_validation

__all__ = [
    "BiasEliminateTree", "OFFICIAL_GROUP_SIZES", "PERSON_DATASETS", "PersonDataError", "PersonSplits", "bias_eliminate_name",
    "camstyle_copy_name", "load_bias_eliminate_tree", "load_dukemtmc", "load_market1501", "load_msmt17",
    "load_personx", "load_visda_target_training", "load_visda_test", "load_visda_validation",
    "read_synthetic_identities", "with_synthetic_identities",
]
