"""iCalendar (RFC 5545) files for meetings: one per meeting and one per campaign."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings

from .models import Meeting


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after a space."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return out


def calendar(meetings: Iterable[Meeting], name: str) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    host = base.split("//")[-1].split("/")[0] or "agora"
    now = _stamp(datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Agora//Meetings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for m in meetings:
        url = f"{base}{m.get_absolute_url()}"
        description = m.description
        if m.online_url:
            description = f"{description}\n{m.online_url}".strip()
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{m.pk}@{host}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_stamp(m.starts_at)}",
            f"DTEND:{_stamp(m.ends_at)}",
            f"SUMMARY:{_escape(m.title)}",
            f"LOCATION:{_escape(m.place or m.online_url)}",
            f"DESCRIPTION:{_escape(description)}",
            f"URL:{url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
