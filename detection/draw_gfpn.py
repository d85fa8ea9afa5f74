"""Print and draw the GFPN graph of a GiraffeDet model: which node feeds which.

    python -m detection.draw_gfpn [<config>] [--depth D] [--levels 5] [--work-dir DIR]

The depth comes from the config's ``model.neck.depth`` (default config: GiraffeDet-D7) or from
``--depth``; the graph has ``2 * depth - 1`` columns. Writes ``tables/gfpn_d<D>.{md,json}`` (one
row per node: its inputs and the rule that links each one: backbone, log2n c-k, previous,
backslash, slash, last column) and ``figures/gfpn_d<D>.png`` (columns left to right, levels
bottom P3 to top; same-level log2n links as arcs, zig-zag and diagonal links as straight lines).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common.runlog import RunLogger
from .models.necks.gfpn_graph import GraphNode, format_graph, gfpn_graph
from .runtime import CONFIG_DIR, load_config

DEFAULT_CONFIG = CONFIG_DIR / 'giraffedet' / 'giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'
MIN_LEVEL = 3


def draw(nodes: list[GraphNode], title: str):
    """A matplotlib figure of the graph: x = column (inputs at -1, outputs last), y = level."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    num_columns = max(n.column for n in nodes if n.kind == 'fusion') + 1
    num_levels = max(n.level for n in nodes) + 1
    fig, ax = plt.subplots(figsize=(2.0 + 0.55 * (num_columns + 2), 1.2 + 0.7 * num_levels))
    xy = {n.index: (n.column, n.level) for n in nodes}
    colours = {'same level': 'tab:blue', 'zig-zag': 'tab:green', 'diagonal': 'tab:orange'}
    for node in nodes:
        for source in node.inputs:
            (x0, y0), (x1, y1) = xy[source], xy[node.index]
            kind = ('same level' if y0 == y1 else 'zig-zag' if x0 == x1 else 'diagonal')
            skip = kind == 'same level' and x1 - x0 > 1
            ax.add_patch(FancyArrowPatch(
                (x0, y0), (x1, y1), arrowstyle='-|>', mutation_scale=7, lw=0.6,
                color=colours[kind], alpha=0.45 if skip else 0.8,
                connectionstyle=f'arc3,rad={-0.25 if skip else 0.0}'))
    for node in nodes:
        marker = {'input': 's', 'output': 'D'}.get(node.kind, 'o')
        ax.plot(*xy[node.index], marker, color='black', ms=5, zorder=3)
    for kind, colour in colours.items():
        ax.plot([], [], color=colour, label=kind if kind != 'same level' else
                'same level (log2n skip arcs)')
    ax.set_xticks(range(-1, num_columns + 1))
    ax.set_xticklabels(['in'] + [f'c{c}{"v" if c % 2 == 0 else "^"}' for c in range(num_columns)]
                       + ['out'], fontsize=7)
    ax.set_yticks(range(num_levels))
    ax.set_yticklabels([f'P{lv + MIN_LEVEL}' for lv in range(num_levels)])
    ax.set_xlim(-1.6, num_columns + 0.6)
    ax.set_ylim(-0.8, num_levels + 0.3)
    ax.legend(loc='upper center', bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    ax.set_title(title + ' (v: top-down column, ^: bottom-up)')
    for side in ('top', 'right'):
        ax.spines[side].set_visible(False)
    return fig


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog='python -m detection.draw_gfpn', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', nargs='?', default=str(DEFAULT_CONFIG),
                        help='GiraffeDet config (default: D7); ignored with --depth')
    parser.add_argument('--depth', type=int, help='GiraffeDet-D<depth> (columns = 2 * depth - 1)')
    parser.add_argument('--levels', type=int, help='pyramid levels (default: the config\'s, 5)')
    parser.add_argument('--work-dir', default='work_dirs/gfpn_graph', help='output folder')
    args = parser.parse_args(argv)
    if args.depth is None:
        neck = load_config(args.config).model.neck
        if neck.get('type') != 'GFPN':
            parser.error(f'{args.config} has a {neck.get("type")} neck, not a GFPN')
        depth, levels = neck.depth, args.levels or len(neck.in_channels)
    else:
        depth, levels = args.depth, args.levels or 5
    nodes = gfpn_graph(2 * depth - 1, levels)
    rows = format_graph(nodes, MIN_LEVEL)
    title = f'GFPN of GiraffeDet-D{depth}: {2 * depth - 1} columns x {levels} levels'
    with RunLogger(Path(args.work_dir), tensorboard=False) as log:
        log.save_table(rows, f'gfpn_d{depth}', title=title)
        figure = log.save_figure(draw(nodes, title), f'gfpn_d{depth}')
        log.info(f'{len(rows)} nodes, {sum(len(n.inputs) for n in nodes)} links; figure: {figure}')
    return rows


if __name__ == '__main__':
    main()
