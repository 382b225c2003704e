"""A person's rights over their data: download it all, or delete their account (README.md)."""
