"""HRNet-W18 (Bias-Eliminate's ``hrnetv2_w18``) in the backbone registry: the 2048-channel map of the
classification trunk at stride 32, the official structure, and timm-format pretrained weights."""
import pytest
import timm
import torch

from common.reid.backbones import build_backbone
from common.reid.model import build_reid_model
from common.reid.pretrained import PretrainedWeightsError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("name", ["hrnet_w18_small", "hrnet_w18"])
@pytest.mark.parametrize("size, grid", [((64, 32), (2, 1)), ((384, 128), (12, 4)), ((384, 192), (12, 6))])
def test_output_is_the_2048_channel_map_at_stride_32(name, size, grid):
    net = build_backbone(name).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 3, *size))
    assert net.out_channels == 2048 and not net.global_feature
    assert out.shape == (2, 2048, *grid)


def test_last_stride_is_ignored():
    x = torch.rand(1, 3, 128, 64)
    with torch.no_grad():
        shapes = {build_backbone("hrnet_w18_small", last_stride=s).eval()(x).shape for s in (1, 2)}
    assert shapes == {(1, 2048, 4, 2)}


def test_hrnet_w18_has_the_official_head_and_size():
    """The official ``hrnetv2_w18`` (Bias-Eliminate ``modeling/backbones/hrnet.py``): 18/36/72/144-channel
    branches, Bottleneck ``incre_modules`` to 128/256/512/1024 channels, three stride-2
    ``downsamp_modules`` and a 1x1 ``final_layer`` to 2048; 19,250,004 parameters without the classifier."""
    with torch.device("meta"):
        net = build_backbone("hrnet_w18")
    trunk = net.model
    assert [m[0].conv3.out_channels for m in trunk.incre_modules] == [128, 256, 512, 1024]
    assert [m[0].stride for m in trunk.downsamp_modules] == [(2, 2)] * 3
    assert trunk.final_layer[0].in_channels == 1024 and trunk.final_layer[0].out_channels == 2048
    assert [len(branch) for branch in trunk.stage4[0].branches] == [4, 4, 4, 4]
    assert [branch[0].conv1.out_channels for branch in trunk.stage4[0].branches] == [18, 36, 72, 144]
    assert sum(p.numel() for p in net.parameters()) == 19_250_004


def test_reid_model_with_hrnet_backbone():
    model = build_reid_model(5, dict(name="hrnet_w18_small"), dict(pooling="avg", reduction_dim=64)).eval()
    with torch.no_grad():
        assert model(torch.rand(2, 3, 64, 32)).shape == (2, 64)


def test_timm_format_weights_load_with_the_classifier_skipped(tmp_path):
    torch.manual_seed(0)
    imagenet = timm.create_model("hrnet_w18_small")  # with its 2048 -> 1000 classifier
    path = tmp_path / "hrnet_w18_small.pth"
    torch.save(imagenet.state_dict(), path)
    torch.manual_seed(1)
    net = build_backbone("hrnet_w18_small")
    skipped = net.load_pretrained(path)
    assert skipped == ["classifier.bias", "classifier.weight"]
    own = net.model.state_dict()
    assert set(own) == set(imagenet.state_dict()) - set(skipped)  # same key layout, no prefix
    assert all(torch.equal(value, imagenet.state_dict()[key]) for key, value in own.items())
    truncated = {k: v for k, v in imagenet.state_dict().items() if not k.startswith("final_layer.")}
    torch.save(truncated, path)
    with pytest.raises(PretrainedWeightsError, match=r"hrnet_w18_small\.pth.*missing from the file: final_layer"):
        build_backbone("hrnet_w18_small", pretrained=path)
