# Fig 5 (DCDT): full-rank RNN (authors' Figure5/code/run_dcdt_fullrank.py): N = 100, W Xavier,
# W_in Xavier with nn.Linear's default bias, r0 = tanh(N(0, 0.1²)), noise σ = 1e-2, tanh readout,
# cue 10 ms / delay 50 ms / reaction 50 ms, one trial per condition, SGD lr 1e-2, 3001 epochs,
# seed 3, slow points at epochs 10/200/1000/3000 (FixedPointSolver: Adam lr 1e-2, 5000 iterations,
# one Newton step). The quick scale runs the same training; the slow-point finder does 1500
# Adam iterations (it converges well before) and the epochs are chosen by loss level.
experiment = "full_rank_slow_points"
seed = 3
task = "dcdt"
stimulus_ms = 10.0
delay_ms = 50.0
reaction_ms = 50.0
dt_ms = 5.0
trials_per_condition = 1
n_units = 100
alpha = 0.5
noise_std = 0.01
init_state_std = 0.1
input_bias_std = None
optimizer = "sgd"
lr = 1e-2
epochs = 3001
record_every = 1
snapshot_epochs = []
plateau_epoch = 5
finder = dict(n_iters=1500, lr=1e-2, lr_decay=1.0, newton_steps=3, newton_damping=1e-4, tol_unique=0.05,
              outlier_distance=5.0, tol_fixed=1e-10, tol_q=1e-14)
candidate_noise = 0.01
# Ghost timeline: the slow-point analysis at up to this many recorded epochs in [0, 20%-drop epoch]
timeline_max_epochs = 140
ghost_radius = 1.0            # a ghost within this distance (state space) of a trajectory state is near the path
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
# Medium: the paper's training for four seeds as one batch (the authors' seed 3 first).
medium = dict(seeds=[3, 0, 1, 2], timeline_max_epochs=40)
paper = dict(snapshot_epochs=[10, 200, 1000, 3000],
             finder=dict(n_iters=5000, lr=1e-2, lr_decay=1.0, newton_steps=3, newton_damping=1e-4,
                         tol_unique=0.05, outlier_distance=5.0, tol_fixed=1e-10, tol_q=1e-14))
