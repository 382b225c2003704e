"""NVQ evidence: frameworks, claims and decisions."""
