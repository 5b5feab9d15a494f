"""Sequence encoders: bidirectional LSTM and GRU over packed sequences."""

from __future__ import annotations

import contextlib
from typing import Annotated

import torch
from torch import Tensor, nn

from seqlab.constraints import POSITIVE, PROBABILITY
from seqlab.modules.dropout import Dropout


class _BiRNNEncoder(nn.Module):
    rnn_class: type[nn.LSTM] | type[nn.GRU]

    def __init__(
        self,
        input_dim: int,
        hidden_size: Annotated[int, POSITIVE] = 100,
        num_layers: Annotated[int, POSITIVE] = 1,
        dropout: Annotated[float, PROBABILITY] = 0.5,
        variational_dropout: bool = False,
    ) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.dropout = Dropout(dropout, variational=variational_dropout)
        if variational_dropout and num_layers > 1:
            # The RNN's own dropout between layers draws a mask per time step: stack single layers
            # with the shared-mask dropout between them instead.
            self.rnn: nn.Module = nn.ModuleList(
                self.rnn_class(
                    input_dim if i == 0 else 2 * hidden_size, hidden_size, bidirectional=True, batch_first=True
                )
                for i in range(num_layers)
            )
        else:
            self.rnn = self.rnn_class(
                input_dim,
                hidden_size,
                num_layers=num_layers,
                bidirectional=True,
                batch_first=True,
                dropout=dropout if num_layers > 1 else 0.0,
            )
        self.output_dim = 2 * hidden_size

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``(B, T, input_dim)`` and ``mask (B, T)`` to ``(B, T, output_dim)``; padding stays zero."""
        if x.size(-1) != self.input_dim:
            raise ValueError(f"{type(self).__name__} expects input_dim {self.input_dim}, got {x.size(-1)}")
        lengths = mask.sum(1).cpu()
        cpu_autocast = x.device.type == "cpu" and torch.is_autocast_enabled("cpu")
        if cpu_autocast:  # oneDNN has no bf16 RNN here: run the recurrence in float32
            x = x.float()
        for i, rnn in enumerate(self.rnn if isinstance(self.rnn, nn.ModuleList) else [self.rnn]):
            if i > 0:
                x = self.dropout(x)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            with torch.autocast("cpu", enabled=False) if cpu_autocast else contextlib.nullcontext():
                out, _ = rnn(packed)
            x, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return self.dropout(x)


class BiLSTMEncoder(_BiRNNEncoder):
    """Stacked bidirectional LSTM (cuDNN on GPU).

    Args:
        input_dim: size of the token representation (the embedder's ``output_dim``).
        hidden_size: LSTM size per direction; ``output_dim`` is ``2 * hidden_size``.
        num_layers: stacked layers.
        dropout: dropout between layers and on the output.
        variational_dropout: one dropout mask per sequence for all its time steps (between
            layers and on the output) instead of a fresh mask at every step.
    """

    rnn_class = nn.LSTM


class BiGRUEncoder(_BiRNNEncoder):
    """Stacked bidirectional GRU; same arguments as :class:`BiLSTMEncoder`."""

    rnn_class = nn.GRU


class IdentityEncoder(nn.Module):
    """No encoder (``encoder=none``): the embeddings go straight to the head, as a transformer's
    contextual vectors may."""

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.output_dim = input_dim

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``(B, T, D)`` unchanged, padding set to zero."""
        return x * mask.unsqueeze(-1).to(x.dtype)
