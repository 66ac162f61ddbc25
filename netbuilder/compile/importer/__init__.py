"""PyTorch code -> a document: the import (model), what forward is given (examples), the capture (torch.export,
symbolic tracing as the fallback), the mapping rules, the layer catalog and function mapping, Code layers for what
the catalog lacks (fallback, as_code), and blocks for repeated classes."""
