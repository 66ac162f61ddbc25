"""A trained network made smaller and faster (int8 through ONNX Runtime, structured pruning through
Torch-Pruning), each version measured against the original on the run's test set."""
