"""Dates and deadlines written out for people, in French (default) and English, without locale settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from comms_approval.domain.convention import DeadlineRule
from comms_approval.domain.deadlines import Deadline, zone

# Written out by hand: the process locale is unknown (and often C) on servers and CI machines.
_WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_ZONE_LABELS_FR = {
    "Europe/Paris": "heure de Paris",
    "America/Guadeloupe": "heure de la Guadeloupe",
    "America/Martinique": "heure de la Martinique",
    "America/Cayenne": "heure de Cayenne",
    "Indian/Reunion": "heure de La Réunion",
    "Indian/Mayotte": "heure de Mayotte",
    "America/Miquelon": "heure de Miquelon",
}
_ZONE_LABELS_EN = {
    "Europe/Paris": "Paris time",
    "America/Guadeloupe": "Guadeloupe time",
    "America/Martinique": "Martinique time",
    "America/Cayenne": "Cayenne time",
    "Indian/Reunion": "Réunion time",
    "Indian/Mayotte": "Mayotte time",
    "America/Miquelon": "Miquelon time",
}


def zone_label_fr(timezone: str) -> str:
    """'heure de Paris' for the known territories, otherwise the IANA name."""
    return _ZONE_LABELS_FR.get(timezone, f"heure locale, fuseau {timezone}")


def zone_label_en(timezone: str) -> str:
    return _ZONE_LABELS_EN.get(timezone, f"local time, {timezone}")


def format_date_fr(day: date) -> str:
    """'lundi 11 mai 2026', with '1er' for the first of the month."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{_WEEKDAYS_FR[day.weekday()]} {number} {_MONTHS_FR[day.month - 1]} {day.year}"


def format_date_en(day: date) -> str:
    """'Monday 11 May 2026'."""
    return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_datetime_fr(instant: datetime, timezone: str) -> str:
    """'jeudi 23 avril 2026 à 10 h 00 (heure de Paris)': the instant in the given zone."""
    local = instant.astimezone(zone(timezone))
    return f"{format_date_fr(local.date())} à {local.hour} h {local.minute:02d} ({zone_label_fr(timezone)})"


def format_datetime_en(instant: datetime, timezone: str) -> str:
    """'Thursday 23 April 2026 at 10:00 (Paris time)'."""
    local = instant.astimezone(zone(timezone))
    return f"{format_date_en(local.date())} at {local:%H:%M} ({zone_label_en(timezone)})"


def format_deadline_fr(deadline: Deadline) -> str:
    """'lundi 11 mai 2026 à 24 h (heure de Paris)': the end of the last day, as the law words it."""
    return f"{format_date_fr(deadline.last_day)} à 24 h ({zone_label_fr(deadline.timezone)})"


def format_deadline_en(deadline: Deadline) -> str:
    """'Monday 11 May 2026 at midnight, end of day (Paris time)'."""
    return f"{format_date_en(deadline.last_day)} at midnight, end of day ({zone_label_en(deadline.timezone)})"


def _ordinal_fr(number: int) -> str:
    return "1er" if number == 1 else f"{number}e"


def _ordinal_en(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def explain_deadline_fr(deadline: Deadline) -> tuple[str, ...]:
    """The computation step by step, in French, for officers, partners and auditors."""
    if deadline.rule is DeadlineRule.CPC:
        rule = (
            "jours calendaires ; si le dernier jour est un samedi, un dimanche ou un jour férié, "
            "le délai est prorogé jusqu'au premier jour ouvrable suivant "
            "(modèle : articles 641 et 642 du code de procédure civile)"
        )
    else:
        rule = "jours calendaires, sans report les samedis, dimanches et jours fériés"
    lines = [
        f"Remise de la demande : {format_datetime_fr(deadline.delivered_at, deadline.timezone)}.",
        f"Le jour de la remise ({format_date_fr(deadline.delivered_local_date)}) est le jour 0 : "
        "il n'est pas compté.",
        f"Délai de {deadline.days} jour{'s' if deadline.days > 1 else ''} : {rule}.",
        f"{_ordinal_fr(deadline.days)} jour : {format_date_fr(deadline.nominal_last_day)}.",
    ]
    lines.extend(
        f"Report d'un jour : {format_date_fr(extension.date)} ({extension.reason})."
        for extension in deadline.extensions
    )
    after = deadline.last_day + timedelta(days=1)
    lines += [
        f"Dernier jour : {format_date_fr(deadline.last_day)}.",
        f"Échéance : {format_deadline_fr(deadline)}. À défaut de réponse à cette échéance, le silence "
        f"vaut accord à compter du {format_date_fr(after)} à 0 h.",
        f"Règle {deadline.rule.value} (version {deadline.rule_version}), territoire {deadline.territory}, "
        f"fuseau {deadline.timezone}, calendrier : {deadline.calendar}.",
    ]
    return tuple(lines)


def explain_deadline_en(deadline: Deadline) -> tuple[str, ...]:
    """The same explanation in English."""
    if deadline.rule is DeadlineRule.CPC:
        rule = (
            "calendar days; if the last day is a Saturday, Sunday or public holiday, the period runs "
            "to the next working day (modelled on articles 641 and 642 of the French code of civil procedure)"
        )
    else:
        rule = "calendar days, never extended for weekends or public holidays"
    lines = [
        f"Request delivered: {format_datetime_en(deadline.delivered_at, deadline.timezone)}.",
        f"The day of delivery ({format_date_en(deadline.delivered_local_date)}) is day 0 and is not counted.",
        f"Period of {deadline.days} day{'s' if deadline.days > 1 else ''}: {rule}.",
        f"{_ordinal_en(deadline.days)} day: {format_date_en(deadline.nominal_last_day)}.",
    ]
    lines.extend(
        f"Carried over one day: {format_date_en(extension.date)} ({extension.reason_en or extension.reason})."
        for extension in deadline.extensions
    )
    after = deadline.last_day + timedelta(days=1)
    lines += [
        f"Last day: {format_date_en(deadline.last_day)}.",
        f"Deadline: {format_deadline_en(deadline)}. Without an answer by then, silence counts as approval "
        f"from {format_date_en(after)} at 00:00.",
        f"Rule {deadline.rule.value} (version {deadline.rule_version}), territory {deadline.territory}, "
        f"time zone {deadline.timezone}, calendar: {deadline.calendar}.",
    ]
    return tuple(lines)
