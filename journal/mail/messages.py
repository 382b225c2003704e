"""The messages the app sends, each from its templates in templates/email/ (README: "E-mail")."""

from email.message import EmailMessage

from ..models import Invitation, InvitationRole, User
from .compose import compose

SIGNATURE_ADMIN = "Your programme's administrator"


def role_phrase(invitation: Invitation) -> str:
    """What the invitation makes someone, in words: "a candidate in Glasgow 3"."""
    role = InvitationRole(invitation.role)
    if role == InvitationRole.ADMIN:
        return "an administrator"
    if role == InvitationRole.ASSESSOR:
        return "an assessor"
    where = "in" if role == InvitationRole.CANDIDATE else "of"
    name = invitation.learning_set.name if invitation.learning_set else "a set"
    return f"a {role.value} {where} {name}"


def invitation(invitation: Invitation, link: str, inviter: User | None) -> EmailMessage:
    """The invitation link, naming the set and who invited them."""
    who = inviter.name if inviter is not None else SIGNATURE_ADMIN
    return compose(
        "invitation",
        invitation.email,
        f"{who} invites you to Set Journal",
        inviter=who,
        role_phrase=role_phrase(invitation),
        link=link,
        expires_at=invitation.expires_at,
    )


def password_reset(user: User, link: str) -> EmailMessage:
    """The one-time link to choose a new password."""
    return compose(
        "password_reset",
        user.email,
        "Choose a new Set Journal password",
        name=user.name,
        email=user.email,
        link=link,
    )
