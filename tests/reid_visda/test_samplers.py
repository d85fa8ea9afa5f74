"""The domain-mixing batch sampler (the code's ``Sampler_All``) and the paired loaders."""
import numpy as np
import pytest

from common.reid.sampler import IdentitySampler
from reid_visda.data import DomainMixingBatchSampler


def mixing(rank=0, world=1, probs=(0.5, 0.5), seed=0):
    source = IdentitySampler(np.repeat(np.arange(6), 4), 2, 4, seed=1, rank=rank, world_size=world)
    target = IdentitySampler(np.repeat(np.arange(5), 6), 2, 4, seed=2, rank=rank, world_size=world)
    return DomainMixingBatchSampler([source, target], offsets=[0, 24], probs=probs, num_batches=400, seed=seed)


def test_each_batch_comes_from_one_domain_with_the_given_probability():
    sampler = mixing(probs=(0.25, 0.75))
    sampler.set_epoch(2)
    domains = sampler.domains()
    for batch, d in zip(sampler, domains):
        assert len(batch) == 8
        assert all((i < 24) if d == 0 else (24 <= i < 54) for i in batch)
    assert abs((domains == 1).mean() - 0.75) < 0.06
    assert len(list(sampler)) == len(sampler) == 400


def test_processes_draw_the_same_domains_and_split_the_batch():
    single, parts = mixing(), [mixing(rank=r, world=2) for r in range(2)]
    for s in (single, *parts):
        s.set_epoch(5)
    np.testing.assert_array_equal(parts[0].domains(), single.domains())
    for whole, a, b in zip(single, *parts):
        assert sorted(a + b) == sorted(whole) and not set(a) & set(b)


def test_epochs_differ_and_repeat():
    s = mixing()
    s.set_epoch(0)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first
    s.set_epoch(0)
    assert list(s) == first


def test_bad_probabilities():
    with pytest.raises(ValueError, match="sum to 1"):
        mixing(probs=(0.5, 0.6))


def test_baseline_epoch_has_the_official_length(visda_trees):
    from pathlib import Path

    from common.config import load_config
    from common.distributed import DistInfo
    from common.reid.sampler import estimated_images
    from reid_visda.data import baseline_loader, load_source
    from reid_visda.defaults import DEFAULTS

    config = Path(__file__).resolve().parents[2] / "reid_visda" / "configs" / "baseline_resnet18_ibn_a_synthetic.py"
    cfg = load_config(config, {"data.root": str(visda_trees), "sampler.num_instances": 4,
                               "solver.ims_per_batch": 16}, schema=DEFAULTS)
    tree = load_source(cfg)
    loader = baseline_loader(cfg, tree, DistInfo(0, 1, 0, "cpu"))
    expected = -(-estimated_images([item.pid for item in tree.train], 4) // 8)  # the DataLoader's ceil
    assert len(loader) == expected == len(list(loader.original.batch_sampler))
