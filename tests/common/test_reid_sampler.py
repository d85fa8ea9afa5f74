"""P x K identity sampler: batch composition, coverage, determinism and DDP shards."""
from collections import Counter

import numpy as np
import pytest

from common.reid.sampler import IdentitySampler

# 9 identities with 1 to 11 images each (some below K, some not a multiple of K)
COUNTS = [1, 3, 4, 5, 7, 8, 9, 11, 2]
PIDS = [pid for pid, n in enumerate(COUNTS) for _ in range(n)]
np.random.default_rng(0).shuffle(PIDS)


def test_every_batch_holds_p_identities_times_k_images():
    sampler = IdentitySampler(PIDS, num_identities=3, num_instances=4, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    for batch in batches:
        assert len(batch) == 12
        ids = [PIDS[i] for i in batch]
        assert sorted(Counter(ids).values()) == [4, 4, 4]
        # the K images of an identity are contiguous in the batch
        assert all(len(set(ids[j:j + 4])) == 1 for j in range(0, 12, 4))


def test_an_epoch_covers_the_dataset():
    sampler = IdentitySampler(PIDS, num_identities=3, num_instances=4, seed=1)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        seen = {i for batch in sampler for i in batch}
        assert seen == set(range(len(PIDS)))
    # chunks: ceil(n / 4) per identity = 1+1+1+2+2+2+3+3+1 = 16 -> ceil(16 / 3) = 6 batches
    assert len(sampler) == 6


def test_order_depends_only_on_seed_and_epoch():
    a, b = IdentitySampler(PIDS, 3, 4, seed=7), IdentitySampler(PIDS, 3, 4, seed=7)
    assert list(a) == list(b)
    b.set_epoch(1)
    assert list(a) != list(b)
    assert list(a) != list(IdentitySampler(PIDS, 3, 4, seed=8))


def test_ddp_shards_are_disjoint_equal_length_and_form_the_single_process_batch():
    single = IdentitySampler(PIDS, num_identities=4, num_instances=2, seed=3)
    ranks = [IdentitySampler(PIDS, num_identities=4, num_instances=2, seed=3, rank=r, world_size=2)
             for r in range(2)]
    for s in (single, *ranks):
        s.set_epoch(5)
    assert len(ranks[0]) == len(ranks[1]) == len(single)
    for whole, shard0, shard1 in zip(single, *ranks):
        assert len(shard0) == len(shard1) == 4  # (P / W) * K
        assert not set(shard0) & set(shard1)
        assert sorted(shard0 + shard1) == sorted(whole)
        assert not {PIDS[i] for i in shard0} & {PIDS[i] for i in shard1}
    with pytest.raises(ValueError, match="divisible by the world size"):
        IdentitySampler(PIDS, num_identities=3, num_instances=2, rank=0, world_size=2)


def test_a_dominant_identity_gets_one_chunk_per_batch():
    pids = [0] * 40 + [1, 1, 2, 2, 3]
    sampler = IdentitySampler(pids, num_identities=2, num_instances=4)
    batches = list(sampler)
    assert len(batches) == 10  # identity 0 alone has 10 chunks
    for batch in batches:
        assert sorted(Counter(pids[i] for i in batch).values()) == [4, 4]
    assert {i for b in batches for i in b} == set(range(len(pids)))


def test_invalid_labels_and_sizes_are_rejected():
    with pytest.raises(ValueError, match="unlabelled"):
        IdentitySampler([0, 1, -1, 1], 2, 2)
    with pytest.raises(ValueError, match="only 2"):
        IdentitySampler([0, 1, 1, 0], 3, 2)


def test_an_identity_meets_varying_identities():
    """Batch-hard mining needs varied negatives: an identity's chunks do not always share a batch with
    the same identities (16 identities x 2 chunks, P = 8: a fixed grouping would repeat batches)."""
    pids = [pid for pid in range(16) for _ in range(8)]
    sampler = IdentitySampler(pids, num_identities=8, num_instances=4, seed=0)
    compositions = [frozenset(pids[i] for i in batch) for batch in sampler]
    assert len(set(compositions)) == len(compositions) == 4
    met = set()
    for epoch in range(3):
        sampler.set_epoch(epoch)
        met |= {pids[i] for batch in sampler if 0 in {pids[j] for j in batch} for i in batch}
    assert met == set(range(16))


def test_cycling_batch_sampler_restarts_its_inner_sampler():
    from common.reid.sampler import CyclingBatchSampler

    inner = IdentitySampler([0, 0, 1, 1, 2, 2], num_identities=2, num_instances=2, seed=0)
    per_epoch = len(inner)
    cyc = CyclingBatchSampler(inner, per_epoch * 2 + 1)
    cyc.set_epoch(3)
    batches = list(cyc)
    assert len(batches) == len(cyc) == per_epoch * 2 + 1
    inner.set_epoch(3 * 1000)
    first = list(inner)
    inner.set_epoch(3 * 1000 + 1)
    second = list(inner)
    assert batches[:per_epoch] == first and batches[per_epoch:2 * per_epoch] == second
    with pytest.raises(ValueError, match="num_batches must be >= 1"):
        CyclingBatchSampler(inner, 0)


def strong_baseline_pass(pids, batch_size, k, rng):
    """reid-strong-baseline's RandomIdentitySampler.__iter__ re-stated (numpy RNG instead of random)."""
    index = {}
    for i, pid in enumerate(pids):
        index.setdefault(pid, []).append(i)
    chunks = {}
    for pid, idxs in index.items():
        idxs = list(rng.choice(idxs, size=k, replace=True)) if len(idxs) < k else list(idxs)
        rng.shuffle(idxs)
        chunks[pid] = [idxs[i:i + k] for i in range(0, len(idxs) - len(idxs) % k, k)]
    available, final = list(index), []
    while len(available) >= batch_size // k:
        for pid in rng.choice(available, batch_size // k, replace=False):
            final.extend(chunks[pid].pop(0))
            if not chunks[pid]:
                available.remove(pid)
    return final


def test_random_identity_sampler_composition():
    from common.reid.sampler import RandomIdentitySampler, estimated_images

    pids = [0] * 11 + [1] * 3 + [2] * 8 + [3] * 9 + [4] * 16  # remainders, an identity with < K images
    sampler = RandomIdentitySampler(pids, num_identities=2, num_instances=4, seed=3)
    passes = []
    for epoch in range(20):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        passes.append(len(batches))
        used = [i for b in batches for i in b]
        for b in batches:
            assert len(b) == 8 and len({pids[i] for i in b}) == 2
        per_id = Counter(pids[i] for i in used)
        assert per_id[0] <= 8 and per_id[3] <= 8 and per_id[1] <= 4  # last n mod K images dropped
    # pass lengths vary with the draw, like the official sampler's (same sets of possible lengths)
    rng = np.random.default_rng(0)
    official = {len(strong_baseline_pass(pids, 8, 4, rng)) // 8 for _ in range(200)}
    assert set(passes) <= official and len(set(passes)) > 1
    assert estimated_images(pids, 4) == 8 + 4 + 8 + 8 + 16
