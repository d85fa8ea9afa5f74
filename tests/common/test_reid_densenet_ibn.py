"""DenseNet-IBN-a (DMT's DenseNet169-IBN-a): shapes, last stride, IBN placement, parameter count against
torchvision's DenseNet-169, equivalence with torchvision without IBN, and the official checkpoint layout."""
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from common.reid.backbones import build_backbone
from common.reid.densenet_ibn import BatchInstanceNorm, DenseNetIBN
from common.reid.pretrained import PretrainedWeightsError

LIGHT = {"growth_rate": 8, "num_init_features": 16}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _n_params(module, skip=()):
    return sum(p.numel() for n, p in module.named_parameters() if not n.startswith(skip))


def test_densenet169_output_channels_and_last_stride():
    x = torch.rand(2, 3, 64, 32)
    torch.manual_seed(0)
    with torch.no_grad():
        s1 = build_backbone("densenet169_ibn_a", last_stride=1).eval()
        s2 = build_backbone("densenet169_ibn_a", last_stride=2).eval()
        s2.load_state_dict(s1.state_dict())  # the stride changes no parameter
        out1, out2 = s1(x), s2(x)
    assert s1.out_channels == s2.out_channels == 1664 and not s1.global_feature
    assert out1.shape == (2, 1664, 4, 2)  # output stride 16: the last transition does not pool
    assert out2.shape == (2, 1664, 2, 1)  # output stride 32: the ImageNet network, as DMT trains it
    assert out1.min() >= 0  # the final ReLU after norm5
    # last_stride is the last transition's pooling; the earlier transitions always pool
    assert isinstance(s1.features.transition3.pool, nn.Identity)
    assert isinstance(s2.features.transition3.pool, nn.AvgPool2d)
    assert isinstance(s1.features.transition2.pool, nn.AvgPool2d)
    with pytest.raises(ValueError, match="last_stride"):
        build_backbone("densenet121_ibn_a", last_stride=3, **LIGHT)


def test_parameter_count_equals_torchvision_densenet_features():
    """IBN swaps BN affine parameters for as many BN + IN affine ones, so the counts equal torchvision's
    DenseNets without the classifier (DenseNet-169 features: 12,484,480 parameters)."""
    with torch.device("meta"):
        d169 = build_backbone("densenet169_ibn_a")
        d121 = build_backbone("densenet121_ibn_a")
        ref169 = torchvision.models.densenet169()
        ref121 = torchvision.models.densenet121()
    assert _n_params(d169) == _n_params(ref169, skip=("classifier.",)) == 12_484_480
    assert _n_params(d121) == _n_params(ref121, skip=("classifier.",))
    assert (d169.out_channels, d121.out_channels) == (1664, ref121.classifier.in_features) == (1664, 1024)


def test_ibn_sits_in_norm1_of_every_third_layer_of_blocks_1_to_3():
    with torch.device("meta"):
        net = build_backbone("densenet169_ibn_a")
    blocks = [getattr(net.features, f"denseblock{i}") for i in range(1, 5)]
    ibn_layers = []
    for b, block in enumerate(blocks, start=1):
        for name, layer in block.named_children():
            index = int(name.removeprefix("denselayer"))
            channels = layer.conv1.in_channels
            assert isinstance(layer.norm2, nn.BatchNorm2d)
            if b <= 3 and index % 3 == 1:  # denselayer1, 4, 7, ...
                assert isinstance(layer.norm1, BatchInstanceNorm)
                bn, inorm = layer.norm1.BN.num_features, layer.norm1.IN.num_features
                assert bn == int(channels * 0.6) and bn + inorm == channels and layer.norm1.IN.affine
                ibn_layers.append((b, index, bn, inorm))
            else:
                assert isinstance(layer.norm1, nn.BatchNorm2d) and layer.norm1.num_features == channels
    # 2 + 4 + 11 layers; DenseNet-169's block inputs are 64, 128, 256 channels (k = 32)
    assert len(ibn_layers) == 17 == sum(isinstance(m, nn.InstanceNorm2d) for m in net.modules())
    assert ibn_layers[:2] == [(1, 1, 38, 26), (1, 4, 96, 64)]
    assert ibn_layers[2] == (2, 1, 76, 52) and ibn_layers[6] == (3, 1, 153, 103)
    assert ibn_layers[-1] == (3, 31, int(1216 * 0.6), 1216 - int(1216 * 0.6))
    for module in (blocks[3], net.features.transition1, net.features.transition3):
        assert not any(isinstance(m, nn.InstanceNorm2d) for m in module.modules())


