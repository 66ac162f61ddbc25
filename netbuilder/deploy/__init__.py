"""A trained network put to work: ONNX and TorchScript files, the standalone training script, prediction."""
