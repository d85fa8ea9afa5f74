"""Loss terms on hand-computed cases, the history pool and the learning-rate schedules."""
import math

import pytest
import torch

from common.gan.image_pool import ImagePool
from common.gan.losses import (contrastive_loss, domain_classification_loss, gradient_penalty, lsgan_loss,
                               wgan_critic_loss, wgan_generator_loss)
from common.gan.lr_schedule import lr_factor


def test_contrastive_loss_by_hand():
    e1 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    e2 = torch.tensor([[0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])  # distances sqrt(2), 0, 2
    assert float(contrastive_loss(e1, e2, positive=True)) == pytest.approx((2 + 0 + 4) / 3, abs=1e-5)
    # y = 0: max(0, m - d)^2 with m = 2; the antipodal pair (d = m) costs nothing
    expected = ((2 - math.sqrt(2)) ** 2 + 4 + 0) / 3
    assert float(contrastive_loss(e1, e2, positive=False, margin=2.0)) == pytest.approx(expected, abs=1e-5)
    assert float(contrastive_loss(e1, e2, positive=False, margin=1.0)) == pytest.approx(1 / 3, abs=1e-5)


def test_lsgan_loss_by_hand():
    pred = torch.tensor([[[[0.5, 2.0]]]])
    assert float(lsgan_loss(pred, True)) == pytest.approx((0.25 + 1.0) / 2)
    assert float(lsgan_loss(pred, False)) == pytest.approx((0.25 + 4.0) / 2)


def test_wgan_losses_by_hand():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert float(wgan_critic_loss(real, fake)) == pytest.approx(-2.0 - 0.5)
    assert float(wgan_generator_loss(fake)) == pytest.approx(0.5)


def test_gradient_penalty_of_linear_critics_is_closed_form():
    torch.manual_seed(0)
    real, fake, alpha = torch.randn(4, 3, 5, 6), torch.randn(4, 3, 5, 6), torch.rand(4, 1, 1, 1)
    # D(x) = <w, x>: grad = w everywhere, penalty (||w|| - 1)^2, its gradient 2 (||w|| - 1) w / ||w||
    w = torch.randn(3, 5, 6, requires_grad=True)
    gp = gradient_penalty(lambda x: (x * w).sum(dim=(1, 2, 3)), real, fake, alpha)
    norm = w.detach().norm()
    assert float(gp.detach()) == pytest.approx(float((norm - 1) ** 2), rel=1e-5)
    gp.backward()
    assert torch.allclose(w.grad, 2 * (norm - 1) * w.detach() / norm, rtol=1e-4, atol=1e-6)
    # a 1x1-conv PatchGAN critic: the patch scores are summed, grad = a_c at each of the H x W pixels
    conv = torch.nn.Conv2d(3, 1, 1, bias=True)
    gp = gradient_penalty(conv, real, fake, alpha)
    expected = (math.sqrt(5 * 6) * conv.weight.detach().norm() - 1) ** 2
    assert float(gp.detach()) == pytest.approx(float(expected), rel=1e-5)


def test_domain_classification_loss_by_hand():
    logits, labels = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), torch.tensor([0, 2])
    expected = (math.log(1 + 2 * math.exp(-2)) + math.log(3)) / 2
    assert float(domain_classification_loss(logits, labels)) == pytest.approx(expected, rel=1e-6)


def test_image_pool_mixes_history_and_resumes_exactly():
    pool = ImagePool(pool_size=4, seed=1)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first) and len(pool) == 4  # filling: returned as is
    state = pool.state_dict()
    outputs, from_history = [], 0
    for k in range(50):
        new = torch.full((2, 1, 1, 1), 100.0 + k)
        out = pool.query(new)
        outputs.append(out)
        from_history += int((out != new).flatten().sum())
        assert len(pool) == 4
    assert 25 <= from_history <= 75  # about half of the 100 images come from the history
    restored = ImagePool(pool_size=4, seed=999)
    restored.load_state_dict(state)
    replay = [restored.query(torch.full((2, 1, 1, 1), 100.0 + k)) for k in range(50)]
    assert all(torch.equal(a, b) for a, b in zip(outputs, replay))
    assert torch.equal(ImagePool(0).query(first), first)


def test_lr_policies():
    assert lr_factor("constant", 7, 10, 5, 100) == 1.0
    assert [lr_factor("linear", k, 4, 2, 1) for k in range(5)] == [1.0, 1.0, 1.0, 0.5, 0.0]
    with pytest.raises(ValueError, match="unknown learning-rate policy 'cosine'"):
        lr_factor("cosine", 0, 4, 2, 1)


def test_stargan_code_policy_replays_the_official_loop():
    """yunjey/stargan solver.py: after iteration i, if (i+1) % lr_update_step == 0 and
    (i+1) > num_iters - num_iters_decay: lr -= base / num_iters_decay."""
    base, num_iters, num_iters_decay, update = 1.0, 40, 20, 4
    lr, used = base, []
    for i in range(num_iters):
        used.append(lr)
        if (i + 1) % update == 0 and (i + 1) > num_iters - num_iters_decay:
            lr -= base / num_iters_decay
    ours = [lr_factor("stargan_code", s // update, num_iters // update, num_iters_decay // update, update)
            for s in range(num_iters)]
    assert ours == pytest.approx(used)
    # at the published sizes the rate only falls to 0.999x
    assert lr_factor("stargan_code", 200, 200, 100, 1000) == pytest.approx(0.999)
