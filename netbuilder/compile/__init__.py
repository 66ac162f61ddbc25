"""Graph -> torch.fx GraphModule, and graph -> readable PyTorch source."""
from .build import build_model, example_inputs, param_count
from .source import export_source

__all__ = ["build_model", "example_inputs", "param_count", "export_source"]
