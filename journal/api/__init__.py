"""The JSON API under /api/v1/ for the offline client and integrations."""
