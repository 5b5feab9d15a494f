"""Plain torch building blocks: embeddings, encoders, CRF, heads (no Lightning, no I/O)."""
