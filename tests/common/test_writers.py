"""Ranked-list writers round-trip, write the challenge layouts, and reject malformed input."""
import numpy as np
import pytest

from common.retrieval.writers import (read_aicity_track2, read_ranked_lists, read_visda_result,
                                      topk_indices, write_aicity_track2, write_ranked_lists,
                                      write_visda_result)


def ranked(seed=0, q=6, g=240, k=100):
    rng = np.random.default_rng(seed)
    return topk_indices(rng.random((q, g)), k)


def test_topk_indices_sorted_with_index_ties():
    d = np.array([[0.5, 0.1, 0.5, 0.1, 0.3]])
    assert topk_indices(d, 4).tolist() == [[1, 3, 4, 0]]
    rng = np.random.default_rng(1)
    big = rng.random((9, 500)).astype(np.float32)
    np.testing.assert_array_equal(topk_indices(big, 100), np.argsort(big, axis=1, kind="stable")[:, :100])


@pytest.mark.parametrize("base", [0, 1])
def test_generic_round_trip(tmp_path, base):
    r = ranked()
    path = write_ranked_lists(tmp_path / "lists.txt", r, index_base=base)
    np.testing.assert_array_equal(read_ranked_lists(path, index_base=base), r)
    first = path.read_text().splitlines()[0].split()
    assert len(first) == 100 and int(first[0]) == r[0, 0] + base


def test_aicity_track2_is_one_based(tmp_path):
    r = ranked(2)
    r[0] = np.arange(100)  # gallery item 0 first: it must appear as "1"
    path = write_aicity_track2(tmp_path / "track2.txt", r)
    lines = path.read_text().splitlines()
    assert len(lines) == 6 and lines[0].split()[0] == "1"
    assert all(len(line.split()) == 100 for line in lines)
    np.testing.assert_array_equal(read_aicity_track2(path), r)


def test_visda_result_is_zero_based_and_zero_padded(tmp_path):
    r = ranked(3)
    r[0] = np.arange(7, 107)
    path = write_visda_result(tmp_path / "result.txt", r)
    assert path.read_text().splitlines()[0].split()[0] == "00007"
    np.testing.assert_array_equal(read_visda_result(path), r)


def test_writer_rejects_bad_lists(tmp_path):
    with pytest.raises(ValueError, match="row\\(s\\) \\[1\\] repeat a gallery index"):
        write_ranked_lists(tmp_path / "x.txt", np.array([[0, 1], [2, 2]]))
    with pytest.raises(ValueError, match="negative indices"):
        write_ranked_lists(tmp_path / "x.txt", np.array([[0, -1]]))
    with pytest.raises(ValueError, match="must hold integer gallery indices"):
        write_ranked_lists(tmp_path / "x.txt", np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="k=5 is larger than the gallery"):
        topk_indices(np.zeros((1, 4)), 5)
    assert not (tmp_path / "x.txt").exists()


def test_reader_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2 3\n4 five 6\n")
    with pytest.raises(ValueError, match="bad.txt:2: expected integer"):
        read_ranked_lists(bad)
    bad.write_text("1 2 3\n4 5\n")
    with pytest.raises(ValueError, match="bad.txt:2: 2 indices, but line 1 has 3"):
        read_ranked_lists(bad)
    bad.write_text("1 2 0\n")
    with pytest.raises(ValueError, match="bad.txt:1: index 0 is below the base 1"):
        read_aicity_track2(bad)
    with pytest.raises(FileNotFoundError):
        read_ranked_lists(tmp_path / "none.txt")
