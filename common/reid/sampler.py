"""P x K identity sampling: every batch holds P identities with K images each (batch-hard triplets
need positives and negatives in the same batch).

``IdentitySampler`` is a *batch* sampler (``DataLoader(dataset, batch_sampler=sampler)``):

* **Epoch.** Each identity's images are shuffled and cut into chunks of K; the last chunk is topped
  up with other images of the same identity (drawn with replacement only when the identity has fewer
  than K images). The chunks are spread evenly over ``max(ceil(chunks / P), max chunks of one
  identity)`` batches of P distinct identities, topped up with extra chunks where a batch is short. So every image
  appears at least once per epoch; reid-strong-baseline's ``RandomIdentitySampler`` (used by DMT)
  instead drops each identity's last ``n mod K`` images and the chunks left once fewer than P
  identities remain.
* **Determinism.** The order depends only on ``seed`` and the epoch set by ``set_epoch`` (like
  ``DistributedSampler``), not on the global RNG, so resumed and multi-process runs see the same
  batches.
* **DDP.** P is the *global* number of identities per step. Every process builds the same global
  batch and keeps its share: identities ``rank, rank + W, ...`` of it (P must be divisible by the
  world size W). The shares of one step are disjoint, their union is the single-process batch, and all
  processes have the same number of steps.

``RandomIdentitySampler`` composes its batches as reid-strong-baseline's sampler of that name (DMT's,
and the VisDA winner's ``RandomIdentitySampler_ImgUniform``) does, with the same determinism and DDP
shares. Its passes end when fewer than P identities have chunks left, so their lengths vary; the
official loaders size an epoch from ``estimated_images`` instead and cycle through the passes:
``CyclingBatchSampler(RandomIdentitySampler(...), ceil(estimated_images / (P K)))``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterator, Sequence

import numpy as np
import torch.distributed as dist
from torch.utils.data import Sampler


class IdentitySampler(Sampler[list[int]]):
    """Batch sampler yielding ``(P / world_size) * K`` dataset indices per step.

    Args:
        pids: identity label of every dataset index (``[N]``, non-negative).
        num_identities: P, identities per global batch.
        num_instances: K, images per identity in a batch.
        seed: base seed of the shuffling.
        rank, world_size: this process's share; default from ``torch.distributed`` when initialised,
            else ``0`` and ``1``.
    """

    def __init__(self, pids: Sequence[int], num_identities: int, num_instances: int, seed: int = 0,
                 rank: int | None = None, world_size: int | None = None) -> None:
        if world_size is None:
            world_size = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        if rank is None:
            rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
        if num_instances < 1 or num_identities < 1:
            raise ValueError(f"P and K must be >= 1, got P={num_identities}, K={num_instances}")
        if num_identities % world_size:
            raise ValueError(f"P={num_identities} identities per batch cannot be split over {world_size} "
                             "processes; choose P divisible by the world size")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside [0, {world_size})")
        pids = np.asarray(pids)
        if pids.ndim != 1 or (pids.size and pids.min() < 0):
            raise ValueError("IdentitySampler needs one non-negative identity label per sample; drop "
                             "unlabelled samples (pid -1) first")
        groups = defaultdict(list)
        for index, pid in enumerate(pids.tolist()):
            groups[pid].append(index)
        self.index_by_pid = {pid: np.asarray(idx) for pid, idx in sorted(groups.items())}
        if len(self.index_by_pid) < num_identities:
            raise ValueError(f"P={num_identities} identities per batch, but the dataset has only "
                             f"{len(self.index_by_pid)}; lower P")
        self.P, self.K, self.seed = num_identities, num_instances, seed
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        chunks_per_pid = [-(-len(idx) // self.K) for idx in self.index_by_pid.values()]
        # Enough batches for all chunks, and at least as many as any identity has chunks (an identity
        # appears at most once per batch).
        self._num_batches = max(-(-sum(chunks_per_pid) // self.P), max(chunks_per_pid))

    def set_epoch(self, epoch: int) -> None:
        """Select the shuffling of ``epoch`` (call before iterating, as with ``DistributedSampler``)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self._num_batches

    def _chunks(self, rng: np.random.Generator, pid: int) -> list[np.ndarray]:
        """The identity's images, shuffled and cut into chunks of K (the last one topped up)."""
        idx = rng.permutation(self.index_by_pid[pid])
        remainder = (-len(idx)) % self.K
        if remainder:
            # Top up the last (partial) chunk with images from the full chunks before it.
            others = idx[:len(idx) - len(idx) % self.K] if len(idx) > self.K else idx
            idx = np.concatenate([idx, rng.choice(others, size=remainder, replace=len(others) < remainder)])
        return list(idx.reshape(-1, self.K))

    def global_batches(self) -> list[list[list[int]]]:
        """This epoch's global batches: for each step, P lists of K indices (one per identity).

        Identities are taken in random order and each puts its chunks into that many distinct batches,
        the least filled ones (ties broken at random). Fill levels thus never differ by more than one,
        so no batch exceeds P chunks, and the identities an identity meets vary from chunk to chunk.
        Batches left with fewer than P chunks are completed with fresh chunks of identities they do
        not hold.
        """
        rng = np.random.default_rng([self.seed, self.epoch])
        pids = list(self.index_by_pid)
        dealt: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(self._num_batches)]
        fill = np.zeros(self._num_batches, dtype=np.int64)
        for pid in (pids[i] for i in rng.permutation(len(pids))):
            chunks = self._chunks(rng, pid)
            targets = np.lexsort((rng.random(self._num_batches), fill))[:len(chunks)]
            for b, chunk in zip(targets, chunks):
                dealt[b].append((pid, chunk))
            fill[targets] += 1
        batches = []
        for b in rng.permutation(self._num_batches):
            batch = dealt[b]
            if len(batch) < self.P:
                present = {pid for pid, _ in batch}
                absent = [pid for pid in pids if pid not in present]
                for i in rng.choice(len(absent), self.P - len(batch), replace=False):
                    batch.append((absent[i], self._chunks(rng, absent[i])[0]))
            batches.append([batch[i][1].tolist() for i in rng.permutation(self.P)])
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for batch in self.global_batches():
            yield [i for chunk in batch[self.rank::self.world_size] for i in chunk]


