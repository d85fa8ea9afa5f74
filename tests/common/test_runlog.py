import json

import matplotlib
import pytest
from mmengine.config import Config

from common.runlog import NonFiniteError, RunLogger, check_finite, read_metrics

matplotlib.use("Agg")


def test_run_directory_holds_config_metrics_figures_tables(tmp_path):
    import matplotlib.pyplot as plt

    cfg = Config(dict(lr=0.1, model=dict(depth=3)))
    with RunLogger(tmp_path / "run", cfg=cfg) as log:
        log.log_metrics(1, loss=2.0, note="warmup")
        log.log_metrics(2, loss=1.5)
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0])
        png = log.save_figure(fig, "curve")
        table = log.save_table([{"T": 25, "eta": 1e-6}, {"T": 50, "eta": 3e-8}], "eta_c")
        js = log.save_json({"a": [1, 2]}, "result")
    run = tmp_path / "run"
    assert Config.fromfile(str(run / "config.py")).model.depth == 3
    rows = read_metrics(run / "metrics.jsonl")
    assert [(r["step"], r["loss"]) for r in rows] == [(1, 2.0), (2, 1.5)]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| T | eta |" in table.read_text()
    assert json.loads(table.with_suffix(".json").read_text())[1]["T"] == 50
    assert json.loads(js.read_text()) == {"a": [1, 2]}
    assert list((run / "tensorboard").iterdir())  # event files written


def test_resume_drops_metrics_logged_after_the_checkpoint(tmp_path):
    with RunLogger(tmp_path, tensorboard=False) as log:
        for step in range(1, 6):
            log.log_metrics(step, loss=float(step))
    with RunLogger(tmp_path, tensorboard=False, resume_step=3) as log:
        log.log_metrics(4, loss=40.0)
    assert [(r["step"], r["loss"]) for r in read_metrics(tmp_path / "metrics.jsonl")] == [
        (1, 1.0), (2, 2.0), (3, 3.0), (4, 40.0)]


def test_torn_last_line_is_ignored_but_inner_garbage_is_not(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{"step": 2')
    assert read_metrics(path) == [{"step": 1}]
    path.write_text('{"step": 1}\nnot json\n{"step": 3}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_metrics(path)


def test_non_main_rank_writes_nothing(tmp_path):
    with RunLogger(tmp_path / "r1", cfg=Config(dict(a=1)), rank=1) as log:
        log.log_metrics(1, loss=1.0)
        log.save_json({"a": 1}, "x")
    assert not (tmp_path / "r1").exists()


def test_check_finite_names_the_quantity_and_step():
    check_finite(1.0, "loss", 3)
    with pytest.raises(NonFiniteError, match=r"loss is nan at step 7"):
        check_finite(float("nan"), "loss", 7)
    with pytest.raises(NonFiniteError, match="inf"):
        check_finite(float("inf"), "grad_norm", 1)


def test_progress_bar_only_on_main_rank(tmp_path):
    main = RunLogger(tmp_path / "m", tensorboard=False)
    other = RunLogger(tmp_path / "o", rank=1, tensorboard=False)
    assert list(main.progress(range(3))) == [0, 1, 2]
    assert main.progress(range(3)).disable is False
    assert other.progress(range(3), disable=False).disable is True
    assert main.progress(range(3), disable=True).disable is True
    main.close()
    other.close()


def test_printed_tables_keep_every_digit_off_a_terminal(tmp_path, capsys):
    """A CI log or ``| tee`` is not a terminal: rich's default 80 columns cut cells to "0.12…"."""
    rows = [{f"column {i}": f"{0.123456789 * (i + 1):.9f}" for i in range(12)}]
    with RunLogger(tmp_path, tensorboard=False) as log:
        log.save_table(rows, "wide", title="a table far wider than 80 characters")
    out = capsys.readouterr().out
    assert "…" not in out
    assert all(value in out for value in rows[0].values())
    assert max(len(line) for line in out.splitlines()) > 80
