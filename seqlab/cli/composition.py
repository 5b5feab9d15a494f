"""Hydra's composition errors (an override naming no key, a group option that does not exist, a
malformed override) as one line with the closest valid name and the syntax that works.

Hydra words them for its own users (``To append to your config use +encoder.hiden_size=3``), which
for a typo is the wrong advice: the key then reaches the model and fails later. Here the line names
the closest key or option (``did you mean encoder.hidden_size=3?``), and ``+`` is advised only for
a constructor argument the config file leaves out.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException

from seqlab.cli.errors import USAGE_ERROR, debugging
from seqlab.config import config_dir

#: The exceptions Hydra raises while composing a command's config from its overrides.
COMPOSITION_ERRORS = (ConfigCompositionException, MissingConfigException, OverrideParseException)

GRAMMAR = "https://hydra.cc/docs/advanced/override_grammar/basic/"

F = TypeVar("F", bound=Callable[..., Any])


def composition_errors_reported(program: str, config_name: str) -> Callable[[F], F]:
    """Decorate a ``@hydra.main`` function so a composition error is ``<program>: error: <line>``
    and exit code 2 (``HYDRA_FULL_ERROR=1`` or ``SEQLAB_DEBUG=1`` keep Hydra's own report)."""

    def wrap(main: F) -> F:
        @functools.wraps(main)
        def run(*args: Any, **kwargs: Any) -> Any:
            full_error = os.environ.get("HYDRA_FULL_ERROR", "0") not in ("", "0")
            os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises the error here instead of printing it
            try:
                return main(*args, **kwargs)
            except COMPOSITION_ERRORS as err:
                if full_error or debugging():
                    raise
                message = composition_message(err, config_name, [a for a in sys.argv[1:] if not a.startswith("-")])
                print(f"{program}: error: {message}", file=sys.stderr, flush=True)
                sys.exit(USAGE_ERROR)
            finally:
                if not full_error:
                    os.environ.pop("HYDRA_FULL_ERROR", None)

        return run  # type: ignore[return-value]

    return wrap


def composition_message(err: Exception, config_name: str, overrides: Sequence[str]) -> str:
    """The one line for Hydra's ``err`` while composing ``config_name`` with ``overrides``."""
    text = str(err)
    if isinstance(err, MissingConfigException) and err.missing_cfg_file and err.options:
        group, _, option = err.missing_cfg_file.rpartition("/")
        return _unknown_option(group, option, list(err.options))
    if isinstance(err, OverrideParseException):
        bad = next((o for o in overrides if not _parses(o)), None)
        reason = text.splitlines()[0]
        return f"cannot read the override {bad!r}: {reason} (syntax: {GRAMMAR})" if bad else f"{reason} ({GRAMMAR})"
    if match := re.match(r"Could not override '([^']+)'", text):
        return _unknown_key(match.group(1), config_name, overrides)
    if match := re.match(r"Could not append to config\. An item is already at '([^']+)'", text):
        key = match.group(1)
        value = _value_of(overrides, key)
        return f"+{key}={value}: {key} is already in the config; set it without the + ({key}={value})"
    if match := re.match(r"Could not delete from config\. '([^']+)' does not exist", text):
        key = match.group(1)
        parent, _, name = key.rpartition(".")
        close = _closest(name, _keys_at(parent, config_name, overrides))
        hint = f"; did you mean ~{_join(parent, close)}?" if close else ""
        return f"~{key}: no such key to delete{hint}"
    if match := re.match(r"Ambiguous value for argument '([^']+)'", text):
        given = match.group(1)
        key, _, value = given.partition("=")
        return (
            f"{given}: a comma makes a sweep; add -m to sweep over {value}, "
            f"or write {key}=[{value}] for a list or {key}='{value}' for a string"
        )
    return " ".join(line.strip() for line in text.splitlines() if line.strip() and "search path" not in line)


def _unknown_option(group: str, option: str, options: list[str]) -> str:
    close = _closest(option, options)
    hint = f"did you mean {group}={close}? " if close else ""
    return f"{group}={option}: the group {group} has no option {option!r}; {hint}(options: {', '.join(options)})"


def _unknown_key(key: str, config_name: str, overrides: Sequence[str]) -> str:
    """``key`` is not in the composed config: the closest key of its node, or the ``+`` syntax for
    an argument of the node's class that the config file leaves out."""
    value = _value_of(overrides, key)
    if "/" in key:  # a group path (``embedding/charr=cnn``): the closest group
        close = _closest(key, _groups())
        hint = f"; did you mean {close}={value}?" if close else f" (groups: {', '.join(_groups())})"
        return f"{key}={value}: no such config group{hint}"
    parent, _, name = key.rpartition(".")
    node = _node_at(parent, config_name, overrides)
    if node is None:  # the parent is missing too: report the first missing level
        top = key.split(".")[0]
        close = _closest(top, _keys_at("", config_name, overrides))
        hint = f"; did you mean {close}?" if close else f"; a new key is added with +{key}={value}"
        return f"{key}={value}: the config has no {top!r}{hint}"
    arguments = _arguments(node)
    if name in arguments:
        return (
            f"{key}={value}: {name} is an argument of {node['_target_']} that the config leaves out; "
            f"add it with +{key}={value}"
        )
    keys = [k for k in node if not k.startswith("_")]
    close = _closest(name, keys + [a for a in arguments if a not in keys])
    if close:
        plus = "" if close in keys else "+"
        return f"{key}={value}: no such key; did you mean {plus}{_join(parent, close)}={value}?"
    where = f"keys of {parent}" if parent else "top-level keys"
    return f"{key}={value}: no such key ({where}: {', '.join(keys)}); a new key is added with +{key}={value}"


def _closest(word: str, candidates: Sequence[str]) -> str | None:
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _value_of(overrides: Sequence[str], key: str) -> str:
    for override in overrides:
        name, sep, value = override.lstrip("+~").partition("=")
        if sep and name == key:
            return value
    return "..."


def _parses(override: str) -> bool:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        OverridesParser.create().parse_overrides([override])
    except OverrideParseException:
        return False
    return True


def _composed(config_name: str, overrides: Sequence[str]) -> Any:
    """The config without the overrides that fail (or with none, if the rest fail together)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()  # the failed composition may have left Hydra initialised
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        good = [o for o in overrides if _composes(compose, config_name, o)]
        for candidate in (good, []):
            try:
                return compose(config_name, overrides=list(candidate))
            except COMPOSITION_ERRORS:
                continue
    return None


def _composes(compose: Callable[..., Any], config_name: str, override: str) -> bool:
    try:
        compose(config_name, overrides=[override])
    except COMPOSITION_ERRORS:
        return False
    return True


def _node_at(path: str, config_name: str, overrides: Sequence[str]) -> dict[str, Any] | None:
    from omegaconf import DictConfig, OmegaConf

    cfg = _composed(config_name, overrides)
    if cfg is None:
        return None
    node = OmegaConf.select(cfg, path) if path else cfg
    return OmegaConf.to_container(node, resolve=False) if isinstance(node, DictConfig) else None  # type: ignore[return-value]


def _keys_at(path: str, config_name: str, overrides: Sequence[str]) -> list[str]:
    node = _node_at(path, config_name, overrides)
    return [k for k in node if not k.startswith("_")] if node else []


def _arguments(node: dict[str, Any]) -> list[str]:
    """The keyword arguments of the class a node instantiates (none when it names no class or
    the class cannot be imported)."""
    target = node.get("_target_")
    if not isinstance(target, str):
        return []
    from seqlab.targets import locate

    try:
        parameters = inspect.signature(locate(target)).parameters.values()
    except Exception:  # noqa: BLE001 - an unimportable target is reported later, by the config check
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.kind in kinds and p.name != "self"]


def _groups() -> list[str]:
    """Config group paths (``encoder``, ``embedding/char``, ...) of seqlab's config folder."""
    root = config_dir()
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_dir() and any(p.suffix == ".yaml" for p in path.iterdir()) and path.name != "__pycache__"
    )
