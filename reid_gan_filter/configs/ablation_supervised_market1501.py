# Selection cut-offs on Market-1501 (the default 3 x 3 grid of percentiles 50 / 70 / 100 in each space): for each
# cell the generated images kept from the scores of work_dirs/score_market1501 join the real training set, and the
# supervised comparison run of train_supervised_filtered_market1501.py is trained and evaluated (9 runs; the cell
# 100 / 100 is "real + all generated").
_base_ = ["./train_supervised_filtered_market1501.py"]
