"""RepConv fusion and whole-model re-parameterisation leave the outputs unchanged."""
import torch

from detection.deployment import DeployModel
from detection.models import reparameterize
from detection.models.layers import RepConv
from detection.runtime import build_detector_from_config

from .conftest import SLIM_T, calibrate_bn, randomise_head


def random_bn_(module, seed=0):
    gen = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.2)


def test_repconv_fuses_into_one_conv_with_identical_output():
    for stride in (1, 2):
        block = RepConv(6, 10, stride, act_cfg=dict(type='ReLU')).double()
        random_bn_(block)
        block.eval()
        x = torch.randn(2, 6, 15, 15, dtype=torch.float64)
        with torch.no_grad():
            before = block(x)
            block.switch_to_deploy()
            after = block(x)
        assert block.deploy and not hasattr(block, 'rbr_dense')
        assert isinstance(block.rbr_reparam, torch.nn.Conv2d) and block.rbr_reparam.kernel_size == (3, 3)
        assert before.shape == (2, 10, 8 if stride == 2 else 15, 8 if stride == 2 else 15)
        assert torch.allclose(before, after, atol=1e-10)


def test_equivalent_kernel_is_not_the_dense_kernel_alone():
    block = RepConv(4, 4, act_cfg=None)
    random_bn_(block)
    block.eval()
    kernel, _ = block.equivalent_kernel_bias()
    bn = block.rbr_dense.bn
    dense = block.rbr_dense.conv.weight * (bn.weight / (bn.running_var + bn.eps).sqrt()).reshape(-1, 1, 1, 1)
    centre = kernel[:, :, 1, 1] - dense[:, :, 1, 1]
    assert centre.abs().max() > 1e-3  # the 1x1 branch lands on the centre tap
    assert torch.allclose(kernel[:, :, 0, 0], dense[:, :, 0, 0])


def make_model():
    torch.manual_seed(0)
    model = build_detector_from_config(SLIM_T)
    randomise_head(model)
    return calibrate_bn(model, torch.rand(8, 3, 96, 96) * 255)


def test_whole_model_fusion_is_exact_in_float64():
    model = make_model().double()
    deploy = DeployModel(model).eval()
    x = torch.rand(2, 3, 96, 96, dtype=torch.float64) * 255
    with torch.no_grad():
        s0, b0 = deploy(x)
        reparameterize(model)
        s1, b1 = deploy(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert all(m.deploy for m in model.modules() if isinstance(m, RepConv))
    assert torch.allclose(s0, s1, atol=1e-9) and torch.allclose(b0, b1, atol=1e-7)


def test_whole_model_fusion_within_1e4_in_float32():
    model = make_model()
    deploy = DeployModel(model).eval()
    x = torch.rand(2, 3, 96, 96) * 255
    with torch.no_grad():
        s0, b0 = deploy(x)
        reparameterize(model)
        s1, b1 = deploy(x)
    assert 0.01 < s0.std() and b0.std() > 1.0  # outputs are not saturated/constant
    assert (s0 - s1).abs().max() < 1e-4  # scores (probabilities)
    assert ((b0 - b1).abs().max() / b0.abs().max()) < 1e-4  # box corners, relative to their scale
