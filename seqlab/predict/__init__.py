"""Prediction: :class:`~seqlab.predict.predictor.Predictor` (raw text to JSON) and what it runs.

A checkpoint is read as data by :mod:`~seqlab.predict.checkpoint_file` and its network run with
torch (:mod:`~seqlab.predict.torch_backend`); an exported model folder
(:mod:`~seqlab.predict.model_folder`, written by :mod:`~seqlab.predict.export`) runs with ONNX
Runtime (:mod:`~seqlab.predict.onnx_backend`). Both turn outputs into predictions with the model's
:class:`~seqlab.predict.outputs.Output`, so they give the same JSON.
"""
