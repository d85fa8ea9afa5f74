"""Reading generated sets: manifests and folder pairs, every kind of bad row named (or skipped and counted
with ``skip_missing``), relative paths, and the ground truth."""
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from common.gan.manifest import read_manifest, write_manifest
from reid_gan_filter.generated_set import GeneratedSetError, check_rows, folder_rows, load_generated_set
from reid_gan_filter.ground_truth import read_ground_truth, row_qualities, selection_quality
from reid_gan_filter.real_set import load_real_training_set, real_training_folder
from reid_gan_filter.synthetic_generated import GENERATED_DIR, GROUND_TRUTH_FILE


@pytest.fixture(scope="module")
def real(synthetic_root):
    return load_real_training_set(synthetic_root), real_training_folder(synthetic_root)


@pytest.fixture(scope="module")
def rows(synthetic_root):
    return read_manifest(synthetic_root / GENERATED_DIR / "manifest.csv")


def test_manifest_round_trip_and_real_pids(synthetic_root, real, rows):
    items, folder = real
    assert {it.pid for it in items} == set(range(1, 13))  # the pids of the names, not relabelled
    generated = load_generated_set({"manifest": str(synthetic_root / GENERATED_DIR / "manifest.json")}, items, folder)
    assert len(generated.rows) == len(rows) and not generated.skipped
    assert all(Path(r.generated_path).is_absolute() for r in generated.rows)
    assert [r.pid for r in generated.rows] == [r.pid for r in rows]


def _broken(rows, folder):
    bad = list(rows[:6])
    bad[1] = bad[1]._replace(generated_path=str(folder / "gone.jpg"))  # row 2: missing file
    bad[2] = bad[2]._replace(source_path=str(folder / "not_real.jpg"))  # row 3: no source in the real set
    bad[3] = bad[3]._replace(pid=999)  # row 4: pid absent from the real set
    other = next(r.pid for r in rows if r.pid != bad[4].pid)
    bad[4] = bad[4]._replace(pid=other)  # row 5: pid of another identity than its source
    bad.append(bad[0])  # row 7: listed twice
    return bad


@pytest.mark.parametrize("row, message", [
    (2, "generated image not found"),
    (3, "is not an image of the real training set"),
    (4, "pid 999 is absent from the real training set"),
    (5, "is not the pid"),
    (7, "listed twice \\(first in row 1\\)"),
])
def test_each_bad_row_is_named(real, rows, tmp_path, row, message):
    items, _ = real
    bad = _broken(rows, tmp_path)
    case = [bad[0], bad[row - 1]]  # a valid row, then the bad one
    named = re.escape(f"manifest m.csv, row 2 ({bad[row - 1].generated_path}): ")
    with pytest.raises(GeneratedSetError, match=f"{named}.*{message}.*skip_missing"):
        check_rows(case, items, where="manifest m.csv")


def test_skip_missing_counts_every_kind(real, rows, tmp_path):
    items, folder = real
    bad = _broken(rows, tmp_path)
    write_manifest(bad, tmp_path)
    generated = load_generated_set({"manifest": str(tmp_path / "manifest.csv")}, items, folder, skip_missing=True)
    assert generated.skipped_counts() == {"missing": 1, "no_source": 1, "pid": 2, "duplicate": 1}
    assert [s.row for s in generated.skipped] == [2, 3, 4, 5, 7]
    assert len(generated.rows) == 2
    with pytest.raises(GeneratedSetError, match="none of its 1 rows"):
        check_rows(bad[1:2], items, where="m", skip_missing=True)


def test_malformed_manifest_row_is_named(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps([{"generated_path": "a.jpg", "source_path": "b.jpg",
                                                        "pid": "seven", "source_camera": 0, "target": "1",
                                                        "generator": "g"}]))
    with pytest.raises(ValueError, match="row 1"):
        read_manifest(tmp_path / "manifest.json")


def test_relative_paths_resolve_against_path_root(synthetic_root, real, rows, tmp_path):
    items, folder = real
    relative = [r._replace(generated_path=str(Path(r.generated_path).relative_to(synthetic_root)),
                           source_path=str(Path(r.source_path).relative_to(synthetic_root))) for r in rows[:5]]
    write_manifest(relative, tmp_path)
    spec = {"manifest": str(tmp_path / "manifest.csv"), "path_root": str(synthetic_root)}
    generated = load_generated_set(spec, items, folder)
    assert [r.generated_path for r in generated.rows] == [r.generated_path for r in rows[:5]]
    with pytest.raises(GeneratedSetError, match="row 1 .*not found"):
        load_generated_set({**spec, "path_root": str(tmp_path)}, items, folder)


def test_folder_pair_names_and_orphans(synthetic_root, real, rows, tmp_path):
    items, folder = real
    gen = tmp_path / "camstyle"
    gen.mkdir()
    picked = rows[::4][:4]  # four sources
    for r in picked:
        shutil.copy(r.generated_path, gen / f"{Path(r.source_path).stem}_fake_{r.target}.jpg")
    shutil.copy(rows[0].generated_path, gen / "9999_c1s1_000001_01_fake_2.jpg")  # no such source
    listed = folder_rows(gen, folder)
    assert [r.target for r in listed[:4]] == [f"fake_{r.target}" for r in sorted(picked, key=lambda r: r.source_path)]
    with pytest.raises(GeneratedSetError, match="row 5 \\(.*9999_c1s1.*has no source image"):
        load_generated_set({"folder": str(gen)}, items, folder)
    generated = load_generated_set({"folder": str(gen), "generator": "camstyle"}, items, folder, skip_missing=True)
    assert generated.skipped_counts()["no_source"] == 1 and len(generated.rows) == 4
    by_source = {r.source_path: r for r in generated.rows}
    for r in picked:
        assert by_source[r.source_path].pid == r.pid and by_source[r.source_path].source_camera == r.source_camera
    with pytest.raises(ValueError, match="exactly one of data.generated.manifest"):
        load_generated_set({"manifest": "m.csv", "folder": str(gen)}, items, folder)


def test_ground_truth_and_precision_recall(synthetic_root, real, rows):
    items, folder = real
    generated = load_generated_set({"manifest": str(synthetic_root / GENERATED_DIR / "manifest.csv")}, items, folder)
    qualities = row_qualities(generated.rows, read_ground_truth(synthetic_root / GENERATED_DIR / GROUND_TRUTH_FILE),
                              "truth")
    assert qualities.tolist() == [r.generator.removeprefix("synthetic-") for r in rows]
    good = qualities == "good"
    table = selection_quality({"all": np.ones(len(good), bool), "good only": good, "none": np.zeros(len(good), bool)},
                              qualities)
    assert table[0]["precision"] == round(good.mean(), 4) and table[0]["recall"] == 1.0
    assert table[1]["precision"] == 1.0 and table[1]["F1"] == 1.0
    assert table[2]["kept"] == 0 and table[2]["precision"] == 0.0
    assert table[0]["kept copy"] == f"{(qualities == 'copy').sum()}/{(qualities == 'copy').sum()}"
    with pytest.raises(GeneratedSetError, match="no quality for scored row 1"):
        row_qualities(generated.rows, {}, "truth")
