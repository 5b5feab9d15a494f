"""A tiny randomly initialised BERT with a WordPiece tokenizer trained on the shipped samples,
saved as a Hugging Face folder: transformer tests run offline and fast."""
from __future__ import annotations

from pathlib import Path

from seqlab.resources import sample_path


def sample_words() -> list[str]:
    lines = []
    for path in sorted(sample_path("conll").glob("*.txt")):
        lines += [line.split()[0] for line in path.read_text().splitlines() if line.strip()]
    for path in sorted(sample_path("sentiment").glob("*.tsv")):
        lines += [line.split("\t")[0] for line in path.read_text().splitlines()[1:]]
    return lines


def save_tiny_bert(folder: Path, max_positions: int = 64, vocab_size: int = 300) -> Path:
    """Write ``config.json``, ``model.safetensors`` and ``tokenizer.json`` of a 2-layer BERT (hidden 16)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.train_from_iterator(sample_words(), trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=16, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=max_positions)
    BertModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder
