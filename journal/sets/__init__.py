"""Sets and their meetings."""
