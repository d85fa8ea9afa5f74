# Critical learning rate vs the delay T ∈ {25, 50, 100, 200}: predicted η_c = 3π⁴/(32 T⁵)
# (derivation in dynamics/critical_lr.py) against the measured threshold, and the fitted exponent
# (the v2 abstract: "an inverse power law with the timescale of the learned computation").
experiment = "critical_lr_scaling"
Ts = [25.0, 50.0, 100.0, 200.0]
lrs_per_decade = 20
n_refine = 21
n_inits = 10
epochs = 3000
# "code": the authors' gradient (no 1/T), η_c ∝ T^-5; "exact": dL/dr, η_c ∝ T^-4.
convention = "code"
paper = dict(n_inits=100, epochs=10000, lrs_per_decade=40, n_refine=41)
