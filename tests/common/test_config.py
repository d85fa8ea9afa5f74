import argparse
import textwrap

import pytest

from common.config import (ConfigKeyError, OpenSection, add_config_arguments, config_from_args,
                           load_config, work_dir_from_args)


@pytest.fixture
def cfg_file(tmp_path):
    path = tmp_path / "exp.py"
    path.write_text(textwrap.dedent("""
        seed = 0
        model = dict(depth=50, widths=[64, 128], head=dict(dropout=0.1))
        optim = dict(lr=0.01, momentum=0.9)
    """))
    return path


def parse(argv):
    return add_config_arguments(argparse.ArgumentParser()).parse_args(argv)


def test_overrides_are_applied_with_types(cfg_file):
    args = parse([str(cfg_file), "optim.lr=0.5", "model.widths=1,2,3", "--cfg-options", "seed=7"])
    cfg = config_from_args(args)
    assert cfg.optim.lr == 0.5 and isinstance(cfg.optim.lr, float)
    assert cfg.model.widths == [1, 2, 3]
    assert cfg.seed == 7
    assert cfg.optim.momentum == 0.9  # untouched keys keep their value


def test_list_index_override(cfg_file):
    cfg = load_config(cfg_file, {"model.widths.1": 256})
    assert cfg.model.widths == [64, 256]


def test_unknown_override_key_is_rejected_with_its_name(cfg_file):
    with pytest.raises(ConfigKeyError) as err:
        load_config(cfg_file, {"optim.lrr": 0.1})
    msg = str(err.value)
    assert "optim.lrr" in msg and "optim.lr" in msg  # names the key and suggests the close one


def test_unknown_nested_key_under_existing_section(cfg_file):
    with pytest.raises(ConfigKeyError, match="model.head.dropuot"):
        load_config(cfg_file, {"model.head.dropuot": 0.2})


def test_schema_fills_defaults_and_rejects_unknown_file_keys(cfg_file, tmp_path):
    schema = dict(seed=1, model=dict(depth=18, widths=[1], head=dict(dropout=0.0), extra=3),
                  optim=dict(lr=0.1, momentum=0.0, nesterov=False))
    cfg = load_config(cfg_file, schema=schema)
    assert cfg.model.extra == 3 and cfg.optim.nesterov is False  # defaults from the schema
    assert cfg.model.depth == 50  # file wins over schema
    bad = tmp_path / "bad.py"
    bad.write_text("seed = 0\noptim = dict(lr=0.1, wieght_decay=1e-4)\n")
    with pytest.raises(ConfigKeyError) as err:
        load_config(bad, schema=schema)
    assert "optim.wieght_decay" in str(err.value) and str(bad) in str(err.value)


def test_open_section_accepts_any_key(tmp_path):
    path = tmp_path / "c.py"
    path.write_text("model = dict(type='X', anything=1)\n")
    cfg = load_config(path, {"model.anything": 2}, schema=dict(model=OpenSection()))
    assert cfg.model.anything == 2


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.py"):
        load_config(tmp_path / "nope.py")


def test_work_dir_defaults_to_config_stem(cfg_file):
    assert str(work_dir_from_args(parse([str(cfg_file)]))) == "work_dirs/exp"
    assert str(work_dir_from_args(parse([str(cfg_file), "--work-dir", "x/y"]))) == "x/y"


def test_override_may_add_keys_inside_an_open_section_only(tmp_path):
    path = tmp_path / "c.py"
    path.write_text("model = dict(type='X')\nlr = 0.1\n")
    schema = dict(model=OpenSection(), lr=0.0)
    cfg = load_config(path, {"model.new_arg": 5}, schema=schema)
    assert cfg.model.new_arg == 5
    with pytest.raises(ConfigKeyError, match="'lr2'"):
        load_config(path, {"lr2": 1.0}, schema=schema)


def test_new_argument_of_a_registry_component_is_accepted(tmp_path):
    path = tmp_path / "c.py"
    path.write_text("model = dict(type='Det', backbone=dict(type='Net', depth=3), lr=0.1)\nplain = dict(a=1)\n")
    cfg = load_config(path, {"model.backbone.init_cfg": "x.pth", "model.neck_arg": 1})
    assert cfg.model.backbone.init_cfg == "x.pth" and cfg.model.neck_arg == 1
    with pytest.raises(ConfigKeyError, match="'plain.b'"):  # not a component: still rejected
        load_config(path, {"plain.b": 2})
    with pytest.raises(ConfigKeyError, match="'model.nonexistent.x'"):  # parent must exist
        load_config(path, {"model.nonexistent.x": 2})


def test_overrides_may_follow_options(cfg_file):
    from common.config import parse_config_args
    parser = add_config_arguments(argparse.ArgumentParser())
    args = parse_config_args(parser, [str(cfg_file), "--work-dir", "w", "optim.lr=0.3", "--resume"])
    assert args.work_dir == "w" and args.resume and config_from_args(args).optim.lr == 0.3


def test_demo_command_passes_work_dir_and_seed():
    from common.config import run_demo_command

    calls = []
    run_demo_command(lambda *args: calls.append(args), "pkg", "The demo.\nMore.", ["--work-dir", "w", "--seed", "3"])
    run_demo_command(lambda *args: calls.append(args), "pkg", "The demo.", [])
    run_demo_command(lambda *args: calls.append(args), "pkg", "The demo.", [], seeded=False)
    assert calls == [("w", 3), ("work_dirs/demo/pkg", 0), ("work_dirs/demo/pkg",)]
    with pytest.raises(SystemExit):  # an unseeded demo has no --seed
        run_demo_command(lambda *args: None, "pkg", "The demo.", ["--seed", "1"], seeded=False)
