# Figs 3c,d: the same rank-one RNN at a large learning rate (authors' Figure3/code/B: seed 40,
# SGD lr 0.02, 6000 epochs): it learns abruptly, then the loss oscillates and jumps back up
# (destabilisation). Panel (d) shows κ̇ at the three epochs around the largest loss jump
# (the authors' inset shows epochs 5156/5163/5166 of their run). Quick scale = paper scale.
experiment = "rank_one_ghost"
seeds = [40]
n_units = 100
alpha = 0.5
delay = 20
confidence = 10.0
threshold = 1.0
init_state_value = -0.3
lr = 0.02
epochs = 6000
kappa_range = [-15.0, 15.0]
n_kappa = 1000
record_every = 1
snapshot_epochs = []
plateau_epoch = 0        # the plateau loss is the loss at this epoch
onset_fraction = 0.9     # onset: loss below 90% of the plateau (it leaves the plateau)
drop_fraction = 0.1      # "learned": loss below 10% of the plateau
ghost_distance = 1.0     # ghost speed ceiling = ghost_distance / (α · delay)
destabilisation_panel = True
plot_kappa_range = [-9.0, 9.0]
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
paper = dict()
