"""The camera-transition matrix from a labelled toy set, worked by hand."""
import numpy as np
import pytest

from reid_visda.topology import estimate_camera_transition, to_camera_classes


def test_transition_matrix_of_a_toy_set():
    # queries: pid 1 (cam 0), pid 2 (cam 0), pid 3 (cam 1); gallery cameras in brackets
    q_pids, q_cams = [1, 2, 3], [0, 0, 1]
    g_pids = [1, 1, 1, 2, 3, 3, 9]
    g_cams = [0, 1, 2, 2, 0, 2, 1]
    t = estimate_camera_transition(q_pids, q_cams, g_pids, g_cams, num_cams=3)
    # camera-0 queries have 4 matches: 1 in cam 0, 1 in cam 1, 2 in cam 2; the camera-1 query has 2
    np.testing.assert_allclose(t, [[0.25, 0.25, 0.5], [0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])


def test_camera_classes_and_errors():
    np.testing.assert_array_equal(to_camera_classes([0, 5, 3, 1], [0, 1, 3, 4, 5], "x"), [0, 4, 2, 1])
    with pytest.raises(ValueError, match="x has cameras \\[2\\]"):
        to_camera_classes([2], [0, 1, 3, 4, 5], "x")
    with pytest.raises(ValueError, match="query cameras must be classes in \\[0, 2\\)"):
        estimate_camera_transition([1], [2], [1], [0], num_cams=2)
