# Fig 6B: fraction of rank-K RNNs that learn delayed activation, per learning rate (authors'
# Figure6/code/B-with-extra-data/run_network_rank.py: K ∈ {1,2,3,4,5,10,30,50,100} × lr ∈
# logspace(-3, 0, 10) × 10 seeds × 500k SGD epochs; learned = loss/loss0 < 1e-2 at the end).
# All K × lr × seed runs are one batched, rank-masked ensemble.
# Quick: every K, 3 rates in logspace(-1.5, -0.5) × 2 seeds × 1500 epochs (the higher rates, where
# runs learn or destabilise within a short budget), and "learned" = loss/loss0 < 5e-2, since 1500
# epochs leave the runs that do learn less time to converge than the paper's 500k.
experiment = "rank_sweep"
ranks = [1, 2, 3, 4, 5, 10, 30, 50, 100]
log10_lr_range = [-1.5, -0.5]
n_lrs = 3
n_seeds = 2
epochs = 1500
n_units = 100
alpha = 0.5
delay = 20
init_state_value = -0.3
learned_fraction = 0.05
curves_lr = 0.1
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
history_stride = 1        # loss recorded every that many epochs (streamed to checkpoints/rank_sweep_history/)
history_chunk = 100       # recorded rows held in memory between writes
paper = dict(log10_lr_range=[-3.0, 0.0], n_lrs=10, learned_fraction=0.01, n_seeds=10, epochs=500000, checkpoint_every=25000,
             log_every=1000, history_stride=100)
