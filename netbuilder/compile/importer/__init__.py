"""PyTorch code -> a document: capture (model), the mapping rules, the layer catalog and function mapping,
and blocks for repeated classes."""
