# Fig 6A (left): rank-one delayed-activation RNN, loss vs learning rate (authors'
# Figure6/code/A/run_multiple_networks.py: lr ∈ logspace(-4, -1, 30) × 10 seeds × 200,001 SGD epochs,
# losses reported at epochs 10k–200k). All 300 runs are one batched ensemble.
# Quick: 12 rates in logspace(-2.5, -0.5) × 3 seeds × 6000 epochs, where learning and its
# destabilisation both happen within the budget (runs at 1e-2 learn after 6k–15k epochs).
experiment = "learning_rate_sweep"
network = "rank_one"
n_units = 100
alpha = 0.5
delay = 20
confidence = 10.0
init_state_value = -0.3
log10_lr_range = [-2.5, -0.5]
n_lrs = 12
n_seeds = 3
epochs = 6000
report_epochs = [1000, 3000, 5999]
learned_fraction = 0.05   # learned: final loss below 5% of the initial loss
saturation_threshold = 0.99
example_lr = 0.02
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict(log10_lr_range=[-4.0, -1.0], n_lrs=30, n_seeds=10, epochs=200001,
             report_epochs=[10000, 50000, 100000, 150000, 200000], checkpoint_every=20000, log_every=1000)
