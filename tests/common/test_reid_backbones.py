"""Backbones: output shapes, IBN layer placement, last stride, ViT patch grid, pretrained loading."""
import pytest
import timm
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from common.reid.backbones import BACKBONES, build_backbone
from common.reid.pretrained import PretrainedWeightsError, load_pretrained, read_state_dict
from common.reid.resnet_ibn import IBN, SELayer


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _n_params(module, skip=()):
    return sum(p.numel() for n, p in module.named_parameters() if not n.startswith(skip))


@pytest.mark.parametrize("name, kwargs, channels", [
    ("resnet18_ibn_a", {}, 512),
    ("resnet18_ibn_b", {}, 512),
    ("resnet18_ibn_a", {"base_channels": 16}, 128),
    ("resnet50_ibn_a", {}, 2048),
    ("resnest14d", {}, 2048),
])
def test_cnn_output_shape(name, kwargs, channels):
    net = build_backbone(name, last_stride=1, **kwargs).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 3, 64, 32))
    assert net.out_channels == channels and not net.global_feature
    assert out.shape == (2, channels, 4, 2)  # output stride 16 with last stride 1


@pytest.mark.parametrize("name", ["resnet18_ibn_a", "resnest14d"])
def test_last_stride_one_doubles_the_final_map(name):
    x = torch.rand(1, 3, 128, 64)
    with torch.no_grad():
        s2 = build_backbone(name, last_stride=2).eval()(x)
        s1 = build_backbone(name, last_stride=1).eval()(x)
    assert s2.shape[-2:] == (4, 2)
    assert s1.shape[-2:] == (8, 4)


def test_paper_backbones_have_the_reference_structure():
    """Built on the meta device (no memory, no init cost): parameter counts equal the reference
    architectures (torchvision ResNet-101, timm ResNeXt-101 32x4d) without their ImageNet classifier,
    since IBN replaces BN affine parameters one for one."""
    with torch.device("meta"):
        r101 = build_backbone("resnet101_ibn_a")
        x101 = build_backbone("resnext101_ibn_a")
        se101 = build_backbone("se_resnet101_ibn_a")
        ref_r101 = torchvision.models.resnet101()
        ref_x101 = timm.create_model("resnext101_32x4d")
        vit = build_backbone("vit_base_patch16_transreid", img_size=(256, 256), stride=14)
    assert _n_params(r101) == _n_params(ref_r101, skip=("fc.",))
    assert _n_params(x101) == _n_params(ref_x101, skip=("fc.",))
    assert x101.layer1[0].conv2.groups == 32 and x101.layer1[0].conv2.out_channels == 128  # 32 x 4d
    # SE-ResNet-101: one squeeze-excitation gate (C -> C/16 -> C) per bottleneck, 3 + 4 + 23 + 3 of them.
    gates = [m for m in se101.modules() if isinstance(m, SELayer)]
    assert len(gates) == 33
    assert se101.layer4[0].se.fc[0].weight.shape == (128, 2048)
    assert _n_params(se101) - _n_params(r101) == sum(_n_params(g) for g in gates)
    # ViT-B/16 at 256x256 with stride 14: an 18x18 patch grid plus the class token (DMT's TransReID).
    assert vit.patch_embed.grid_size == (18, 18) and vit.pos_embed.shape == (1, 325, 768)
    assert vit.out_channels == 768 and vit.global_feature


def test_ibn_a_places_instance_norm_on_half_channels_in_stages_1_to_3():
    net = build_backbone("resnet50_ibn_a")
    assert isinstance(net.bn1, nn.BatchNorm2d)  # the stem keeps BN
    for stage in (net.layer1, net.layer2, net.layer3):
        for block in stage:
            assert isinstance(block.bn1, IBN)
            width = block.conv1.out_channels
            assert block.bn1.IN.num_features == width // 2
            assert block.bn1.BN.num_features == width - width // 2
            assert block.IN is None
    for block in net.layer4:
        assert isinstance(block.bn1, nn.BatchNorm2d) and block.IN is None
    assert not any(isinstance(m, nn.InstanceNorm2d) for m in net.layer4.modules())


def test_ibn_b_places_instance_norm_after_the_stem_and_the_last_additions_of_stages_1_2():
    net = build_backbone("resnet50_ibn_b")
    assert isinstance(net.bn1, nn.InstanceNorm2d) and net.bn1.affine
    for stage in (net.layer1, net.layer2):
        assert [block.IN is not None for block in stage] == [False] * (len(stage) - 1) + [True]
        assert stage[-1].IN.num_features == stage[-1].conv3.out_channels
    for stage in (net.layer1, net.layer2, net.layer3, net.layer4):
        assert not any(isinstance(block.bn1, IBN) for block in stage)
    for stage in (net.layer3, net.layer4):
        assert not any(isinstance(m, nn.InstanceNorm2d) for m in stage.modules())


def test_ibn_layer_normalises_half_per_instance_and_half_per_batch():
    layer = IBN(6).train()
    x = torch.randn(4, 6, 5, 5) * 3 + 2
    y = layer(x)
    per_instance = y[:, :3].mean(dim=(2, 3))
    per_batch = y[:, 3:].mean(dim=(0, 2, 3))
    assert torch.allclose(per_instance, torch.zeros_like(per_instance), atol=1e-5)
    assert torch.allclose(per_batch, torch.zeros_like(per_batch), atol=1e-5)
    # the BN half is not normalised per instance
    assert y[:, 3:].mean(dim=(2, 3)).abs().max() > 0.05


