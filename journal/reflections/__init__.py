"""The journal: writing reflections, reading what was shared, following actions."""
