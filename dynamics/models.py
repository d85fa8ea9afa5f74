"""One discrete-time rate RNN class for every network of the paper, as a batched ensemble.

``RateRNN`` holds E independent networks (ensemble members: seeds × learning rates × ranks …)
in stacked parameters with a leading member axis, so a sweep is one batched computation:

    x_{t+1} = (1 − α) x_t + α tanh(x_t W + u_t W_in + b + ε_t),   ε_t ~ N(0, σ²),

in the row-vector convention of the authors' code, with W = U V of rank K (U ``[N, K]``,
V ``[K, N]``; latent coordinates κ = x U) or a full ``[N, N]`` matrix. Members may have different
ranks: U and V are padded to the largest rank and the unused columns are masked to zero.

Variants of the paper (authors' scripts in brackets):

=====================  ==============================================  ===================
network                settings                                        readout
=====================  ==============================================  ===================
rank-one (Figs 3, 8B)  rank=1, U = n, V = mᵀ, b trainable              σ(c (κ − 1)), κ = nᵀx
rank-K (Fig 6B)        rank=K, trainable readout                       σ(x W_out + b_out)
full rank (Fig 6A)     rank=None, trainable readout                    σ(x W_out + b_out)
low rank (Fig 4)       rank=2, inputs, init "working_memory"           f(κ W_out + b_out)
full rank (Figs 5, 7)  rank=None, inputs, init "working_memory"        f(x W_out + b_out)
=====================  ==============================================  ===================

with f = tanh (DCDT) or sigmoid (DMTS). Initialisations, per member from its own seed, drawn in
float32 in the authors' order, so a member's initial weights equal those of the authors' script
for the same seed (their scripts call ``torch.manual_seed(seed)`` right before building the
network; a fresh ``torch.Generator`` seeded alike gives the same stream):

* ``"delayed_activation"``: rank one draws m then n ~ N(0, 1/N) (``RankOneRNN``); rank K draws
  U then V ~ N(0, 1/N) (``RankKRNN``); full W ~ N(0, 1/N); b = 0; W_out, b_out ~ N(0, 1/N).
* ``"working_memory"`` (the authors' ``RNN`` class): ``nn.Linear(I, N)`` for W_in (Kaiming
  weight, bias U(±1/√I)); then full rank: ``randn(N, N)`` for W_rec; low rank: ``randn`` for
  S_l ``[N, K]`` and S_r ``[K, N]`` redrawn at once as N(0, 1/N) and N(0, 1) (Fig 4's class);
  then ``nn.Linear(fan_in, O)`` for W_out (Kaiming weight, bias U(±1/√fan_in)); then Xavier-
  uniform W_in weight, (full rank) Xavier-uniform W_rec, Xavier-uniform W_out weight; finally
  b ~ N(0, input_bias_std²) when that is set (Fig 4), else b keeps nn.Linear's U(±1/√I).

What is not reproduced: the authors draw the initial state and the per-step noise from torch's
global generator after the weights (one ``randn(B, N)`` per step); here they come from the global
generator as seeded by the run, the noise of a forward pass in one draw.

The initial state is x₀ = ``init_state_value`` + tanh(``init_state_std`` · ξ), ξ ~ N(0, I), drawn
anew at every forward pass (authors: −0.3·𝟙 for delayed activation, tanh(N(0, σ₀²)) otherwise).
``readout_state="next"`` reads x_{t+1} after each update (delayed-activation scripts);
``"current"`` reads x_t before it (working-memory scripts).
"""
from __future__ import annotations

import copy
import math
from typing import Sequence

import torch
from torch import nn

READOUTS = ("confidence", "latent", "units")
INITS = ("delayed_activation", "working_memory")


