"""Check the composed config against the constructors it will call, before any file is read.

Every node with a ``_target_`` (data, embedding parts, encoder, head, task, optimiser,
scheduler, trainer, callbacks, loggers) is checked against its class: each key must be an
argument, and each value of the type the argument is annotated with, within its range
(:mod:`seqlab.constraints`, ``Annotated[int, POSITIVE]``). A mistake is a :class:`ConfigError`
naming the key: ``encoder.hidden_size: expected a positive integer, got 'abc'``.
"""

from __future__ import annotations

import collections.abc
import difflib
import inspect
import types
import typing
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from seqlab.constraints import NON_NEGATIVE, Range
from seqlab.data.vocabulary import moved_setting_message
from seqlab.errors import ConfigError
from seqlab.registry import task_owner
from seqlab.targets import locate, target_nodes

#: Arguments the builder passes itself (from the data or the previous part), whatever the config says.
BUILT_ARGUMENTS = frozenset(
    {
        "spec",
        "pretrained",
        "part_settings",
        "parts",
        "input_dim",
        "num_labels",
        "allowed_transitions",
        "embedder",
        "encoder",
        "head",
        "optimizer",
        "scheduler",
        "params",
        "callbacks",
        "logger",
    }
)

#: Ranges of common arguments of other libraries' classes (torch optimisers), which carry no annotation of them.
THIRD_PARTY_RANGES: dict[str, Range] = {"lr": NON_NEGATIVE, "weight_decay": NON_NEGATIVE, "momentum": NON_NEGATIVE}

#: How an object argument is described (a config gives it as a node with a _target_).
_OBJECT = " (a _target_ node)"

#: Sections checked first, in this order (their classes are the quickest to import).
_SECTION_ORDER = {name: i for i, name in enumerate(("embedding", "encoder", "head", "optimizer", "scheduler"))}

#: Config sections that describe no object built from this config.
_SKIPPED = ("hydra", "paths")


def check_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` for the first key that does not fit its constructor.

    The model's parts are checked first: their classes import torch alone, so a mistake there is
    reported before Lightning (which the data module, task and trainer import) has loaded.
    """
    nodes = [
        (key, node)
        for key, node in target_nodes(OmegaConf.to_container(cfg, resolve=True))
        if _section(key) not in _SKIPPED
    ]
    nodes.sort(key=lambda item: _SECTION_ORDER.get(_section(item[0]), len(_SECTION_ORDER)))
    for key, node in nodes:
        problem = _check_node(key, node)
        if problem:
            raise ConfigError(problem)


def _section(key: str) -> str:
    """The top-level config section of a dotted key (``trainer`` for ``trainer.plugins[0]``)."""
    return key.split(".")[0].split("[")[0]


def _signature(found: Any) -> tuple[dict[str, inspect.Parameter], dict[str, Any], bool]:
    """Parameters, type hints and whether more keyword arguments are taken, for a class (with the
    arguments its seqlab base classes take through ``**kwargs``) or a function."""
    parameters: dict[str, inspect.Parameter] = {}
    hints: dict[str, Any] = {}
    owners = [c for c in found.__mro__ if "__init__" in vars(c)] if isinstance(found, type) else [found]
    open_ended = True
    for owner in owners:
        function = vars(owner)["__init__"] if isinstance(owner, type) else owner
        own = inspect.signature(function).parameters
        hints = {**typing.get_type_hints(function, include_extras=True), **hints}
        parameters = {**own, **parameters}
        open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in own.values())
        if not open_ended or not getattr(owner, "__module__", "").startswith("seqlab."):
            break  # a seqlab class passing **kwargs on: its base's arguments count too
    return parameters, hints, open_ended


def _check_node(key: str, node: dict) -> str | None:
    target = node["_target_"]
    found = locate(str(target))
    if found is None:
        owner = f"{task_owner(str(target))}: " if key == "task" else ""  # a task plug-in is named by its package
        return f"{owner}{key}._target_ {target!r} cannot be imported"
    try:
        parameters, hints, open_ended = _signature(found)
    except (TypeError, ValueError, NameError):
        return None  # no signature to check against
    own = str(target).startswith("seqlab.")
    for name, value in node.items():
        moved = moved_setting_message(name, value) if key == "data" and name not in parameters else None
        if moved:
            return moved  # a setting of an embedding part now (data.max_chars: embedding.char.max_chars)
        if name.startswith("_") or name in BUILT_ARGUMENTS:
            continue
        if name not in parameters:
            if open_ended or (isinstance(value, dict) and "_target_" in value):
                continue  # a nested object the builder passes on (the embedder's parts), checked on its own
            close = difflib.get_close_matches(name, [p for p in parameters if p != "self"], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            return f"{key}.{name}: {target} takes no argument {name!r}{hint}"
        hint_type = hints.get(name)
        if hint_type is None:
            continue
        expected = _expectation(hint_type, None if own else THIRD_PARTY_RANGES.get(name))
        if expected is not None and not expected[0](value):
            return f"{key}.{name}: expected {expected[1]}, got {value!r}"
    return None


Check = tuple[collections.abc.Callable[[Any], bool], str]


def _expectation(hint: Any, extra: Range | None = None) -> Check | None:
    """A test of a config value against ``hint`` and its description, or ``None`` when it cannot be checked."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(hint)
        ranges = [m for m in metadata if isinstance(m, Range)]
        return _with_ranges(_expectation(base), ranges)
    if extra is not None:
        return _with_ranges(_expectation(hint), [extra])
    if origin in (typing.Union, types.UnionType):
        options = [_expectation(arg) for arg in typing.get_args(hint)]
        if any(option is None for option in options):
            return None
        checks = [option for option in options if option is not None]
        plain = [text for _, text in checks if not text.endswith(_OBJECT)] or [text for _, text in checks]
        return (lambda v: any(check(v) for check, _ in checks)), " or ".join(dict.fromkeys(plain))
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return (lambda v: v in allowed), "one of " + ", ".join(map(repr, allowed))
    if hint is type(None):
        return (lambda v: v is None), "null"
    if hint is bool:
        return (lambda v: isinstance(v, bool)), "true or false"
    if hint is int:
        return (lambda v: isinstance(v, int) and not isinstance(v, bool)), "an integer"
    if hint is float:
        return (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)), "a number"
    if hint is str:
        return (lambda v: isinstance(v, str)), "a string"
    if origin in (list, tuple, collections.abc.Sequence, collections.abc.Iterable) or hint in (list, tuple):
        return (lambda v: isinstance(v, (list, tuple, ListConfig))), "a list"
    if origin in (dict, collections.abc.Mapping) or hint is dict:
        return (lambda v: isinstance(v, (dict, DictConfig))), "a mapping"
    if isinstance(hint, type) and hint.__module__ != "builtins":
        # An object (a tensor, a strategy): a config gives it as a node with a _target_, never a plain value.
        return (lambda v: isinstance(v, dict) and "_target_" in v), f"a {hint.__name__}{_OBJECT}"
    return None


def _with_ranges(check: Check | None, ranges: list[Range]) -> Check | None:
    if check is None or not ranges:
        return check
    test, text = check

    def within(value: Any) -> bool:
        if not test(value):
            return False
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        return not numeric or all(r.holds(value) for r in ranges)

    noun = "an integer" if text.startswith("an integer") else "a number"
    before = " ".join(r.text for r in ranges if r.adjective)
    after = " ".join(r.text for r in ranges if not r.adjective)
    described = f"a {before} {noun[noun.index(' ') + 1 :]}" if before else noun
    return within, f"{described} {after}".strip() + text[len(noun) :] if text.startswith(noun) else text
