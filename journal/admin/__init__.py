"""Administration: sets, people and invitations."""
