"""The scoring entry point end to end on the ``test``-scale synthetic set: the kept set finds the good images
(precision >= 0.9, recall >= 0.7) and each encoder alone does worse; every output of the run directory; a rerun
reuses E_c and the cached features and gives identical scores; the command line."""
import json
from pathlib import Path

import numpy as np
import pytest

from common.config import ConfigKeyError, load_config
from common.gan.manifest import read_manifest, write_manifest
from reid_gan_filter.defaults import DEFAULTS
from reid_gan_filter.score import check_config, main, read_kept_manifest, run_scoring
from reid_gan_filter.synthetic_generated import GENERATED_DIR, SCALES, make_generated_set

from .conftest import CONFIG_DIR, synthetic_config

CONFIG = CONFIG_DIR / "score_synthetic.py"


def _check_quality(quality):
    table = {row["selection"]: row for row in quality}
    both = table["intersection"]
    print("\n".join(str(row) for row in quality))
    assert both["precision"] >= 0.9 and both["recall"] >= 0.7
    for alone in ("E_c alone", "E_d alone"):
        assert table[alone]["precision"] < both["precision"] and table[alone]["F1"] < both["F1"]
    # what each encoder cannot see: E_c keeps the near-copies, E_d the identity-breaking images
    kept = {name: {q: int(row[f"kept {q}"].split("/")[0]) / int(row[f"kept {q}"].split("/")[1])
                   for q in ("good", "copy", "break")} for name, row in table.items()}
    assert kept["E_c alone"]["copy"] > 0.9 and kept["E_d alone"]["break"] > 0.7
    assert kept["E_c alone"]["break"] < 0.3 and kept["E_d alone"]["copy"] < 0.1


def test_kept_set_finds_the_good_images(scored):
    _, result = scored
    _check_quality(result.quality)


def test_run_directory_outputs(scored):
    work, result = scored
    kept = read_kept_manifest(work)
    assert kept == [row for row, keep in zip(result.rows, result.selection.kept) if keep]
    assert read_manifest(work / "kept" / "manifest.json") == kept
    scores = json.loads((work / "scores.json").read_text())
    assert len(scores) == len(result.rows)
    assert [s["consistency"] for s in scores] == pytest.approx(result.consistency.tolist())
    assert sum(s["kept"] for s in scores) == len(kept) and {s["quality"] for s in scores} == {"good", "copy", "break"}
    figures = {p.name for p in (work / "figures").iterdir()}
    assert {"score_histograms.png", "score_scatter.png", "grid_synthetic-good.png", "grid_synthetic-copy.png",
            "grid_synthetic-break.png"} <= figures
    quality = json.loads((work / "tables" / "selection_quality.json").read_text())
    assert quality == result.quality
    assert (work / "tables" / "generators.md").is_file() and (work / "config.py").is_file()
    assert not list(work.rglob("*.tmp"))  # no half-written file


def test_rerun_reuses_encoder_and_features(scored, synthetic_root):
    work, first = scored
    encoder_checkpoints = {p: p.stat().st_mtime_ns for p in (work / "consistency_encoder").rglob("*.pt")}
    chunks = {p: p.stat().st_mtime_ns for p in (work / "feature_cache").rglob("chunk_*.npz")}
    try:
        again = run_scoring(synthetic_config(synthetic_root, **{"selection.combine": "union"}), work)
    finally:  # the run directory is shared by other tests: put its default selection back
        run_scoring(synthetic_config(synthetic_root), work)
    assert {p: p.stat().st_mtime_ns for p in (work / "consistency_encoder").rglob("*.pt")} == encoder_checkpoints
    assert {p: p.stat().st_mtime_ns for p in (work / "feature_cache").rglob("chunk_*.npz")} == chunks
    assert np.array_equal(again.consistency, first.consistency) and np.array_equal(again.diversity, first.diversity)
    assert np.array_equal(again.selection.kept, first.selection.keep_consistency | first.selection.keep_diversity)


def test_skip_missing_through_the_entry_point(scored, synthetic_root, tmp_path):
    work, first = scored
    rows = read_manifest(synthetic_root / GENERATED_DIR / "manifest.csv")
    write_manifest(rows[:20] + [rows[20]._replace(generated_path=str(tmp_path / "gone.jpg"))] + rows[21:], tmp_path)
    overrides = {"data.generated.manifest": str(tmp_path / "manifest.csv"),
                 "encoders.reid.weights": str(work / "consistency_encoder")}
    with pytest.raises(Exception, match="row 21 .*not found.*skip_missing"):
        run_scoring(synthetic_config(synthetic_root, **overrides), tmp_path / "run")
    result = run_scoring(synthetic_config(synthetic_root, **overrides, **{"data.skip_missing": True}),
                         tmp_path / "run")
    assert len(result.rows) == len(first.rows) - 1 and [s.row for s in result.skipped] == [21]
    assert json.loads((tmp_path / "run" / "skipped.json").read_text())[0]["kind"] == "missing"
    assert result.consistency == pytest.approx(np.delete(first.consistency, 20), abs=1e-5)


@pytest.mark.parametrize("path", sorted(CONFIG.parent.glob("*.py")), ids=lambda p: p.stem)
def test_config_loads_and_passes_the_checks(path):
    cfg = load_config(path, schema=DEFAULTS)
    check_config(cfg)
    assert cfg.encoders.consistency.type == "reid" and cfg.selection.combine == "intersection"


def test_command_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0 and "python -m reid_gan_filter.score" in capsys.readouterr().out
    with pytest.raises(ConfigKeyError, match="selection.scopee.*Did you mean: selection.scope"):
        main([str(CONFIG), "selection.scopee=global", "--work-dir", str(tmp_path / "run")])
    for override, message in (("selection.scope=camera", "unknown selection scope 'camera'"),
                              ("selection.diversity.value=0", "percentage in \\(0, 100\\]"),
                              ("encoders.diversity.metric=manhattan", "encoders.diversity.metric must be one of"),
                              ("encoders.consistency.type=clip", "encoders.consistency.type must be one of")):
        with pytest.raises(ValueError, match=message):  # before anything is read, trained or written
            main([str(CONFIG), override, "--work-dir", str(tmp_path / "run")])
    assert not (tmp_path / "run").exists()


def test_synthetic_set_is_deterministic(synthetic_root, tmp_path):
    again = make_generated_set(tmp_path, SCALES["test"])
    names = sorted(p.name for p in (synthetic_root / GENERATED_DIR).glob("*.jpg"))
    assert names == sorted(Path(im.row.generated_path).name for im in again)
    for name in names[:30]:
        assert (tmp_path / GENERATED_DIR / name).read_bytes() == (synthetic_root / GENERATED_DIR / name).read_bytes()