def estimated_images(pids: Sequence[int], num_instances: int) -> int:
    """The epoch length (images) that reid-strong-baseline's ``RandomIdentitySampler`` reports before its
    first pass: each identity counts ``max(n, K)`` images rounded down to a multiple of K."""
    counts = np.bincount(np.asarray(pids, dtype=np.int64)) if len(pids) else np.zeros(0, dtype=np.int64)
    counts = np.maximum(counts[counts > 0], num_instances)
    return int((counts - counts % num_instances).sum())


class RandomIdentitySampler(IdentitySampler):
    """Batch sampler with reid-strong-baseline's batch composition (arguments as ``IdentitySampler``).

    A pass: each identity's images are shuffled (an identity with fewer than K images draws K with
    replacement) and cut into chunks of K, its last ``n mod K`` images dropped; then, while at least P
    identities have chunks left, P of them are drawn at random and each gives its next chunk. The chunks
    left when fewer than P identities remain are not used in that pass.
    """

    def global_batches(self) -> list[list[list[int]]]:
        """This pass's global batches: for each step, P lists of K indices (one per identity)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        chunks: dict[int, list[np.ndarray]] = {}
        for pid, idx in self.index_by_pid.items():
            if len(idx) < self.K:
                idx = rng.choice(idx, size=self.K, replace=True)
            idx = rng.permutation(idx)
            keep = len(idx) - len(idx) % self.K
            chunks[pid] = list(idx[:keep].reshape(-1, self.K))
        available = list(self.index_by_pid)
        batches = []
        while len(available) >= self.P:
            batch = []
            for pid in [available[i] for i in rng.choice(len(available), self.P, replace=False)]:
                batch.append(chunks[pid].pop(0).tolist())
                if not chunks[pid]:
                    available.remove(pid)
            batches.append(batch)
        return batches


class CyclingBatchSampler(Sampler[list[int]]):
    """Exactly ``num_batches`` batches per epoch from a batch sampler, restarted as often as needed
    (DMT's ``IterLoader`` with 300 iterations per epoch; the cycled CamStyle loader of the VisDA
    winner). Restart ``c`` of epoch ``e`` uses the inner sampler's epoch ``e * 1000 + c``, so batches
    are not repeated in the same order."""

    def __init__(self, inner: IdentitySampler, num_batches: int) -> None:
        if num_batches < 1:
            raise ValueError(f"num_batches must be >= 1, got {num_batches}")
        self.inner, self.num_batches, self.epoch = inner, num_batches, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[list[int]]:
        produced, cycle = 0, 0
        while True:
            self.inner.set_epoch(self.epoch * 1000 + cycle)
            for batch in self.inner:
                yield batch
                produced += 1
                if produced == self.num_batches:
                    return
            cycle += 1
