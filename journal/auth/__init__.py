"""Accounts and sessions: signing in and out, passwords, invitations."""
