"""Word and character vocabularies built with the tokenizers library."""
