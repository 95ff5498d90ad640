"""Renders the e-mail templates (Jinja2, French and English) and writes dates and deadlines out in words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

LANGUAGES = ("fr", "en")
MAIL_KINDS = (
    "request",
    "reminder",
    "acknowledgement",
    "conclusion",
    "delivery_failure",
    "withdrawn",
    "signin",
    "check_completed",
)
NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, before ; ! ? in French
# Every character a mail client or a header parser may treat as a line break, plus ordinary blanks.
_BREAKS = re.compile("[ \t\r\n\f\v\x1c\x1d\x1e\x85\u2028\u2029]+")

_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
# How each time zone is named to a reader; the IANA name is the fallback.
_ZONE_LABELS = {
    "Europe/Paris": ("heure de Paris", "Paris time"),
    "America/Guadeloupe": ("heure de la Guadeloupe", "Guadeloupe time"),
    "America/Martinique": ("heure de la Martinique", "Martinique time"),
    "America/Cayenne": ("heure de la Guyane", "French Guiana time"),
    "Indian/Reunion": ("heure de La Réunion", "Réunion time"),
    "Indian/Mayotte": ("heure de Mayotte", "Mayotte time"),
    "America/Miquelon": ("heure de Saint-Pierre-et-Miquelon", "Saint Pierre and Miquelon time"),
    "Pacific/Noumea": ("heure de Nouméa", "Nouméa time"),
    "Pacific/Tahiti": ("heure de Tahiti", "Tahiti time"),
}


def _language(language: str) -> str:
    short = language.lower().replace("_", "-").split("-")[0]
    if short not in LANGUAGES:
        raise ValueError(f"no e-mail templates for language {language!r}; available: {', '.join(LANGUAGES)}")
    return short


def zone_label(timezone: str, language: str) -> str:
    """'heure de Paris' / 'Paris time' for a time zone name."""
    labels = _ZONE_LABELS.get(timezone)
    if labels is not None:
        return labels[0] if _language(language) == "fr" else labels[1]
    return f"heure locale, {timezone}" if _language(language) == "fr" else f"local time, {timezone}"


def long_date(day: date, language: str) -> str:
    """'lundi 11 mai 2026' / 'Monday 11 May 2026' ('1er' for the first of a month in French)."""
    lang = _language(language)
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{_DAYS[lang][day.weekday()]} {number} {_MONTHS[lang][day.month - 1]} {day.year}"


def _local(instant: datetime, timezone: str) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are refused; give a time zone offset")
    return instant.astimezone(ZoneInfo(timezone))


def _clock_time(hour: int, minute: int, language: str) -> str:
    if _language(language) == "fr":
        return f"{hour}{NBSP}h" if minute == 0 else f"{hour}{NBSP}h{NBSP}{minute:02d}"
    return f"{hour:02d}:{minute:02d}"


def datetime_text(instant: datetime, timezone: str, language: str) -> str:
    """'jeudi 23 avril 2026 à 10 h 30 (heure de Paris)' / 'Thursday 23 April 2026 at 10:30 (Paris time)'."""
    local = _local(instant, timezone)
    joiner = "à" if _language(language) == "fr" else "at"
    clock = _clock_time(local.hour, local.minute, language)
    return f"{long_date(local.date(), language)} {joiner} {clock} ({zone_label(timezone, language)})"


def deadline_text(deadline: datetime, timezone: str, language: str) -> str:
    """Write out the instant a period ends: midnight is '24 h' of the previous day, as the law says it.

    'lundi 11 mai 2026 à 24 h (heure de Paris)' / 'Monday 11 May 2026 at 24:00 (Paris time)'.
    """
    local = _local(deadline, timezone)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        day = local.date() - timedelta(days=1)
        clock = f"24{NBSP}h" if _language(language) == "fr" else "24:00"
    else:
        day = local.date()
        clock = _clock_time(local.hour, local.minute, language)
    joiner = "à" if _language(language) == "fr" else "at"
    return f"{long_date(day, language)} {joiner} {clock} ({zone_label(timezone, language)})"


def deadline_sentence(deadline: datetime, timezone: str, language: str, *, article: str = "8") -> str:
    """The sentence every request and reminder carries: what silence means, and until when."""
    when = deadline_text(deadline, timezone, language)
    if _language(language) == "fr":
        return (
            f"Sans réponse de votre part au plus tard le {when}, votre accord sera réputé acquis, "
            f"conformément à l’article {article} de la convention."
        )
    return (
        f"If we have not received your answer by {when}, your approval will be deemed given, "
        f"in accordance with Article {article} of the agreement."
    )


def deadline_event_title(title: str, version: int, language: str) -> str:
    """The calendar event's title of a request's deadline, in the partner's language."""
    if _language(language) == "fr":
        return f"Échéance\u00a0: avis sur «\u00a0{oneline(title)}\u00a0» (v{version})"
    return f"Deadline: opinion on “{oneline(title)}” (v{version})"


