"""What the views draw about a network: layer outputs and attributions (probes), the boundary and layer
statistics taken while training, and the coach's reading of a run."""
