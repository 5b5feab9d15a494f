"""Reading, tag schemes, batching and the DataModule."""
