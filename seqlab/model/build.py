"""Config to network: the one builder of embedder -> encoder -> head, with no Hydra.

Training (:func:`seqlab.training.build.build_task`), the torch predictor and checkpoint restore all build
their network here, from a plain config (``embedding``, ``encoder`` and ``head`` nodes with a
``_target_``), the data's :class:`~seqlab.spec.DataSpec`, the head's data-dependent arguments
(``num_labels``, ``allowed_transitions``) and, for training, the initial word vectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from seqlab.errors import ConfigError
from seqlab.model.network import Network
from seqlab.modules.embedder import TokenEmbedder
from seqlab.spec import DataSpec
from seqlab.targets import accepted_arguments, build_node, locate


def is_part(node: Any) -> bool:
    """Whether an ``embedding`` entry is a part (a node with a ``_target_``)."""
    return isinstance(node, Mapping) and "_target_" in node


def build_network(
    config: Mapping[str, Any],
    spec: DataSpec,
    head_arguments: Mapping[str, Any],
    vectors: Tensor | None = None,
    records: Mapping[str, Any] | None = None,
) -> Network:
    """Embedder -> encoder -> head from a plain, checked config.

    Each embedding part gets ``spec`` if its constructor takes it, as AllenNLP passes ``vocab``
    to the parts that ask for it, and the part whose config declares ``pretrained`` (the file the
    data side read) gets ``vectors`` in its place; without ``vectors`` (a checkpoint is being
    restored) it gets ``None``, and its weights come from the checkpoint. ``records`` are given
    when a checkpoint is restored: what its parts recorded of their sources, by part name; each
    part is then built with its :meth:`~seqlab.modules.embedder.EmbeddingPart.restore_arguments`
    in place of the config's.
    """
    embedding = config["embedding"]
    parts = {}
    for name, node in embedding.items():
        if is_part(node):  # the vectors go to the part that declares them (its config names the file)
            part = locate(str(node["_target_"]))
            available = {"spec": spec, "pretrained": vectors if "pretrained" in node else None}
            restored = {} if records is None else _restore_arguments(name, part, records.get(name))
            parts[name] = build_node(node, **accepted_arguments(part, available), **restored)
    settings = {name: value for name, value in embedding.items() if name not in parts and value is not None}
    embedder = build_node(settings, parts=parts)
    if not isinstance(embedder, TokenEmbedder):
        raise TypeError(f"embedding._target_ {settings.get('_target_')!r} is not a TokenEmbedder")
    if spec.feature_columns and "features" not in embedder.featurizers():
        columns = ",".join(map(str, spec.feature_columns))
        raise ConfigError(
            f"data.feature_columns=[{columns}] reads feature columns, but no embedding part uses them: add "
            "+embedding/features=default (or drop data.feature_columns)"
        )
    encoder = build_node(config["encoder"], input_dim=embedder.output_dim)
    head = build_node(config["head"], input_dim=encoder.output_dim, **head_arguments)
    return Network(embedder, encoder, head)


def load_network(
    config: Mapping[str, Any],
    spec: DataSpec,
    head_arguments: Mapping[str, Any],
    weights: Mapping[str, Tensor],
    records: Mapping[str, Any],
) -> Network:
    """The network of ``config`` with ``weights`` loaded, its parts rebuilt from ``records``
    (what a checkpoint kept of their sources: :func:`build_network`).

    It is first built on the meta device (no memory) and its tensor shapes compared with
    ``weights``, so a config that declares sizes its weights do not have is a ``ValueError``
    naming the first tensor that differs, before anything is allocated.
    """
    with torch.device("meta"):  # a part that needs a record and has none fails here, before reading elsewhere
        probe = build_network(config, spec, head_arguments, records=records)
    expected = {name: tuple(t.shape) for name, t in probe.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in weights.items()}
    missing = sorted(expected.keys() - found.keys())
    if missing:
        raise ValueError(f"the weights lack {len(missing)} tensors of the network, first {missing[0]!r}")
    unexpected = sorted(found.keys() - expected.keys())
    if unexpected:
        raise ValueError(f"the weights hold {len(unexpected)} tensors the network has not, first {unexpected[0]!r}")
    for name, shape in expected.items():
        if found[name] != shape:
            raise ValueError(f"the config declares {name} of shape {list(shape)}, the weights hold {list(found[name])}")
    network = build_network(config, spec, head_arguments, records=records)
    network.load_state_dict(dict(weights))
    return network


def _restore_arguments(name: str, part: Any, record: Any) -> dict[str, Any]:
    """The constructor arguments of part ``name`` rebuilt from a checkpoint that kept ``record``."""
    if record is not None and not isinstance(record, dict):
        raise ValueError(f"embedding.{name}: its recorded source is a {type(record).__name__}, not a mapping")
    restore = getattr(part, "restore_arguments", None)
    if restore is None:
        return {}
    try:
        return dict(restore(record))
    except ValueError as err:
        raise ValueError(f"embedding.{name} {err}") from None