def _linear(g: torch.Generator, fan_in: int, fan_out: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``nn.Linear(fan_in, fan_out)``'s draws: weight ``[out, in]`` Kaiming-uniform, bias U(±1/√fan_in)."""
    weight = nn.init.kaiming_uniform_(torch.empty(fan_out, fan_in), a=math.sqrt(5), generator=g)
    bound = 1.0 / math.sqrt(fan_in)
    return weight, torch.empty(fan_out).uniform_(-bound, bound, generator=g)


def _authors_working_memory(g: torch.Generator, N: int, I: int, O: int, K: int | None, readout: str,
                            input_bias_std: float | None) -> dict[str, torch.Tensor]:
    """One member's weights drawn in the order of the authors' ``RNN.__init__`` (module docstring)."""
    if I < 1 or readout == "confidence":
        raise ValueError("init 'working_memory' needs inputs (n_inputs >= 1) and a linear readout ('latent' or 'units')")
    w_in, b = _linear(g, I, N)
    p: dict[str, torch.Tensor] = {}
    if K is None:
        p["W"] = torch.randn(N, N, generator=g)
    else:
        U, V = torch.randn(N, K, generator=g), torch.randn(K, N, generator=g)
        p["U"], p["V"] = U.normal_(0.0, 1.0 / math.sqrt(N), generator=g), V.normal_(0.0, 1.0, generator=g)
    fan_in = K if (readout == "latent" and K is not None) else N
    w_out, p["b_out"] = _linear(g, fan_in, O)
    p["W_in"] = nn.init.xavier_uniform_(w_in, generator=g).T.contiguous()           # x-row convention: [I, N]
    if K is None:
        nn.init.xavier_uniform_(p["W"], generator=g)
    p["W_out"] = nn.init.xavier_uniform_(w_out, generator=g).T.contiguous()         # [fan_in, O]
    p["b"] = b.normal_(0.0, input_bias_std, generator=g) if input_bias_std is not None else b
    return p


class RateRNN(nn.Module):
    """An ensemble of E rate RNNs evaluated together.

    Args:
        seeds: ``E`` seeds, one per member (initial weights).
        n_units: N.  rank: None (full W), an int, or ``E`` ints (one rank per member).
        alpha: Δt/τ.  n_inputs: I (0: no input).  n_outputs: O.
        readout: ``"confidence"``, ``"latent"`` or ``"units"`` (see the module docstring).
        out_nonlinearity: ``"sigmoid"`` or ``"tanh"`` for the linear readouts.
        confidence: c of the ``"confidence"`` readout (a float or ``E`` floats).
        threshold: κ threshold of the ``"confidence"`` readout.
        trainable_confidence: learn c as well (Fig 8B variant).
        readout_state: ``"next"`` or ``"current"``.
        noise_std: σ of the recurrent noise.  init_state_value, init_state_std: x₀ (see above).
        init: ``"delayed_activation"`` or ``"working_memory"``.
        input_bias_std: std of b under ``"working_memory"`` (None: nn.Linear's uniform default).
        dtype, device: of the parameters.
    """

    def __init__(self, seeds: Sequence[int], n_units: int = 100, rank: int | Sequence[int] | None = None,
                 alpha: float = 0.5, n_inputs: int = 0, n_outputs: int = 1, readout: str = "units",
                 out_nonlinearity: str = "sigmoid", confidence: float | Sequence[float] = 10.0,
                 threshold: float = 1.0, trainable_confidence: bool = False,
                 readout_state: str = "next", noise_std: float = 0.0, init_state_value: float = 0.0,
                 init_state_std: float = 0.0, init: str = "delayed_activation",
                 input_bias_std: float | None = None, dtype: torch.dtype = torch.float32,
                 device: torch.device | str = "cpu") -> None:
        super().__init__()
        seeds = [int(s) for s in seeds]
        E = len(seeds)
        if E < 1:
            raise ValueError("an ensemble needs at least one member (seed)")
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got '{readout}'")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got '{init}'")
        if out_nonlinearity not in ("sigmoid", "tanh"):
            raise ValueError(f"out_nonlinearity must be 'sigmoid' or 'tanh', got '{out_nonlinearity}'")
        if readout_state not in ("next", "current"):
            raise ValueError(f"readout_state must be 'next' or 'current', got '{readout_state}'")
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha = Δt/τ must be in (0, 1], got {alpha}")
        if n_units < 1 or noise_std < 0 or init_state_std < 0:
            raise ValueError("n_units must be >= 1 and noise_std, init_state_std >= 0")
        ranks = None if rank is None else ([int(rank)] * E if isinstance(rank, (int, float)) else [int(k) for k in rank])
        if ranks is not None and (len(ranks) != E or min(ranks) < 1 or max(ranks) > n_units):
            raise ValueError(f"rank must be None, an int in [1, {n_units}] or {E} such ints, got {rank}")
        if readout in ("confidence", "latent") and ranks is None:
            raise ValueError(f"the '{readout}' readout reads latent coordinates and needs a low rank")
        if readout == "confidence" and max(ranks) != 1:
            raise ValueError("the 'confidence' readout σ(c(κ − θ)) is defined for rank-one networks")
        self.E, self.N, self.alpha = E, n_units, float(alpha)
        self.n_inputs, self.n_outputs = n_inputs, n_outputs
        self.readout_kind, self.out_nonlinearity, self.readout_state = readout, out_nonlinearity, readout_state
        self.threshold, self.noise_std = float(threshold), float(noise_std)
        self.init_state_value, self.init_state_std = float(init_state_value), float(init_state_std)
        self.ranks, self.seeds, self.init_kind = ranks, seeds, init
        k_max = None if ranks is None else max(ranks)
        members = [self._init_member(seed, init, ranks[e] if ranks else None, k_max, input_bias_std)
                   for e, seed in enumerate(seeds)]
        for name in members[0]:
            setattr(self, name, nn.Parameter(torch.stack([m[name] for m in members]).to(dtype=dtype, device=device)))
        if ranks is not None and len(set(ranks)) > 1:
            mask = (torch.arange(k_max)[None, :] < torch.tensor(ranks)[:, None]).to(dtype)
            self.register_buffer("rank_mask", mask[:, None, :].to(device))
        else:
            self.rank_mask = None
        c = torch.as_tensor(confidence, dtype=dtype).expand(E).clone().to(device)
        if trainable_confidence:
            self.c = nn.Parameter(c)
        else:
            self.register_buffer("c", c)

    # ------------------------------------------------------------------------------------ init
    def _init_member(self, seed: int, init: str, K: int | None, k_max: int | None,
                     input_bias_std: float | None) -> dict[str, torch.Tensor]:
        g = torch.Generator().manual_seed(seed)
        N, I, O = self.N, self.n_inputs, self.n_outputs
        p: dict[str, torch.Tensor] = {}
        if init == "working_memory":
            p.update(_authors_working_memory(g, N, I, O, K, self.readout_kind, input_bias_std))
            if self.readout_kind == "latent" and K != k_max:
                p["W_out"] = torch.cat([p["W_out"], torch.zeros(k_max - K, O)])
        else:
            if I > 0:
                p["W_in"] = nn.init.xavier_uniform_(torch.empty(N, I), generator=g).T.contiguous()
            if K is None:
                p["W"] = torch.randn(N, N, generator=g) / math.sqrt(N)
            elif self.readout_kind == "confidence":   # RankOneRNN: m (= V) first, then n (= U)
                p["V"] = (torch.randn(N, generator=g) / math.sqrt(N))[None, :]
                p["U"] = (torch.randn(N, generator=g) / math.sqrt(N))[:, None]
            else:                                     # RankKRNN: m (= U) then n (= V)
                p["U"] = torch.randn(N, K, generator=g) / math.sqrt(N)
                p["V"] = torch.randn(K, N, generator=g) / math.sqrt(N)
            p["b"] = torch.zeros(N)
            if self.readout_kind in ("latent", "units"):
                fan_in = K if self.readout_kind == "latent" else N
                p["W_out"] = torch.randn(fan_in, O, generator=g) / math.sqrt(N)
                p["b_out"] = torch.randn(O, generator=g) / math.sqrt(N)
                if self.readout_kind == "latent" and K != k_max:
                    p["W_out"] = torch.cat([p["W_out"], torch.zeros(k_max - K, O)])
        if K is not None and K != k_max:
            p["U"] = torch.cat([p["U"], torch.zeros(N, k_max - K)], dim=1)
            p["V"] = torch.cat([p["V"], torch.zeros(k_max - K, N)], dim=0)
        return p

    # -------------------------------------------------------------------------------- weights
    @property
    def low_rank(self) -> bool:
        return self.ranks is not None

    def projection(self) -> torch.Tensor:
        """U with unused rank columns zeroed: ``[E, N, K]`` (κ = x U)."""
        return self.U if self.rank_mask is None else self.U * self.rank_mask

    def recurrent_weights(self) -> torch.Tensor:
        """Effective W (pre-activation x W): ``[E, N, N]``."""
        return torch.bmm(self.projection(), self.V) if self.low_rank else self.W

    def recurrent_parameters(self) -> list[nn.Parameter]:
        """The connectivity parameters (U, V or W)."""
        return [self.U, self.V] if self.low_rank else [self.W]

    # -------------------------------------------------------------------------------- forward
    def initial_state(self, n_trials: int) -> torch.Tensor:
        """x₀: ``[E, B, N]``."""
        shape = (self.E, n_trials, self.N)
        x0 = torch.full(shape, self.init_state_value, dtype=self.b.dtype, device=self.b.device)
        if self.init_state_std > 0:
            x0 = x0 + torch.tanh(self.init_state_std * torch.randn(shape, dtype=x0.dtype, device=x0.device))
        return x0

    def forward(self, inputs: torch.Tensor | None, n_steps: int, n_trials: int = 1
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run every member on the same trials.

        Args:
            inputs: ``[B, S, I]`` or ``None`` (then ``n_trials`` trials without input).
            n_steps: S.
        Returns:
            (y, X): outputs ``[E, B, S, O]`` and states ``[E, B, S + 1, N]`` (x₀ … x_S).
        """
        if inputs is not None:
            if inputs.dim() != 3 or inputs.shape[1] != n_steps or inputs.shape[2] != self.n_inputs:
                raise ValueError(f"inputs must be [B, {n_steps}, {self.n_inputs}], got {tuple(inputs.shape)}")
            n_trials = inputs.shape[0]
            drive = torch.einsum("bsi,ein->ebsn", inputs, self.W_in) + self.b[:, None, None, :]
        else:
            drive = self.b[:, None, :]
        x = self.initial_state(n_trials)
        noise = (self.noise_std * torch.randn((n_steps,) + x.shape, dtype=x.dtype, device=x.device)
                 if self.noise_std > 0 else None)
        rank_one = self.low_rank and self.U.shape[2] == 1
        factored = self.low_rank and 2 * self.U.shape[2] < self.N
        U = self.projection() if self.low_rank else None
        W = None if factored else self.recurrent_weights()
        u1, v1 = (U[:, None, :, 0], self.V[:, None, 0, :]) if rank_one else (None, None)
        states = [x]
        for t in range(n_steps):
            d = drive[:, :, t] if inputs is not None else drive
            if rank_one:   # elementwise is much faster than tiny batched matmuls
                pre = torch.addcmul(d, (x * u1).sum(-1, keepdim=True), v1)
            elif factored:
                pre = torch.baddbmm(d, torch.bmm(x, U), self.V)
            else:
                pre = torch.baddbmm(d, x, W)
            if noise is not None:
                pre = pre + noise[t]
            x = torch.lerp(x, torch.tanh(pre), self.alpha)
            states.append(x)
        X = torch.stack(states, dim=2)
        read = X[:, :, 1:] if self.readout_state == "next" else X[:, :, :-1]
        return self.readout(read), X

    def readout(self, states: torch.Tensor) -> torch.Tensor:
        """Outputs from states.  states: ``[E, B, S, N]`` → ``[E, B, S, O]``."""
        if self.readout_kind == "confidence":
            kappa = torch.einsum("ebsn,en->ebs", states, self.U[:, :, 0])
            return torch.sigmoid(self.c[:, None, None] * (kappa - self.threshold)).unsqueeze(-1)
        E, B, S, N = states.shape
        z = states.reshape(E, B * S, N)
        if self.readout_kind == "latent":
            z = torch.bmm(z, self.projection())
        z = torch.baddbmm(self.b_out[:, None, :], z, self.W_out).reshape(E, B, S, -1)
        return torch.sigmoid(z) if self.out_nonlinearity == "sigmoid" else torch.tanh(z)

    @torch.no_grad()
    def input_bias(self, input_value: float | Sequence[float] | None = None) -> torch.Tensor:
        """``[E, N]`` bias of every member's flow under a constant input u: b + u W_in (b when None)."""
        b = self.b.detach()
        if input_value is None:
            return b
        if self.n_inputs == 0:
            raise ValueError("this ensemble has no input weights (n_inputs = 0); use input_value=None")
        u = torch.as_tensor(input_value, dtype=b.dtype, device=b.device).flatten()
        if u.numel() != self.n_inputs:
            raise ValueError(f"input_value has {u.numel()} values for a network with {self.n_inputs} inputs")
        return b + torch.einsum("i,ein->en", u, self.W_in.detach())

    def flow(self, member: int, input_value: float | Sequence[float] | None = None):
        """F(x) = −x + tanh(x W + u W_in + b) of one member under a constant input u (None: no input).

        The map is x ← x + α F(x); pass the result to ``fixed_points.find_slow_points``.
        Returns:
            A function ``[P, N] → [P, N]`` (weights detached, in the model's dtype).
        """
        if not 0 <= member < self.E:
            raise IndexError(f"member {member} out of range for an ensemble of {self.E}")
        with torch.no_grad():
            W, b = self.recurrent_weights()[member].detach(), self.input_bias(input_value)[member]
        return lambda x: -x + torch.tanh(x @ W + b)

    # ---------------------------------------------------------------------------- interventions
    @torch.no_grad()
    def renormalize_readout_(self, l1_norm: torch.Tensor) -> None:
        """Scale W_out (and b_out) of every member to ‖W_out‖₁ = ``l1_norm`` ``[E]`` (inf: untouched).

        The authors' Fig 8C intervention, applied before every forward pass.
        """
        finite = torch.isfinite(l1_norm)
        scale = torch.where(finite, l1_norm / self.W_out.abs().sum(dim=(1, 2)), torch.ones_like(l1_norm))
        self.W_out.mul_(scale[:, None, None])
        self.b_out.mul_(scale[:, None])

    @torch.no_grad()
    def select(self, index: Sequence[int] | torch.Tensor) -> "RateRNN":
        """A new ensemble made of members ``index`` (repeats allowed), with copied weights."""
        index = torch.as_tensor(index, dtype=torch.long, device=self.b.device)
        new = copy.deepcopy(self)
        for name, p in list(self.named_parameters()):
            setattr(new, name, nn.Parameter(p.detach()[index].clone(), requires_grad=p.requires_grad))
        for name, buf in list(self.named_buffers()):
            setattr(new, name, buf[index].clone())
        new.E = len(index)
        new.seeds = [self.seeds[i] for i in index.tolist()]
        new.ranks = None if self.ranks is None else [self.ranks[i] for i in index.tolist()]
        return new


class StepEnsemble(nn.Module):
    """Your own recurrent cell as an ensemble that ``training.train_ensemble`` can train.

    Args:
        cell: an ``nn.Module`` mapping ``(u_t, h)`` to ``(y_t, h_next)``: input ``[E, B, I]`` (or None
            for an input-free task), hidden ``[E, B, N]`` → output ``[E, B, O]``, hidden ``[E, B, N]``.
            Every trainable parameter has a leading ``[E]`` axis (members share no weights).
        n_members: E.  hidden_size: N.
        initial_state: ``(E, B) → [E, B, N]`` (default: zeros).
        recurrent: names of the parameters whose gradient norm is recorded as "recurrent"
            (default: all).
    """

    def __init__(self, cell: nn.Module, n_members: int, hidden_size: int, initial_state=None,
                 recurrent: Sequence[str] | None = None) -> None:
        super().__init__()
        self.cell, self.E, self.N = cell, int(n_members), int(hidden_size)
        self.initial_state, self.recurrent = initial_state, recurrent

    def recurrent_parameters(self) -> list[nn.Parameter]:
        named = dict(self.cell.named_parameters())
        unknown = set(self.recurrent or ()) - set(named)
        if unknown:
            raise KeyError(f"no parameters named {sorted(unknown)} in the cell (it has {sorted(named)})")
        return [named[n] for n in self.recurrent] if self.recurrent else list(named.values())

    def forward(self, inputs: torch.Tensor | None, n_steps: int, n_trials: int = 1
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Unroll the cell.  inputs: ``[B, S, I]`` or None.  Returns (``[E, B, S, O]``, ``[E, B, S + 1, N]``)."""
        B = inputs.shape[0] if inputs is not None else n_trials
        ref = next(self.cell.parameters())
        h = (self.initial_state(self.E, B) if self.initial_state is not None
             else torch.zeros(self.E, B, self.N, dtype=ref.dtype, device=ref.device))
        ys, hs = [], [h]
        for t in range(n_steps):
            u = inputs[:, t].expand(self.E, -1, -1) if inputs is not None else None
            y, h = self.cell(u, h)
            ys.append(y)
            hs.append(h)
        return torch.stack(ys, dim=2), torch.stack(hs, dim=2)
