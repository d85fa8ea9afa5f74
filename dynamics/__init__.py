"""Reproduction of "A ghost mechanism: an analytical model of abrupt learning" (Dinc, Cirakman et al.,
arXiv:2501.02378), every figure from one command: ``python -m dynamics.train dynamics/configs/<fig>.py``.

Modules, one concept each:

* ``canonical``: the 1-D model ẋ = x² + r — Euler simulation, exact autograd gradient, the a → ∞
  closed forms (escape time, loss, r*, no-learning zone), gradient descent on r.
* ``critical_lr``: derivation and measurement of the critical learning rate η_c(T).
* ``tasks``: delayed activation, delayed cue discrimination (DCDT), delayed match-to-sample (DMTS).
* ``models``: ``RateRNN``, one rate-RNN class (rank one, rank K, full rank) batched over ensemble members.
* ``training``: full-batch SGD (per-member learning rates) / Adam of an ensemble, with records and resume.
* ``latent``: exact latent flows of low-rank networks, speed minima, zero crossings.
* ``fixed_points``: the batched slow-point finder (Adam on ½|F|², Newton, de-duplication, Jacobians).
* ``experiments``: one module per figure; ``configs``: one config per figure (quick and paper scale).
* ``demo`` (canonical figures in about a minute) and ``bench`` (batched vs one-at-a-time sweeps).
"""
