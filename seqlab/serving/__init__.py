"""``seqlab-serve``: a trained model behind HTTP (FastAPI on uvicorn), with dynamic batching."""