def test_vit_overlapping_patches_and_class_token_output():
    vit = build_backbone("vit_tiny_patch16_transreid", img_size=(64, 32), stride=12, depth=2).eval()
    assert vit.patch_embed.grid_size == ((64 - 16) // 12 + 1, (32 - 16) // 12 + 1) == (5, 2)
    with torch.no_grad():
        out = vit(torch.rand(3, 3, 64, 32))
    assert out.shape == (3, 192)
    with pytest.raises(ValueError, match="does not match"):
        vit(torch.rand(1, 3, 32, 32))


def test_unknown_backbone_suggests_names():
    with pytest.raises(ValueError, match="resnet50_ibn_a"):
        build_backbone("resnet50_ibn")


# ------------------------------------------------------------------------------------ pretrained
@pytest.mark.parametrize("fmt", ["pth", "safetensors"])
def test_pretrained_round_trip_skips_the_imagenet_classifier(tmp_path, fmt):
    torch.manual_seed(0)
    source = build_backbone("resnet18_ibn_a", base_channels=16)
    state = {k: v.clone() for k, v in source.state_dict().items()}
    state["fc.weight"], state["fc.bias"] = torch.randn(1000, 128), torch.randn(1000)
    path = tmp_path / f"r18.{fmt}"
    if fmt == "pth":  # wrapped as training scripts save it: {"state_dict": {"module.<key>": ...}}
        torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    else:
        from safetensors.torch import save_file
        save_file(state, str(path))
    torch.manual_seed(1)
    target = build_backbone("resnet18_ibn_a", base_channels=16, pretrained=path)
    for key, value in source.state_dict().items():
        assert torch.equal(value, target.state_dict()[key]), key


def test_missing_pretrained_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "resnet101_ibn_a-59ea0ac6.pth"
    with pytest.raises(FileNotFoundError, match="resnet101_ibn_a-59ea0ac6.pth"):
        build_backbone("resnet18_ibn_a", pretrained=missing)


def test_mismatched_pretrained_file_names_the_file_and_keys(tmp_path):
    path = tmp_path / "other.pth"
    torch.save(build_backbone("resnet18_ibn_b", base_channels=16).state_dict(), path)
    with pytest.raises(PretrainedWeightsError) as err:
        build_backbone("resnet18_ibn_a", base_channels=16, pretrained=path)
    message = str(err.value)
    assert "other.pth" in message
    assert "missing from the file: bn1.running_mean" in message and "layer1.0.bn1.IN.weight" in message
    assert "not in the model: layer1.0.bn1.weight" in message
    torch.save(build_backbone("resnet18_ibn_a", base_channels=32).state_dict(), path)
    with pytest.raises(PretrainedWeightsError, match="shape mismatch: conv1.weight"):
        build_backbone("resnet18_ibn_a", base_channels=16, pretrained=path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(PretrainedWeightsError, match="cannot read"):
        read_state_dict(path)


def test_torchvision_resnet_weights_load_into_the_plain_resnet(tmp_path):
    ref = torchvision.models.resnet18().eval()
    path = tmp_path / "resnet18.pth"
    torch.save(ref.state_dict(), path)
    ours = build_backbone("resnet18", last_stride=2, pretrained=path).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        stem = ref.maxpool(ref.relu(ref.bn1(ref.conv1(x))))
        expected = ref.layer4(ref.layer3(ref.layer2(ref.layer1(stem))))
        assert torch.allclose(ours(x), expected, atol=1e-6)


def test_vit_pretrained_position_embedding_is_resized_bilinearly(tmp_path):
    torch.manual_seed(0)
    imagenet = build_backbone("vit_tiny_patch16_transreid", img_size=(32, 32), stride=16, depth=2)
    state = dict(imagenet.state_dict())
    state["head.weight"], state["head.bias"] = torch.randn(1000, 192), torch.randn(1000)
    path = tmp_path / "vit.pth"
    torch.save(state, path)
    reid = build_backbone("vit_tiny_patch16_transreid", img_size=(64, 32), stride=12, depth=2,
                          pretrained=path)
    old = imagenet.pos_embed.detach()  # [1, 1 + 2*2, D]
    grid = old[:, 1:].reshape(1, 2, 2, -1).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(5, 2), mode="bilinear", align_corners=False)
    expected = torch.cat([old[:, :1], expected.permute(0, 2, 3, 1).reshape(1, 10, -1)], dim=1)
    assert torch.allclose(reid.pos_embed, expected, atol=1e-6)
    assert torch.equal(reid.patch_embed.proj.weight, imagenet.patch_embed.proj.weight)
    assert torch.equal(reid.blocks[1].mlp.fc2.weight, imagenet.blocks[1].mlp.fc2.weight)


def test_load_pretrained_reports_the_skipped_keys(tmp_path):
    net = nn.Linear(2, 2)
    path = tmp_path / "w.pt"
    torch.save({**net.state_dict(), "fc.weight": torch.zeros(3)}, path)
    assert load_pretrained(nn.Linear(2, 2), path, ignore_prefixes=("fc.",)) == ["fc.weight"]


def test_every_registered_backbone_builds_on_meta():
    for name in BACKBONES:
        with torch.device("meta"):
            net = build_backbone(name)
        assert net.out_channels > 0, name
