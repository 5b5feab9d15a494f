"""What a :class:`~seqlab.predictor.Predictor` runs: a trained torch task, or an exported ONNX graph."""