def oneline(value: object) -> str:
    """Collapse line breaks and blank runs into one space, for titles, names and subjects.

    No-break spaces are kept on purpose: they carry the French typography.
    """
    return _BREAKS.sub(" ", str(value)).strip(" ")


def short_hash(value: object, length: int = 12) -> str:
    return str(value)[:length]


@dataclass(frozen=True)
class RenderedMail:
    """The three parts of a mail, ready for OutgoingMessage."""

    subject: str
    text: str
    html: str


def _default_templates_dir() -> Path:
    # src/comms_approval/adapters/mail/render.py -> repository root is five levels up.
    return Path(__file__).resolve().parents[4] / "templates" / "email"


class MailRenderer:
    """Renders `<kind>.<lang>.subject.txt`, `<kind>.<lang>.txt` and `<kind>.<lang>.html` from one folder."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir or _default_templates_dir()
        if not self.templates_dir.is_dir():
            raise FileNotFoundError(f"e-mail templates folder not found: {self.templates_dir}")
        loader = FileSystemLoader(self.templates_dir)
        # Two environments so that escaping is decided by the part, never by a file name pattern.
        self._html = Environment(
            loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
        )
        self._text = Environment(
            loader=loader,
            autoescape=False,  # noqa: S701 -- plain-text parts and subjects are not HTML
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        for env in (self._html, self._text):
            env.filters.update(
                oneline=oneline,
                short_hash=short_hash,
                long_date=_long_date_filter,
                datetime_text=_datetime_filter,
                deadline_text=_deadline_filter,
                deadline_sentence=_deadline_sentence_filter,
            )

    def render(self, template: str, language: str, context: Mapping[str, object]) -> RenderedMail:
        """Render one mail kind in one language; a missing context key raises jinja2.UndefinedError."""
        if template not in MAIL_KINDS:
            raise ValueError(f"unknown mail kind {template!r}; known: {', '.join(MAIL_KINDS)}")
        lang = _language(language)
        values = {**context, "lang": lang}
        subject = self._text.get_template(f"{template}.{lang}.subject.txt").render(values)
        text = self._text.get_template(f"{template}.{lang}.txt").render(values)
        html = self._html.get_template(f"{template}.{lang}.html").render(values)
        return RenderedMail(subject=oneline(subject), text=_tidy_text(text), html=html)


def _tidy_text(text: str) -> str:
    # Conditional blocks leave runs of blank lines; mail readers show them all.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


@pass_context
def _long_date_filter(context: Context, value: date) -> str:
    return long_date(value, str(context["lang"]))


@pass_context
def _datetime_filter(context: Context, value: datetime, timezone: str) -> str:
    return datetime_text(value, timezone, str(context["lang"]))


@pass_context
def _deadline_filter(context: Context, value: datetime, timezone: str) -> str:
    return deadline_text(value, timezone, str(context["lang"]))


@pass_context
def _deadline_sentence_filter(context: Context, value: datetime, timezone: str, article: str = "8") -> str:
    return deadline_sentence(value, timezone, str(context["lang"]), article=article)
