"""The HTTP prediction service (LitServe) and its drift watch."""