def test_batch_instance_norm_is_batch_norm_first_then_instance_norm():
    layer = BatchInstanceNorm(10).train()
    assert (layer.BN.num_features, layer.IN.num_features) == (6, 4)
    x = torch.randn(4, 10, 5, 5, generator=torch.Generator().manual_seed(0)) * 3 + 2
    y = layer(x)
    per_batch = y[:, :6].mean(dim=(0, 2, 3))
    per_instance = y[:, 6:].mean(dim=(2, 3))
    assert torch.allclose(per_batch, torch.zeros_like(per_batch), atol=1e-5)
    assert torch.allclose(per_instance, torch.zeros_like(per_instance), atol=1e-5)
    assert y[:, :6].mean(dim=(2, 3)).abs().max() > 0.05  # the BN part is not normalised per instance


def test_without_ibn_it_is_torchvision_densenet():
    """With ``ibn=False`` the module is torchvision's DenseNet-BC: its ``features`` weights load under the
    same names and give the same output (then ReLU), which checks the dense connections and transitions."""
    ref = torchvision.models.DenseNet(growth_rate=8, block_config=(3, 3, 3, 3), num_init_features=16).eval()
    for m in ref.modules():  # non-trivial BN statistics
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    ours = DenseNetIBN(block_config=(3, 3, 3, 3), ibn=False, last_stride=2, **LIGHT).eval()
    ours.load_state_dict({k: v for k, v in ref.state_dict().items() if k.startswith("features.")})
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ours(x), F.relu(ref.features(x)), atol=1e-6)


def test_official_checkpoint_layout_round_trips_through_load_pretrained(tmp_path):
    """A file with IBN-Net's DenseNet key names (classifier included, no BN ``num_batches_tracked``, as
    in the 2018 checkpoints) loads with every key checked; the classifier is skipped."""
    torch.manual_seed(0)
    source = build_backbone("densenet169_ibn_a", **LIGHT)
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in source.state_dict().items() if not k.endswith("num_batches_tracked")}
    official_keys = ("features.conv0.weight", "features.norm0.running_mean",
                     "features.denseblock1.denselayer1.norm1.BN.weight",
                     "features.denseblock1.denselayer1.norm1.IN.weight",
                     "features.denseblock1.denselayer1.norm1.IN.bias",
                     "features.denseblock1.denselayer2.norm1.running_var",
                     "features.denseblock3.denselayer31.norm1.BN.running_mean",
                     "features.denseblock4.denselayer1.norm1.weight",
                     "features.denseblock2.denselayer12.conv2.weight", "features.transition3.conv.weight",
                     "features.transition3.norm.bias", "features.norm5.weight")
    assert set(official_keys) <= set(state)
    state["classifier.weight"], state["classifier.bias"] = torch.randn(1000, source.out_channels), torch.zeros(1000)
    path = tmp_path / "densenet169_ibn_a-9f32c161.pth"
    torch.save(state, path)
    torch.manual_seed(1)
    target = build_backbone("densenet169_ibn_a", **LIGHT)
    assert target.load_pretrained(path) == ["classifier.bias", "classifier.weight"]
    for key, value in target.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            assert torch.equal(value, state[key]), key
    # a plain-BN DenseNet checkpoint (torchvision names) is refused, naming the IBN keys it lacks
    plain = DenseNetIBN(block_config=(6, 12, 32, 32), ibn=False, **LIGHT).state_dict()
    torch.save(plain, path)
    with pytest.raises(PretrainedWeightsError, match="denselayer1.norm1.BN.weight"):
        build_backbone("densenet169_ibn_a", pretrained=path, **LIGHT)
