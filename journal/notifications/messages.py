"""The notification e-mails (templates/email/notification.* and digest.*): who, what kind, an
absolute link; never the words of a reflection or comment. Each carries the one-click
unsubscribe headers of RFC 8058."""

from email.message import EmailMessage
from typing import TYPE_CHECKING

from ..mail.compose import absolute_url, compose
from ..models import User
from . import unsubscribe

if TYPE_CHECKING:
    from .events import Told

# What happened, said to its recipient ({who} is the person who did it).
SENTENCES = {
    "reflection.comment": "{who} commented on your reflection.",
    "reflection.answer": "{who} answered on a reflection you commented on.",
    "claim.offered": "{who} offered evidence for you to assess.",
    "claim.decided": "{who} recorded a decision on your evidence.",
    "claim.comment": "{who} commented on your evidence.",
    "claim.candidate_comment": "{who} commented on their evidence.",
}
SOMEONE = "Someone"  # the account of whoever did it was deleted since


def sentence(told: "Told") -> str:
    return SENTENCES[told.kind].format(who=told.actor.name if told.actor else SOMEONE)


def link(told: "Told") -> str:
    if told.kind.startswith("reflection."):
        return absolute_url("reflections.view", reflection_id=told.target)
    return absolute_url("evidence.claim", claim_id=int(told.target))


def one_event(told: "Told") -> EmailMessage:
    said = sentence(told)
    message = compose(
        "notification",
        told.user.email,
        said.removesuffix("."),
        name=told.user.name,
        sentence=said,
        link=link(told),
        **_footer(told.user),
    )
    return _unsubscribable(message, told.user)


def digest(user: User, told: list["Told"]) -> EmailMessage:
    count = len(told)
    subject = f"Set Journal: {count} thing{'s' if count != 1 else ''} happened today"
    events = [(sentence(t), link(t)) for t in told]
    message = compose("digest", user.email, subject, name=user.name, events=events, **_footer(user))
    return _unsubscribable(message, user)


def _footer(user: User) -> dict[str, str]:
    return {
        "account_link": absolute_url("auth.account", _anchor="notifications"),
        "unsubscribe_link": unsubscribe.link_for(user),
    }


def _unsubscribable(message: EmailMessage, user: User) -> EmailMessage:
    message["List-Unsubscribe"] = f"<{unsubscribe.link_for(user)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
