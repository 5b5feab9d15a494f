"""What a :class:`~seqlab.predictor.Predictor` runs: a checkpoint's network with torch
(:mod:`~seqlab.backends.torch_model`) or an exported graph with ONNX Runtime
(:mod:`~seqlab.backends.onnx_model`). Both turn outputs into predictions with the model's
:class:`~seqlab.outputs.Output`, so they give the same JSON."""
