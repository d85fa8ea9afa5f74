# Figs 4E-H: rank-2 RNN on delayed match-to-sample (authors' Figure4/code/E-H - DMTS/run_dmts.py):
# as Fig 4A-D but stimuli 30 ms, delay 80 ms, reaction 50 ms, sigmoid readout (match = 1),
# noise σ = 1e-2, Adam lr 1e-4, 20k epochs, 500 trials per condition; flow maps at epochs
# 0/400/1600/3000/19990 on [-10, 10]².
# Quick: 10 trials per condition, Adam lr 1e-3, 3000 epochs and the authors' seed 0, which sits on
# the plateau of the trivial solution (output 0, loss ~0.12), descends from ~400 epochs (loss 0.06 at
# 1k) with spikes back to the plateau, and reaches 20% of it at ~2.8k. The plateau level is read at
# epoch 300, after the first fast descent to that solution.
experiment = "low_rank_flow"
seed = 0
task = "dmts"
stimulus_ms = 30.0
delay_ms = 80.0
reaction_ms = 50.0
dt_ms = 5.0
trials_per_condition = 10
n_units = 100
alpha = 0.5
noise_std = 0.01
init_state_std = 0.3
input_bias_std = 0.1
rank = 2
optimizer = "adam"
lr = 1e-3
epochs = 3000
record_every = 10
snapshot_epochs = []
plateau_epoch = 300
grid_range = [-10.0, 10.0]
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
# Medium: the paper's Adam lr 1e-4 and 20k epochs with three seeds as one batch (10 trials per condition).
medium = dict(seeds=[0, 1, 2], lr=1e-4, epochs=20000, record_every=20, timeline_max_epochs=60)
paper = dict(seed=0, trials_per_condition=500, lr=1e-4, epochs=20000, record_every=10, n_grid=400,
             snapshot_epochs=[0, 400, 1600, 3000, 19990], checkpoint_every=5000)
