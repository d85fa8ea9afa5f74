# Figs 3a,b: rank-one RNN (N = 100, α = 0.5, c = 10, T = 20) on delayed activation: a long plateau,
# a ghost on the κ path, then an abrupt drop, with a constant number of fixed points.
# Paper (authors' Figure3/code/A and "Fixed point test"): seed 40, SGD lr 0.003, 500k epochs.
# Quick: lr 0.01 and the four seeds among 0–25 that learn first at that rate (24, 1, 5, 18: loss
# below 10% after 6.2k–6.9k epochs; all 26 learn within 6k–15k epochs), trained as one batch, so the
# same phenomenon fits a 2-core CPU budget. Seed 24 is plotted; the table covers all four.
experiment = "rank_one_ghost"
seeds = [24, 1, 5, 18]
n_units = 100
alpha = 0.5
delay = 20
confidence = 10.0
threshold = 1.0
init_state_value = -0.3   # x0 = -0.3·1 (the authors draw a random x0, then zero it)
lr = 0.01
epochs = 7200
kappa_range = [-15.0, 15.0]
n_kappa = 1000
record_every = 1
snapshot_epochs = []      # [] = epoch 0, just before the drop, last epoch
plateau_epoch = 0        # the plateau loss is the loss at this epoch (the loss is flat from the start)
onset_fraction = 0.9     # onset: loss below 90% of the plateau (it leaves the plateau)
drop_fraction = 0.1      # "learned": loss below 10% of the plateau
ghost_distance = 1.0     # ghost speed ceiling = ghost_distance / (α · delay) = 0.1 (κ units per unit time)
destabilisation_panel = False
plot_kappa_range = [-9.0, 9.0]
dtype = "float32"
cpu_threads = 1
checkpoint_every = 0
log_every = 100
# Medium: the authors' lr 0.003 for their seed 40 and three more, as one batch (seed 40 leaves the
# plateau at epoch ~33.6k).
medium = dict(seeds=[40, 24, 1, 5], lr=0.003, epochs=36000)
paper = dict(seeds=[40], lr=0.003, epochs=500000, record_every=100, checkpoint_every=50000, log_every=1000)
