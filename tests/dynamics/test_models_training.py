"""Batched ensembles: one batch of runs equals the same runs one by one; training records,
optimisers, resume and failure modes."""
import numpy as np
import pytest
import torch

from common.checkpoint import CheckpointError, CheckpointManager
from common.runlog import NonFiniteError
from dynamics.models import RateRNN
from dynamics.tasks import dcdt, delayed_activation, dmts
from dynamics.training import train_ensemble


def _rank_sweep_model(seeds, ranks):
    return RateRNN(seeds, rank=ranks, readout="units", init_state_value=-0.3, dtype=torch.float64)


def test_batched_sweep_equals_runs_one_by_one():
    # seeds × learning rates × ranks (padded to the largest rank) as one batch, plain SGD.
    # Batched matmuls sum in another order, so results agree to rounding (float64); training
    # amplifies rounding differences over epochs, hence 40 epochs and a 1e-8 tolerance.
    seeds, ranks, lrs = [0, 1, 2, 3], [1, 3, 100, 2], [0.05, 0.3, 0.1, 1.0]
    task = delayed_activation(20)
    batch = _rank_sweep_model(seeds, ranks)
    rec = train_ensemble(batch, task, 40, lrs)
    for e, (seed, rank, lr) in enumerate(zip(seeds, ranks, lrs)):
        single = _rank_sweep_model([seed], [rank])
        one = train_ensemble(single, task, 40, lr)
        np.testing.assert_allclose(rec.loss[:, e], one.loss[:, 0], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(rec.grad_norm[:, e], one.grad_norm[:, 0], rtol=1e-8, atol=1e-12)
        torch.testing.assert_close(batch.recurrent_weights()[e], single.recurrent_weights()[0],
                                   rtol=1e-8, atol=1e-9)
    assert rec.loss[-1].min() < rec.loss[0].min()        # something was learned


def test_batched_adam_on_working_memory_equals_single_runs():
    task = dmts(1)
    kwargs = dict(rank=2, n_inputs=1, readout="latent", init="working_memory", input_bias_std=0.1,
                  readout_state="current", dtype=torch.float64)
    batch = RateRNN([5, 6], **kwargs)
    rec = train_ensemble(batch, task, 40, 1e-2, optimizer="adam")
    for e, seed in enumerate([5, 6]):
        one = train_ensemble(RateRNN([seed], **kwargs), task, 40, 1e-2, optimizer="adam")
        np.testing.assert_allclose(rec.loss[:, e], one.loss[:, 0], rtol=1e-9)


def test_member_initialisation_reproduces_the_authors_rank_one_draw():
    torch.manual_seed(40)
    m, n = torch.randn(100) / 10, torch.randn(100) / 10      # RankOneRNN: m first, then n
    model = RateRNN([40], rank=1, readout="confidence")
    torch.testing.assert_close(model.V[0, 0], m)
    torch.testing.assert_close(model.U[0, :, 0], n)


def _authors_rnn_weights(seed, N, K, input_bias_std):
    """The authors' working-memory ``RNN.__init__`` re-stated from their scripts (Figure4/code/*/run_dcdt.py
    for K = 2, Figure5/code/run_dcdt_fullrank.py for full rank), on torch's global generator."""
    torch.manual_seed(seed)
    W_in = torch.nn.Linear(1, N)
    if K is None:
        W_rec = torch.nn.Parameter(torch.randn(N, N))
    else:
        S_l, S_r = torch.nn.Parameter(torch.randn(N, K)), torch.nn.Parameter(torch.randn(K, N))
        torch.nn.init.normal_(S_l, mean=0.0, std=1.0 / np.sqrt(N))
        torch.nn.init.normal_(S_r, mean=0.0, std=1.0)
    W_out = torch.nn.Linear(N if K is None else K, 1)
    torch.nn.init.xavier_uniform_(W_in.weight)
    if K is None:
        torch.nn.init.xavier_uniform_(W_rec)
    torch.nn.init.xavier_uniform_(W_out.weight)
    if input_bias_std is not None:
        torch.nn.init.normal_(W_in.bias, mean=0.0, std=input_bias_std)
    rec = {"W": W_rec} if K is None else {"U": S_l, "V": S_r}
    return {"W_in": W_in.weight.T, "b": W_in.bias, "W_out": W_out.weight.T, "b_out": W_out.bias, **rec}


@pytest.mark.parametrize("rank, input_bias_std, readout", [(None, None, "units"), (2, 0.1, "latent")],
                         ids=["full_rank_fig5", "rank_two_fig4"])
def test_working_memory_initialisation_reproduces_the_authors_draw(rank, input_bias_std, readout):
    for seed in (0, 3):
        expected = _authors_rnn_weights(seed, 100, rank, input_bias_std)
        model = RateRNN([7, seed], rank=rank, n_inputs=1, readout=readout, init="working_memory",
                        input_bias_std=input_bias_std)
        assert set(expected) == {n for n, _ in model.named_parameters()}
        for name, value in expected.items():
            torch.testing.assert_close(getattr(model, name)[1], value.detach(), rtol=0, atol=0, msg=name)


def test_learning_signal_on_dcdt():
    # full-rank DCDT with the authors' Fig 5 settings (SGD 1e-2) learns within a few hundred epochs
    torch.manual_seed(0)
    model = RateRNN([0, 4], rank=None, n_inputs=1, readout="units", out_nonlinearity="tanh",
                    init="working_memory", readout_state="current", init_state_std=0.1, noise_std=1e-2)
    rec = train_ensemble(model, dcdt(1), 400, 1e-2)
    assert np.all(rec.loss[-20:].mean(0) < 0.2 * rec.loss[0])
    assert np.all(rec.accuracy[-1] > 0.9)


def test_adam_needs_one_learning_rate_and_bad_settings_fail():
    model = _rank_sweep_model([0, 1], [1, 1])
    task = delayed_activation(5)
    with pytest.raises(ValueError, match="shared learning rate"):
        train_ensemble(model, task, 2, [0.1, 0.2], optimizer="adam")
    with pytest.raises(ValueError, match="positive"):
        train_ensemble(model, task, 2, [0.1, 0.0])
    with pytest.raises(ValueError, match="expected 1 or 2"):
        train_ensemble(model, task, 2, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="rank"):
        RateRNN([0], rank=0)
    with pytest.raises(ValueError, match="inputs must be"):
        RateRNN([0], n_inputs=1)(torch.zeros(2, 5, 3), 5)


def test_nan_loss_stops_training_with_a_clear_message():
    model = _rank_sweep_model([0], [2])
    with torch.no_grad():
        model.b[0, 0] = float("nan")
    with pytest.raises(NonFiniteError, match="training loss is nan"):
        train_ensemble(model, delayed_activation(5), 5, 0.1)


def test_resume_continues_exactly(tmp_path):
    kwargs = dict(rank=None, n_inputs=1, readout="units", init="working_memory", noise_std=0.05,
                  init_state_std=0.1, readout_state="current", dtype=torch.float64)
    task = dcdt(2)
    torch.manual_seed(0)
    straight = train_ensemble(RateRNN([1, 2], **kwargs), task, 30, 1e-2, optimizer="adam")
    torch.manual_seed(0)
    ckpt = CheckpointManager(tmp_path, prefix="phase")
    train_ensemble(RateRNN([1, 2], **kwargs), task, 15, 1e-2, optimizer="adam", checkpoints=ckpt,
                   checkpoint_every=10)
    assert [p.name for p in ckpt.checkpoints()] == ["phase_00000010.pt", "phase_00000015.pt"]
    # a fresh process would rebuild the model and resume from the checkpoint at epoch 15
    resumed = train_ensemble(RateRNN([1, 2], **kwargs), task, 30, 1e-2, optimizer="adam",
                             checkpoints=ckpt, checkpoint_every=10, resume=True)
    np.testing.assert_array_equal(resumed.loss, straight.loss)


def test_streamed_history_with_a_stride_equals_the_in_memory_one(tmp_path):
    kwargs = dict(rank=[1, 3], readout="units", init_state_value=-0.3, dtype=torch.float64)
    task = delayed_activation(10)
    full = train_ensemble(RateRNN([0, 1], **kwargs), task, 53, 0.2)
    ckpt = CheckpointManager(tmp_path, prefix="sweep")
    strided = train_ensemble(RateRNN([0, 1], **kwargs), task, 53, 0.2, checkpoints=ckpt, history_stride=7,
                             history_chunk=3)
    assert strided.epochs.tolist() == [0, 7, 14, 21, 28, 35, 42, 49, 52]        # every 7th and the last
    assert isinstance(strided.loss, np.memmap)
    np.testing.assert_array_equal(strided.loss, full.loss[strided.epochs])
    np.testing.assert_array_equal(np.load(tmp_path / "sweep_history" / "grad_norm.npy"), full.grad_norm[strided.epochs])
    # stopped at 30 (checkpoint every 10), resumed to 53 with the same stride: the same rows
    part = CheckpointManager(tmp_path / "part", prefix="sweep")
    train_ensemble(RateRNN([0, 1], **kwargs), task, 30, 0.2, checkpoints=part, checkpoint_every=10, history_stride=7,
                   history_chunk=2)
    resumed = train_ensemble(RateRNN([0, 1], **kwargs), task, 53, 0.2, checkpoints=part, resume=True,
                             history_stride=7, history_chunk=2)
    np.testing.assert_array_equal(resumed.loss, strided.loss)
    with pytest.raises(CheckpointError, match="history_stride=5"):        # other recorded epochs
        train_ensemble(RateRNN([0, 1], **kwargs), task, 60, 0.2, checkpoints=part, resume=True, history_stride=5)
    with pytest.raises(CheckpointError, match="beyond the 40 epochs"):     # the checkpoint is at 53
        train_ensemble(RateRNN([0, 1], **kwargs), task, 40, 0.2, checkpoints=part, resume=True, history_stride=7)


def test_memory_and_checkpoints_do_not_grow_with_epochs(tmp_path):
    # The streamed history holds `history_chunk` rows in memory; checkpoints keep no history.
    task = delayed_activation(2)
    sizes = []
    for epochs in (100, 1000):
        model = RateRNN(list(range(50)), n_units=4, rank=1, readout="units", dtype=torch.float64)
        ckpt = CheckpointManager(tmp_path / str(epochs), prefix="run")
        rec = train_ensemble(model, task, epochs, 0.1, checkpoints=ckpt, history_chunk=10,
                             metric_fn=lambda m, y, X: {"mean_state": X.mean(dim=(1, 2, 3))})
        assert rec.loss.shape == rec.metrics["mean_state"].shape == (epochs, 50)
        sizes.append(ckpt.latest().stat().st_size)
    assert sizes[0] == sizes[1]
    from dynamics.training import History
    history = History(10 ** 6, 900, stride=1, directory=tmp_path / "big", chunk=100)
    history.record(0, {"loss": torch.zeros(900)})
    assert sum(b.numel() * b.element_size() for b in history.buffers.values()) == 100 * 900 * 8
    assert history.filled == 1 and (tmp_path / "big" / "loss.npy").stat().st_blocks * 512 < 10 ** 6   # sparse


def test_train_ensemble_takes_your_own_cell_and_task():
    # An ensemble of Elman cells h' = tanh(h W + u w_in), y = h w_out, on DCDT, trained by the same loop.
    from dynamics.models import StepEnsemble

    class ElmanEnsemble(torch.nn.Module):
        def __init__(self, E, N):
            super().__init__()
            g = torch.Generator().manual_seed(0)
            self.W = torch.nn.Parameter(torch.randn(E, N, N, generator=g) / N ** 0.5)
            self.w_in = torch.nn.Parameter(torch.randn(E, 1, N, generator=g))
            self.w_out = torch.nn.Parameter(torch.randn(E, N, 1, generator=g) / N ** 0.5)

        def forward(self, u, h):
            h = torch.tanh(torch.bmm(h, self.W) + torch.bmm(u, self.w_in))
            return torch.tanh(torch.bmm(h, self.w_out)), h

    net = StepEnsemble(ElmanEnsemble(3, 16), n_members=3, hidden_size=16, recurrent=["W"])
    rec = train_ensemble(net, dcdt(2), 300, [0.03, 0.05, 0.1])
    assert rec.loss.shape == (300, 3) and np.all(rec.loss[-1] < 0.5 * rec.loss[0])
    assert np.all(rec.grad_norm_rec < rec.grad_norm)                     # ‖∇W‖ alone, without w_in, w_out
    net.cell.w_out.requires_grad_(False)                                 # a frozen readout: trained around it
    frozen = net.cell.w_out.detach().clone()
    more = train_ensemble(net, dcdt(2), 20, 0.05)
    assert torch.equal(net.cell.w_out, frozen) and np.isfinite(more.grad_norm_rec).all()

    class Bad(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.zeros(16, 16))

    with pytest.raises(ValueError, match="'cell.W'.*leading ensemble axis"):
        train_ensemble(StepEnsemble(Bad(), 3, 16), dcdt(1), 2, 0.1)
    with pytest.raises(TypeError, match="attribute E"):
        train_ensemble(Bad(), dcdt(1), 2, 0.1)


def test_flow_under_a_constant_input_is_a_shifted_bias():
    model = RateRNN([3], n_units=8, n_inputs=1, readout="units", init="working_memory", dtype=torch.float64)
    x = torch.randn(5, 8, dtype=torch.float64)
    W, b, w_in = model.W[0].detach(), model.b[0].detach(), model.W_in[0, 0].detach()
    torch.testing.assert_close(model.flow(0)(x), -x + torch.tanh(x @ W + b))
    torch.testing.assert_close(model.flow(0, 0.7)(x), -x + torch.tanh(x @ W + b + 0.7 * w_in))
    # a fixed point of the flow under input u is a fixed point of the network driven by u
    from dynamics import fixed_points
    pts = fixed_points.find_slow_points(model.flow(0, 0.7), x, {"n_iters": 2000, "newton_steps": 20})
    fp = pts.x[[k in fixed_points.FIXED_KINDS for k in pts.kind]][0]
    torch.testing.assert_close(torch.tanh(fp @ W + b + 0.7 * w_in), fp, atol=1e-9, rtol=0)
    with pytest.raises(ValueError, match="no input"):
        RateRNN([0], n_units=4).flow(0, 1.0)
