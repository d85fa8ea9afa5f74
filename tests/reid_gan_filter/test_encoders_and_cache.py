"""Encoders built from config settings (ReID run directory, local timm weights, the parameter-free descriptor)
and the chunked feature cache: a rerun reuses finished chunks and gives identical features; damaged, missing
or outdated chunks are recomputed."""
import os
import shutil

import numpy as np
import pytest
import timm
import torch
import torch.nn.functional as F

from common.checkpoint import CheckpointManager
from common.gan.colour_texture import ColourTextureDescriptor
from common.reid.model import IMAGENET_MEAN, IMAGENET_STD, build_reid_model
from reid_gan_filter.defaults import DEFAULTS
from reid_gan_filter.encoders import build_encoder
from reid_gan_filter.feature_cache import encode_images

REID = dict(DEFAULTS["encoders"]["reid"], backbone=dict(name="resnet18_ibn_a", base_channels=8, last_stride=1),
            head=dict(pooling="avg"), size=[64, 32], views=["original", "flip"])


def _images(n=4, seed=0):
    return torch.rand(n, 3, 64, 32, generator=torch.Generator().manual_seed(seed))


def test_colour_texture_encoder_is_the_descriptor_on_signed_images():
    encoder = build_encoder("colour_texture", DEFAULTS["encoders"]["colour_texture"])
    x = _images()
    assert torch.allclose(encoder(x), ColourTextureDescriptor((4, 2), 8, 8)(x * 2 - 1))
    assert encoder.size == (128, 64) and encoder.fingerprint["type"] == "colour_texture"


def test_reid_encoder_from_a_run_directory(tmp_path):
    torch.manual_seed(0)
    model = build_reid_model(5, REID["backbone"], REID["head"]).eval()  # a classifier of 5 identities
    CheckpointManager(tmp_path / "run" / "checkpoints").save(10, model=model)
    encoder = build_encoder("reid", dict(REID, weights=str(tmp_path / "run")))
    x = _images()
    expected = F.normalize((model(x) + model(x.flip(-1))) / 2, dim=1)
    assert torch.allclose(encoder(x), expected, atol=1e-6)
    first = encoder.fingerprint["weights"]
    CheckpointManager(tmp_path / "run" / "checkpoints").save(20, model=model)  # a newer checkpoint
    assert build_encoder("reid", dict(REID, weights=str(tmp_path / "run"))).fingerprint["weights"] != first
    with pytest.raises(ValueError, match="encoders.reid.weights is not set"):
        build_encoder("reid", REID)
    with pytest.raises(Exception, match="does not fit the model"):
        build_encoder("reid", dict(REID, weights=str(tmp_path / "run"), head=dict(pooling="avg", reduction_dim=16)))


def test_timm_encoder_from_a_local_file_only(tmp_path):
    torch.manual_seed(0)
    net = timm.create_model("resnet18", pretrained=False)  # with its ImageNet classifier, skipped on loading
    torch.save(net.state_dict(), tmp_path / "resnet18.pth")
    settings = dict(name="resnet18", weights=str(tmp_path / "resnet18.pth"), size=[64, 32],
                    pixel_mean=list(IMAGENET_MEAN), pixel_std=list(IMAGENET_STD))
    encoder = build_encoder("timm", settings)
    x = _images()
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    net.reset_classifier(0)
    assert torch.allclose(encoder(x), net.eval()((x - mean) / std), atol=1e-5)
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        build_encoder("timm", dict(settings, weights=str(tmp_path / "absent.pth")))
    with pytest.raises(ValueError, match="unknown encoder type 'clip'"):
        build_encoder("clip", settings)


def test_feature_cache_resumes_chunk_by_chunk(synthetic_root, tmp_path):
    paths = sorted(str(p) for p in (synthetic_root / "generated").glob("*.jpg"))[:40]
    encoder = build_encoder("colour_texture", dict(DEFAULTS["encoders"]["colour_texture"], size=[64, 32]))
    kwargs = dict(chunk_size=16, batch_size=8)
    first = encode_images(encoder, paths, tmp_path / "cache", **kwargs)
    assert (first.reused_chunks, first.computed_chunks) == (0, 3)
    assert first.features.shape == (40, ColourTextureDescriptor().num_features)
    again = encode_images(encoder, paths, tmp_path / "cache", **kwargs)
    assert (again.reused_chunks, again.computed_chunks) == (3, 0)
    assert np.array_equal(again.features, first.features)
    chunks = sorted(first.directory.glob("chunk_*.npz"))
    chunks[0].unlink()  # an interrupted run: chunk 0 never written
    chunks[1].write_bytes(chunks[1].read_bytes()[:50])  # a damaged chunk
    resumed = encode_images(encoder, paths, tmp_path / "cache", **kwargs)
    assert (resumed.reused_chunks, resumed.computed_chunks) == (1, 2)
    assert np.array_equal(resumed.features, first.features)
    copy = tmp_path / "copy.jpg"  # a rewritten image invalidates its chunk only
    shutil.copy(paths[-1], copy)
    os.utime(copy, ns=(1, 1))
    changed = encode_images(encoder, paths[:-1] + [str(copy)], tmp_path / "cache", **kwargs)
    assert (changed.reused_chunks, changed.computed_chunks) == (2, 1)
    other = build_encoder("colour_texture", dict(DEFAULTS["encoders"]["colour_texture"], size=[64, 32], colour_bins=4))
    assert encode_images(other, paths, tmp_path / "cache", **kwargs).computed_chunks == 3  # another encoder
