"""Params and GFLOPs of the re-parameterised models are within 2% of the official table."""
import pytest

from detection import complexity
from detection.runtime import load_config

from .conftest import CONFIG_DIR, CONFIG_NS, CONFIG_T

ALL = sorted((CONFIG_DIR / 'damoyolo').glob('damoyolo_tinynas-*_8xb32-300e_coco.py'))


def within_2_percent(config):
    ours = complexity.count(config)
    official = load_config(config).official_complexity
    assert ours['params_m'] == pytest.approx(official['params_m'], rel=0.02)
    if official['gflops'] is not None:
        assert ours['gflops'] == pytest.approx(official['gflops'], rel=0.02)


@pytest.mark.parametrize('config', [CONFIG_T, CONFIG_NS], ids=['T', 'Ns'])
def test_t_and_ns_match_the_official_table(config):
    within_2_percent(config)


@pytest.mark.slow
@pytest.mark.parametrize('config', ALL, ids=[c.stem for c in ALL])
def test_every_size_matches_the_official_table(config):
    within_2_percent(config)


def test_reparameterisation_removes_params_counted_by_the_official_table():
    # The official table counts the deployed model: T has 8.88M parameters in training form.
    from detection.runtime import build_detector_from_config
    train_params = sum(p.numel() for p in build_detector_from_config(CONFIG_T).parameters()) / 1e6
    assert train_params == pytest.approx(8.88, abs=0.01)
    assert complexity.count(CONFIG_T, (64, 64))['params_m'] == pytest.approx(8.48, abs=0.01)


@pytest.mark.parametrize('name,params', [('damoyolo_tinynas-l20-n', 2_347_347),
                                         ('damoyolo_tinynas-nano-s', 1_405_691)])
def test_nano_models_have_the_official_codes_parameter_count(name, params):
    # Counted on the official model built from configs/damoyolo_tinynasL20_N.py and
    # damoyolo_tinynasL18_Ns.py with tinyvision/damo-yolo's build_local_model.
    from detection.runtime import build_detector_from_config
    model = build_detector_from_config(CONFIG_DIR / 'damoyolo' / f'{name}_8xb32-300e_coco.py')
    assert sum(p.numel() for p in model.parameters()) == params
