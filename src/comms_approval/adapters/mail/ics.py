"""The iCalendar (RFC 5545) attachment that puts a request's deadline in the recipient's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PRODID = "-//comms-approval//Article 8 approvals//FR"
# The event ends at the deadline; one hour before it keeps it visible in day views of every client.
EVENT_LENGTH = timedelta(hours=1)
MAX_LINE_OCTETS = 75


def _utc_stamp(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are refused in calendar data")
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1)."""
    chunks: list[str] = []
    current = ""
    limit = MAX_LINE_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            chunks.append(current)
            current = char
            limit = MAX_LINE_OCTETS - 1  # continuation lines start with one space
        else:
            current += char
    chunks.append(current)
    return "\r\n ".join(chunks)


def deadline_ics(*, uid: str, summary: str, description: str, deadline: datetime, created: datetime) -> bytes:
    """Return a one-event calendar ending at the deadline, with a reminder alarm one day before."""
    if not uid or "\r" in uid or "\n" in uid:
        raise ValueError(f"invalid calendar UID {uid!r}")
    end = _utc_stamp(deadline)
    start = _utc_stamp(deadline - EVENT_LENGTH)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_utc_stamp(created)}",
        f"CREATED:{_utc_stamp(created)}",
        f"DTSTART:{start}",
        f"DTEND:{end}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        "TRANSP:TRANSPARENT",
        "STATUS:CONFIRMED",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-P1D",
        f"DESCRIPTION:{escape_text(summary)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(fold_line(line) for line in lines) + "\r\n").encode("utf-8")
