"""Shapes of the translator networks at the published sizes, and their input checks."""
import pytest
import torch

from common.gan.patch_discriminator import PatchDiscriminator
from common.gan.resnet_generator import ResnetGenerator
from common.gan.sianet import SiaNet
from common.gan.spgan import SPGAN
from common.gan.stargan import StarGAN
from common.gan.stargan_discriminator import StarGANDiscriminator
from common.gan.stargan_generator import StarGANGenerator


@pytest.fixture(autouse=True)
def _threads(one_torch_thread):
    yield


def test_resnet_generator_keeps_the_size_and_range():
    g = ResnetGenerator(ngf=64, num_blocks=9)  # CycleGAN resnet_9blocks
    x = torch.rand(1, 3, 256, 128) * 2 - 1
    with torch.no_grad():
        y = g(x)
    assert y.shape == x.shape and float(y.abs().max()) < 1.0
    # CycleGAN prints 11.378 M parameters for resnet_9blocks; ours lacks the 5,248 conv biases in front
    # of InstanceNorm (64 + 128 + 256 + 9 x 2 x 256 + 128 + 64), which the norm cancels
    assert sum(p.numel() for p in g.parameters()) + 5_248 == 11_378_179
    with pytest.raises(ValueError, match="divisible by 4"):
        g(torch.zeros(1, 3, 30, 32))


def test_patchgan_is_70x70_with_30x14_output():
    d = PatchDiscriminator(ndf=64, num_layers=3)
    with torch.no_grad():
        assert d(torch.zeros(2, 3, 256, 128)).shape == (2, 1, 30, 14)
        assert d(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)
    # receptive field: the centre output depends on exactly a 70x70 window (InstanceNorm, which mixes
    # the whole image through its statistics, replaced by the identity for this measurement)
    for i, m in enumerate(d.model):
        if isinstance(m, torch.nn.InstanceNorm2d):
            d.model[i] = torch.nn.Identity()
    x = torch.zeros(1, 3, 140, 140, requires_grad=True)
    out = d(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = torch.nonzero(x.grad.abs().sum(dim=(0, 1, 3)))
    assert int(rows.max() - rows.min() + 1) == 70


@pytest.mark.parametrize("channels, dims, size, flat", [
    ((64, 128, 256), (128, 64), (256, 128), 2048),  # eSPGAN / OpenUnReID Metric_Net (fc1 2048 -> 128)
    ((64, 128, 256, 512), (128,), (256, 256), 512),  # paper: 4 conv + 4 pool + FC 128 at 256x256
])
def test_sianet_embeddings_are_unit_norm(channels, dims, size, flat):
    net = SiaNet(size, channels, dims).eval()
    assert net.head[0].in_features == flat
    with torch.no_grad():
        e = net(torch.rand(3, 3, *size))
    assert e.shape == (3, dims[-1])
    assert torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5)
    with pytest.raises(ValueError, match="fewer stages"):
        SiaNet((64, 32), (8, 16, 32))


def test_stargan_networks_at_person_size():
    g, d = StarGANGenerator(num_domains=6), StarGANDiscriminator((256, 128), num_domains=6)
    x, code = torch.rand(2, 3, 256, 128) * 2 - 1, torch.eye(6)[[0, 5]]
    with torch.no_grad():
        y = g(x, code)
        src, cls = d(y)
    assert y.shape == x.shape
    assert src.shape == (2, 1, 4, 2) and cls.shape == (2, 6)
    assert d.cls_head.kernel_size == (4, 2)
    with pytest.raises(ValueError, match=r"code must be \(N, 6\)"):
        g(x, torch.eye(5)[:2])
    with pytest.raises(ValueError, match="divisible by 2\\^num_layers = 64"):
        StarGANDiscriminator((100, 64), num_domains=6)


def test_stargan_code_reaches_the_output():
    """The tiled one-hot code changes the output (zero padding lets it through InstanceNorm)."""
    torch.manual_seed(0)
    g = StarGANGenerator(num_domains=3, ngf=8, num_blocks=1)
    x = torch.rand(1, 3, 32, 16)
    with torch.no_grad():
        a, b = g(x, torch.eye(3)[[0]]), g(x, torch.eye(3)[[2]])
    assert float((a - b).abs().max()) > 1e-3


def test_models_map_cameras_and_directions():
    model = StarGAN((64, 32), camera_ids=[5, 2, 9], ngf=8, num_blocks=1, ndf=8, disc_layers=4)
    assert model.camera_ids.tolist() == [2, 5, 9]
    assert model.domain_of(torch.tensor([9, 2])).tolist() == [2, 0]
    with pytest.raises(ValueError, match="camera 4 is not one of the model's cameras"):
        model.domain_of(torch.tensor([4]))
    with torch.no_grad():
        cols = model.sample_columns(torch.zeros(2, 3, 64, 32))
    assert len(cols) == 4 and all(c.shape == (2, 3, 64, 32) for c in cols)
    spgan = SPGAN((64, 32), ngf=8, num_blocks=1, ndf=8, sianet_channels=(8, 16), sianet_embed_dims=(8,))
    with pytest.raises(ValueError, match="direction must be one of"):
        spgan.translate(torch.zeros(1, 3, 64, 32), "sideways")
    assert len(spgan.sample_columns(torch.zeros(1, 3, 64, 32), torch.zeros(1, 3, 64, 32))) == 6
