"""The GFPN graph as data: which node feeds which, for any number of columns and levels.

The neck holds ``num_levels`` backbone inputs (levels P3.. from fine to coarse), then
``num_columns`` columns of fusion nodes, one per level, then one output node per level. Columns
alternate direction: even columns run top-down (coarsest level first), odd columns bottom-up.
Node ``(column c, level l)`` receives, in this order (duplicates kept once):

1. **same level, earlier columns** -- column 0: the backbone input at level ``l``; column
   ``c >= 1``: the level-``l`` nodes of columns ``c - 2^k`` for every ``2^k <= c``, oldest
   first (**log2(n) skip-layer links**: at most ``log2(c) + 1`` of them);
2. **previous node of the zig-zag** -- the node just computed: the neighbouring level of the same
   column (``l + 1`` top-down, ``l - 1`` bottom-up), or, for a column's first node, the same
   level of the previous column;
3. **queen-fusion diagonals** -- level ``l + 1`` (the "backslash") and level ``l - 1`` (the
   "slash") of the previous column (the backbone inputs for column 0), where those levels exist.

Output node ``l`` takes the level-``l`` node of the last column. Node indices are positions in
the list of features the neck builds: ``0 .. L-1`` the inputs, then column ``c`` occupies
``L (c + 1) .. L (c + 2) - 1`` in its evaluation order, then the outputs (fine to coarse). This
is the numbering and input order of the official ``giraffeneck_config`` (with
``skip_connect_type='log2n'``, ``with_backslash``, ``with_slash``), whose skip links stop at
``2^5`` -- the same graph for up to 64 columns, i.e. every published size (D29: 57 columns).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphNode:
    """One feature of the GFPN.

    Attributes:
        index: position in the neck's feature list (inputs first).
        kind: ``'input'`` (backbone level), ``'fusion'`` (a column node) or ``'output'``.
        column: column of a fusion node; -1 for inputs, ``num_columns`` for outputs.
        level: 0 for the finest level (P3), ``num_levels - 1`` for the coarsest.
        inputs: indices of the features it concatenates, in concatenation order.
    """
    index: int
    kind: str
    column: int
    level: int
    inputs: tuple[int, ...] = ()


def log2n_sources(column: int) -> list[int]:
    """Columns feeding ``column`` at its own level: ``column - 2^k`` for ``2^k <= column``,
    oldest first (empty for column 0)."""
    sources, step = [], 1
    while step <= column:
        sources.append(column - step)
        step *= 2
    return sorted(sources)


def node_index(column: int, level: int, num_levels: int) -> int:
    """Index of fusion node ``(column, level)`` (column -1: the backbone input at ``level``)."""
    if column < 0:
        return level
    position = num_levels - 1 - level if column % 2 == 0 else level
    return num_levels * (column + 1) + position


def gfpn_graph(num_columns: int, num_levels: int = 5) -> list[GraphNode]:
    """Every node of the GFPN with its inputs, in evaluation order (``result[i].index == i``).

    Args:
        num_columns: fusion columns (``2 * depth - 1`` for GiraffeDet-D{depth}).
        num_levels: pyramid levels (5: P3-P7).

    Returns:
        ``num_levels`` inputs, ``num_columns * num_levels`` fusion nodes, ``num_levels`` outputs.
    """
    if num_columns < 1 or num_levels < 2:
        raise ValueError(f'a GFPN needs at least one column and two levels; got '
                         f'num_columns={num_columns}, num_levels={num_levels}')
    nodes = [GraphNode(level, 'input', -1, level) for level in range(num_levels)]
    for column in range(num_columns):
        top_down = column % 2 == 0
        levels = range(num_levels - 1, -1, -1) if top_down else range(num_levels)
        for position, level in enumerate(levels):
            inputs: list[int] = []

            def add(index: int) -> None:
                if index not in inputs:
                    inputs.append(index)

            if column == 0:
                add(node_index(-1, level, num_levels))
            for source in log2n_sources(column):
                add(node_index(source, level, num_levels))
            if position == 0:
                add(node_index(column - 1, level, num_levels))
            else:
                add(node_index(column, level + 1 if top_down else level - 1, num_levels))
            for diagonal in (level + 1, level - 1):  # backslash, slash
                if 0 <= diagonal < num_levels:
                    add(node_index(column - 1, diagonal, num_levels))
            nodes.append(GraphNode(node_index(column, level, num_levels), 'fusion', column, level,
                                   tuple(inputs)))
    for level in range(num_levels):
        nodes.append(GraphNode(len(nodes), 'output', num_columns, level,
                               (node_index(num_columns - 1, level, num_levels), )))
    return nodes


def node_name(node: GraphNode, min_level: int = 3) -> str:
    """Readable name: ``in/P5``, ``c4/P5`` (column 4) or ``out/P5``."""
    prefix = {'input': 'in', 'output': 'out'}.get(node.kind, f'c{node.column}')
    return f'{prefix}/P{node.level + min_level}'


def describe_input(node: GraphNode, source: GraphNode) -> str:
    """Which rule of the module docstring links ``source`` to ``node``."""
    if node.kind == 'output':
        return 'last column'
    if source.level == node.level:
        if node.column == 0 and source.kind == 'input':
            return 'backbone'
        return f'log2n c-{node.column - source.column}'
    if source.column == node.column:
        return 'previous'
    return 'backslash' if source.level > node.level else 'slash'


def format_graph(nodes: list[GraphNode], min_level: int = 3) -> list[dict]:
    """One row per fusion and output node: its name, index and named inputs with their rule."""
    rows = []
    for node in nodes:
        if node.kind == 'input':
            continue
        rows.append({
            'node': node_name(node, min_level),
            'index': node.index,
            'direction': ('output' if node.kind == 'output' else
                          'top-down' if node.column % 2 == 0 else 'bottom-up'),
            'inputs': ', '.join(f'{node_name(nodes[i], min_level)} ({describe_input(node, nodes[i])})'
                                for i in node.inputs),
        })
    return rows
