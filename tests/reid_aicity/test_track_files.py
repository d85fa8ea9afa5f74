"""Track files of AI City (one track per line) and VeRi (a track name first)."""
import pytest

from reid_aicity.track_files import image_to_track, read_track_file, write_track_file


def test_aic_track_file_line_number_is_track_id(tmp_path):
    path = write_track_file(tmp_path / "test_track.txt", [["000001.jpg", "000002.jpg"], ["000003.jpg"]])
    tracks = read_track_file(path)
    assert tracks == [["000001.jpg", "000002.jpg"], ["000003.jpg"]]
    assert image_to_track(tracks) == {"000001.jpg": 0, "000002.jpg": 0, "000003.jpg": 1}


def test_veri_track_names_are_skipped(tmp_path):
    path = tmp_path / "test_track_VeRi.txt"
    path.write_text("0002_c002_t1 0002_c002_00030600_0.jpg 0002_c002_00030605_1.jpg\n\n0005_c003_t2 0005_c003_1.jpg\n")
    assert read_track_file(path) == [["0002_c002_00030600_0.jpg", "0002_c002_00030605_1.jpg"], [],
                                     ["0005_c003_1.jpg"]]


def test_image_in_two_tracks_is_rejected(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a.jpg b.jpg\nc.jpg a.jpg\n")
    with pytest.raises(ValueError, match=r"t\.txt: image a\.jpg is listed in track lines 1 and 2"):
        read_track_file(path)
