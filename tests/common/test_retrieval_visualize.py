"""The ranked-list picture frames correct matches green and wrong ones red."""
import io

import numpy as np
import pytest
from PIL import Image

from common.retrieval.visualize import plot_ranked_lists


def frame_colour(fig, ax):
    """Mean RGB of the pixels on the axes' left border (the frame) in the rendered figure."""
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
    box = ax.get_window_extent()
    height = pixels.shape[0]
    x = int(round(box.x0))
    y0, y1 = int(height - box.y1) + 3, int(height - box.y0) - 3
    return pixels[y0:y1, x - 1:x + 2].reshape(-1, 3).mean(axis=0)


def test_frames_follow_identities(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    grey = [np.full((32, 16, 3), 128, dtype=np.uint8) for _ in range(6)]
    paths = []
    for i, img in enumerate(grey[:2]):
        paths.append(tmp_path / f"q{i}.png")
        Image.fromarray(img).save(paths[-1])
    ranked = np.array([[3, 1, 0], [2, 5, 4]])
    q_pids, g_pids = np.array([7, 8]), np.array([7, 7, 8, 1, 2, 8])
    fig = plot_ranked_lists(paths, grey, ranked, q_pids, g_pids, k=3)
    FigureCanvasAgg(fig)
    axes = np.array(fig.axes).reshape(2, 4)
    expected = [[False, True, True], [True, True, False]]  # same identity as the query?
    for r in range(2):
        for c in range(3):
            red, green, _ = frame_colour(fig, axes[r, c + 1])
            assert (green > red) == expected[r][c], (r, c, red, green)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert Image.open(io.BytesIO(buffer.getvalue())).size[0] > 100


def test_subset_of_queries_and_errors(tmp_path):
    imgs = [np.zeros((8, 8)) for _ in range(4)]
    fig = plot_ranked_lists(imgs[:3], imgs, np.array([[0, 1], [1, 2], [2, 3]]), queries=[2], k=2)
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="ranked has 2 rows but there are 3 query images"):
        plot_ranked_lists(imgs[:3], imgs, np.zeros((2, 2), int))
    with pytest.raises(ValueError, match="both q_pids and g_pids"):
        plot_ranked_lists(imgs[:1], imgs, np.zeros((1, 2), int), q_pids=[1])
    with pytest.raises(FileNotFoundError, match="no image at"):
        plot_ranked_lists([tmp_path / "missing.jpg"], imgs, np.zeros((1, 2), int))


def test_metric_bars_draw_each_series_in_percent_side_by_side():
    from matplotlib.figure import Figure

    from common.retrieval import metric_bars

    ax = Figure().subplots()
    metric_bars(ax, ["a", "b"], {"mAP": [0.5, 0.25], "R1": [0.75, 1.0]}, "title")
    rects = ax.patches
    assert [round(r.get_height(), 6) for r in rects] == [50.0, 25.0, 75.0, 100.0]
    assert [round(r.get_x() + r.get_width() / 2, 6) for r in rects] == [-0.2, 0.8, 0.2, 1.2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"] and ax.get_title() == "title"
    assert [t.get_text() for t in ax.texts] == ["50.0", "25.0", "75.0", "100.0"]
