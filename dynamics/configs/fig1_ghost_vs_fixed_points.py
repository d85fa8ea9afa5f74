# Fig 1: ẋ = x² + r with r = ∓0.5 — two fixed points vs a ghost (authors' Figure1/code/plot.py),
# plus the r^(-1/2) time spent at the ghost. Cheap: quick and paper scales are the same.
experiment = "ghost_schematic"
r_values = [-0.5, 0.5]
x_range = [-2.0, 2.0]
n_candidates = 41
finder_iters = 2000
escape_r = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
escape_dt = 0.01
ghost_speed_max = 1.0    # ghost speed ceiling of the finder (an ODE on a unit time scale: r = 0.5 is a ghost)
paper = dict()
