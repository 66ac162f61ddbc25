"""Everything Qt: the main window and its panels. Nothing below ui/ imports this package."""
