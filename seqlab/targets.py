"""``_target_`` nodes in plain config trees: finding them, locating their classes, building them.

Plain Python and ``importlib`` only (no Hydra, no OmegaConf), so a checkpoint's network can be
rebuilt, and a config checked, without importing the training stack.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator, Mapping
from typing import Any


def target_nodes(node: Any, key: str = "") -> Iterator[tuple[str, dict]]:
    """``(dotted key, node)`` of every node with a ``_target_`` in a plain config tree."""
    if isinstance(node, dict):
        if "_target_" in node:
            yield key, node
        for name, child in node.items():
            yield from target_nodes(child, f"{key}.{name}" if key else str(name))
    elif isinstance(node, (list, tuple)):
        for i, child in enumerate(node):
            yield from target_nodes(child, f"{key}[{i}]")


def locate(target: str) -> Any:
    """The object a dotted path names (importing its module), or ``None``."""
    module_name, _, attribute = target.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return None


def accepted_arguments(factory: Any, available: Mapping[str, Any]) -> dict[str, Any]:
    """Those of ``available`` that ``factory`` takes by name (all of them if it takes ``**kwargs``)."""
    parameters = inspect.signature(factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(available)
    return {name: value for name, value in available.items() if name in parameters}


#: Hydra's instantiation keys that :func:`build_node` cannot honour; a node using one is refused.
_UNSUPPORTED = ("_args_", "_partial_")


def build_node(node: Mapping[str, Any], **kwargs: Any) -> Any:
    """Call ``node``'s ``_target_`` with its settings, nested ``_target_`` nodes built first, and
    ``kwargs`` (which win over settings of the same name, whose nodes are then never built), as
    ``hydra.utils.instantiate`` does for a plain keyword-argument node. Check the targets first:
    this calls what they name."""
    for key in _UNSUPPORTED:
        if key in node:
            raise ValueError(f"{node['_target_']}: {key} is not supported here")
    factory = locate(str(node["_target_"]))
    if factory is None:
        raise ValueError(f"{node['_target_']!r} cannot be imported")
    settings = {
        name: build_node(value) if isinstance(value, dict) and "_target_" in value else value
        for name, value in node.items()
        if not name.startswith("_") and name not in kwargs
    }
    return factory(**{**settings, **kwargs})
