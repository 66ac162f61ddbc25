"""Runs: a run's folder, its history and status, listing and reloading a document's runs, the recorder that
writes them while training, imported weights, and TensorBoard on them."""
