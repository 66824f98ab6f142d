"""The follow-up's history as an Atom feed (RFC 4287), so that a neighbourhood website can follow
what changed: one entry per change, newest first, with stable ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from app.exports.follow_up_content import FollowUpContent
from app.i18n import gettext as _

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(address: str) -> str:
    # A URN that stays the same however often the feed is made (RFC 4287 4.2.6).
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, address)}"


def feed(content: FollowUpContent, *, page_url: str, feed_url: str, language: str) -> bytes:
    """The feed of a published follow-up: its changes, each worded for residents."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    process = content.process
    sub(root, "id", _id(page_url))
    sub(
        root,
        "title",
        _("What became of the residents' plan: %(title)s") % {"title": process.title},
    )
    sub(
        root,
        "subtitle",
        _("Changes to the measures of the plan and the neighbourhood's figures, %(hood)s.")
        % {"hood": process.neighbourhood},
    )
    updated = content.last_change_at or content.plan_adopted_at or datetime.now(UTC)
    sub(root, "updated", _stamp(updated))
    author = sub(root, "author")
    sub(author, "name", _("Wijkteam %(hood)s") % {"hood": process.neighbourhood})
    sub(root, "link", rel="self", type="application/atom+xml", href=feed_url)
    sub(root, "link", rel="alternate", type="text/html", href=page_url)
    for event in content.history:
        entry = sub(root, "entry")
        anchor = f"{page_url}#change-{event.id}"
        sub(entry, "id", _id(anchor))
        sub(entry, "title", event.subject)
        sub(entry, "updated", _stamp(event.at))
        sub(entry, "link", rel="alternate", type="text/html", href=anchor)
        sub(
            entry,
            "content",
            "\n".join(content.change_texts(event)),
            type="text",
        )
    body: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
