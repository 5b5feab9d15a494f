"""seqlab-pos: an example seqlab plug-in (POS tagging over CoNLL-2003's second column)."""
