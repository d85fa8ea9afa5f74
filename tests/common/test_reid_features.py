"""Feature extraction with flip / crop test-time augmentation."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader

from common.reid.dataset import ReIDDataset
from common.reid.features import center_crop_resize, extract_features
from common.reid.model import build_reid_model
from common.reid.transforms import build_test_transform


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(0)
    items = []
    for i in range(7):
        path = folder / f"{i}.png"
        Image.fromarray(rng.integers(0, 255, (32, 16, 3), dtype=np.uint8)).save(path)
        items.append((str(path), i % 3, i % 2))
    dataset = ReIDDataset(items, build_test_transform((32, 16)))
    torch.manual_seed(0)
    model = build_reid_model(3, dict(name="resnet18_ibn_a", base_channels=8))
    return model, dataset


def _single_pass(model, images):
    model.eval()
    with torch.no_grad():
        return model(images)


def test_flip_tta_feature_is_the_average_of_the_two_passes(setup):
    model, dataset = setup
    loader = DataLoader(dataset, batch_size=3)  # 3 batches (3 + 3 + 1)
    out = extract_features(model, loader, views=("original", "flip"), normalize=False)
    images = torch.stack([dataset[i]["img"] for i in range(len(dataset))])
    expected = (_single_pass(model, images) + _single_pass(model, images.flip(-1))) / 2
    assert out.features.shape == (7, model.feat_dim)
    assert torch.allclose(out.features, expected, atol=1e-5)
    assert not torch.allclose(out.features, _single_pass(model, images), atol=1e-3)  # the flip matters
    normalised = extract_features(model, loader, views=("original", "flip"))
    assert torch.allclose(normalised.features, F.normalize(expected, dim=1), atol=1e-5)
    assert out.pids.tolist() == [i % 3 for i in range(7)] and out.camids.tolist() == [i % 2 for i in range(7)]
    assert out.indices.tolist() == list(range(7)) and out.paths == [it.img_path for it in dataset.items]


def test_crop_view_and_training_mode_is_restored(setup):
    model, dataset = setup
    model.train()
    loader = DataLoader(dataset, batch_size=4)
    out = extract_features(model, loader, views=("original", "crop"), crop_scale=0.75, normalize=False)
    assert model.training
    images = torch.stack([dataset[i]["img"] for i in range(len(dataset))])
    cropped = center_crop_resize(images, 0.75)
    assert cropped.shape == images.shape
    assert torch.allclose(cropped, F.interpolate(images[..., 4:28, 2:14], size=(32, 16), mode="bilinear"))
    expected = (_single_pass(model, images) + _single_pass(model, cropped)) / 2
    assert torch.allclose(out.features, expected, atol=1e-5)
    with pytest.raises(ValueError, match="unknown TTA view"):
        extract_features(model, loader, views=("mirror",))


def test_amp_extraction_returns_float32_close_to_full_precision(setup):
    model, dataset = setup
    loader = DataLoader(dataset, batch_size=7)
    full = extract_features(model, loader, views=("original",))
    mixed = extract_features(model, loader, views=("original",), amp=True)
    assert mixed.features.dtype == torch.float32
    assert (full.features * mixed.features).sum(1).min() > 0.95  # cosine to the fp32 feature
