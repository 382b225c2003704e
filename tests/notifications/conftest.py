"""Notification tests use the evidence tests' cast (tests/evidence/conftest.py): Glasgow with
Fran facilitating Cara and Cal, assessed by Ada; Leeds with Finn and Lee, assessed by Abe."""

from tests.evidence.conftest import cast

__all__ = ["cast"]
