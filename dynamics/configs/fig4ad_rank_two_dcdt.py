# Figs 4A-D: rank-2 RNN on delayed cue discrimination (authors' Figure4/code/A-D - DCDT/run_dcdt.py):
# N = 100, K = 2, S_l ~ N(0, 1/N), S_r ~ N(0, 1), W_in Xavier, bias ~ N(0, 0.1²), r0 = tanh(N(0, 0.3²)),
# no noise, tanh readout of κ = r S_l, MSE over all steps, SGD lr 1e-3, 100k epochs, 500 trials
# per condition, cue 10 ms, delay 50 ms, reaction 50 ms (Δt = 5 ms); flow maps at epochs
# 0/4k/8k/20k/99k on [-7.5, 7.5]² (400² grid) and close-ups on [-1, 1]².
# Quick: 10 trials per condition, 4000 epochs and seed 3, which learns within that budget at
# lr 1e-3 (of seeds 0-3 only seed 3 reaches 20% of its plateau, at epoch ~1.5k); epochs drawn where
# the loss falls to 90/50/20% of its plateau.
experiment = "low_rank_flow"
seed = 3
task = "dcdt"
stimulus_ms = 10.0
delay_ms = 50.0
reaction_ms = 50.0
dt_ms = 5.0
trials_per_condition = 10
n_units = 100
alpha = 0.5
noise_std = 0.0
init_state_std = 0.3
input_bias_std = 0.1
rank = 2
optimizer = "sgd"
lr = 1e-3
epochs = 4000
record_every = 10
snapshot_epochs = []
plateau_epoch = 50
grid_range = [-7.5, 7.5]
n_grid = 150
closeup_range = [-1.0, 1.0]
newton_steps = 30
tol_fixed = 1e-10
# Ghost timeline: the slow-point analysis at up to this many recorded epochs in [0, 20%-drop epoch]
timeline_max_epochs = 300
ghost_radius = 0.5            # a ghost within this distance (latent units) of a trajectory state is near the path
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
# Medium: the paper's lr and task with four seeds as one batch (10 trials per condition instead of 500):
# the ghost-onset table (tables/ghost_onset.md) for each seed.
medium = dict(seeds=[0, 1, 2, 3], epochs=10000, record_every=20, timeline_max_epochs=60)
paper = dict(seed=0, trials_per_condition=500, epochs=100000, record_every=1000, n_grid=400,
             snapshot_epochs=[0, 4000, 8000, 20000, 99000], checkpoint_every=10000)
