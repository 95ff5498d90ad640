"""Reads and validates convention TOML files; every error names the file, the field and the problem."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comms_approval.domain.convention import (
    DEFAULT_MIN_LOGO_WIDTH_MM,
    DEFAULT_SILENCE_DAYS,
    DEFAULT_TIMEZONE,
    KNOWN_TERRITORIES,
    Convention,
    DeadlineRule,
    Party,
    ReminderSchedule,
    RetentionYears,
)
from comms_approval.domain.errors import ConventionFileError

# Deliberately simple: one @, a dot in the domain, no spaces or angle brackets (header-injection safe).
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_IDENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

_CONVENTION_FIELDS = {
    "id",
    "title",
    "territory",
    "timezone",
    "silence_days",
    "reminders",
    "deadline_rule",
    "signed_on",
    "duration_years",
    "tacit_renewal",
    "auditors",
}
_REMINDER_FIELDS = {"after_delivery_days", "before_deadline_days"}
_PARTY_FIELDS = {
    "id",
    "name",
    "short_name",
    "approvers",
    "officers",
    "logos",
    "obsolete_logos",
    "aliases",
    "language",
    "min_logo_width_mm",
}
_LOGO_SUFFIXES = {".png", ".svg"}


class _Reader:
    """Field access that knows where it is, so every message can say file and field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> ConventionFileError:
        return ConventionFileError(self.path, field, problem)

    def check_unknown(self, table: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(f"{prefix}{key}", "unknown field")

    def required(self, table: Mapping[str, Any], key: str, prefix: str) -> Any:
        if key not in table:
            raise self.fail(f"{prefix}{key}", "missing required field")
        return table[key]

    def string(self, table: Mapping[str, Any], key: str, prefix: str, default: str | None = None) -> str:
        value = table.get(key, default) if default is not None else self.required(table, key, prefix)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{prefix}{key}", "must be a non-empty string")
        return value.strip()

    def days(self, value: Any, field: str, *, allow_zero: bool) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"must be a whole number of days, got {value!r}")
        if value < 0 or (value == 0 and not allow_zero):
            raise self.fail(field, f"must be {'zero or ' if allow_zero else ''}positive, got {value}")
        return value

    def emails(self, table: Mapping[str, Any], key: str, prefix: str, *, required: bool) -> tuple[str, ...]:
        if key not in table:
            if required:
                raise self.fail(f"{prefix}{key}", "missing required field")
            return ()
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{prefix}{key}", "must be a list of e-mail addresses")
        if required and not value:
            raise self.fail(f"{prefix}{key}", "needs at least one address")
        for address in value:
            if not _EMAIL.match(address):
                raise self.fail(f"{prefix}{key}", f"bad e-mail address {address!r}")
        return tuple(a.strip().lower() for a in value)

    def logo_paths(
        self, table: Mapping[str, Any], key: str, prefix: str, *, required: bool
    ) -> tuple[Path, ...]:
        if key not in table:
            if required:
                raise self.fail(f"{prefix}{key}", "missing required field")
            return ()
        value = table[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{prefix}{key}", "must be a list of file paths")
        if required and not value:
            raise self.fail(f"{prefix}{key}", "needs at least one logo file")
        paths = []
        for raw in value:
            try:
                path = Path(raw)
                if not path.is_absolute():
                    path = (self.path.parent / path).resolve()
                exists = path.is_file()
            except (ValueError, OSError) as exc:  # NUL bytes, over-long names...
                raise self.fail(f"{prefix}{key}", f"{raw!r} is not a usable file path ({exc})") from exc
            if path.suffix.lower() not in _LOGO_SUFFIXES:
                raise self.fail(f"{prefix}{key}", f"{raw}: logos must be PNG or SVG files")
            if not exists:
                raise self.fail(f"{prefix}{key}", f"logo file not found: {path}")
            paths.append(path)
        return tuple(paths)


def parse_convention(text: str, path: Path) -> Convention:
    """Validate the TOML text of a convention file; `path` anchors relative logo paths and messages."""
    reader = _Reader(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise reader.fail("(file)", f"not valid TOML: {exc}") from exc
    reader.check_unknown(data, {"convention", "parties", "retention"}, "")
    head = reader.required(data, "convention", "")
    if not isinstance(head, dict):
        raise reader.fail("convention", "must be a table")
    reader.check_unknown(head, _CONVENTION_FIELDS, "convention.")
    p = "convention."

    conv_id = reader.string(head, "id", p)
    if not _IDENT.match(conv_id):
        raise reader.fail("convention.id", "use lowercase letters, digits, '-' or '_' (max 63)")
    territory = str(reader.required(head, "territory", p)).strip().upper()
    if territory not in KNOWN_TERRITORIES:
        raise reader.fail("convention.territory", f"unknown territory {territory!r} (a département code)")
    timezone = reader.string(head, "timezone", p, DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise reader.fail("convention.timezone", f"unknown time zone {timezone!r}") from exc
    silence_days = reader.days(
        head.get("silence_days", DEFAULT_SILENCE_DAYS), "convention.silence_days", allow_zero=False
    )
    rule_text = head.get("deadline_rule", DeadlineRule.CPC.value)
    try:
        rule = DeadlineRule(rule_text)
    except ValueError as exc:
        raise reader.fail(
            "convention.deadline_rule", f"must be 'cpc' or 'calendar', got {rule_text!r}"
        ) from exc
    reminders = _reminders(reader, head.get("reminders", {}), silence_days)
    signed_on = reader.required(head, "signed_on", p)
    if not isinstance(signed_on, date) or isinstance(signed_on, datetime):
        raise reader.fail("convention.signed_on", "must be a date like 2026-01-15")
    duration = reader.required(head, "duration_years", p)
    if isinstance(duration, bool) or not isinstance(duration, int) or duration <= 0:
        raise reader.fail("convention.duration_years", f"must be a positive whole number, got {duration!r}")
    tacit = head.get("tacit_renewal", True)
    if not isinstance(tacit, bool):
        raise reader.fail("convention.tacit_renewal", "must be true or false")

    raw_parties = reader.required(data, "parties", "")
    if not isinstance(raw_parties, list) or len(raw_parties) < 2:
        raise reader.fail("parties", "a convention needs at least two [[parties]]")
    parties: list[Party] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_parties):
        party = _party(reader, raw, index)
        if party.id in seen:
            raise reader.fail(f"parties[{index}].id", f"duplicate party id {party.id!r}")
        seen.add(party.id)
        parties.append(party)

    return Convention(
        id=conv_id,
        title=reader.string(head, "title", p),
        territory=territory,
        parties=tuple(parties),
        signed_on=signed_on,
        duration_years=duration,
        tacit_renewal=tacit,
        timezone=timezone,
        silence_days=silence_days,
        deadline_rule=rule,
        reminders=reminders,
        auditors=reader.emails(head, "auditors", p, required=False),
        retention=_retention(reader, data.get("retention")),
        source=path,
    )


def _retention(reader: _Reader, raw: Any) -> RetentionYears | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise reader.fail("retention", "must be a table")
    reader.check_unknown(raw, {"documents_years", "evidence_years", "logs_years"}, "retention.")
    defaults = RetentionYears()
    values = {}
    for key in ("documents_years", "evidence_years", "logs_years"):
        value = raw.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise reader.fail(
                f"retention.{key}", f"must be a whole number of years, at least 1, got {value!r}"
            )
        values[key] = value
    return RetentionYears(**values)


def _reminders(reader: _Reader, raw: Any, silence_days: int) -> ReminderSchedule:
    if not isinstance(raw, dict):
        raise reader.fail("convention.reminders", "must be a table")
    reader.check_unknown(raw, _REMINDER_FIELDS, "convention.reminders.")
    values: dict[str, tuple[int, ...]] = {}
    for key, default in (("after_delivery_days", (7,)), ("before_deadline_days", (2,))):
        items = raw.get(key, list(default))
        if not isinstance(items, list):
            raise reader.fail(f"convention.reminders.{key}", "must be a list of day counts")
        days = tuple(reader.days(v, f"convention.reminders.{key}", allow_zero=False) for v in items)
        for d in days:
            if d >= silence_days:
                raise reader.fail(
                    f"convention.reminders.{key}",
                    f"{d} days is not inside the {silence_days}-day silence period",
                )
        values[key] = tuple(sorted(set(days)))
    return ReminderSchedule(**values)


def _party(reader: _Reader, raw: Any, index: int) -> Party:
    prefix = f"parties[{index}]."
    if not isinstance(raw, dict):
        raise reader.fail(f"parties[{index}]", "must be a table")
    party_id = reader.string(raw, "id", prefix)
    if not _IDENT.match(party_id):
        raise reader.fail(f"{prefix}id", "use lowercase letters, digits, '-' or '_' (max 63)")
    prefix = f"parties[{party_id}]."
    reader.check_unknown(raw, _PARTY_FIELDS, prefix)
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise reader.fail(f"{prefix}aliases", "must be a list of names")
    language = raw.get("language", "fr")
    if language not in ("fr", "en"):
        raise reader.fail(f"{prefix}language", f"must be 'fr' or 'en', got {language!r}")
    width = raw.get("min_logo_width_mm", DEFAULT_MIN_LOGO_WIDTH_MM)
    if isinstance(width, bool) or not isinstance(width, int | float) or width <= 0:
        raise reader.fail(f"{prefix}min_logo_width_mm", f"must be a positive number, got {width!r}")
    return Party(
        id=party_id,
        name=reader.string(raw, "name", prefix),
        short_name=reader.string(raw, "short_name", prefix),
        approvers=reader.emails(raw, "approvers", prefix, required=True),
        officers=reader.emails(raw, "officers", prefix, required=False),
        logos=reader.logo_paths(raw, "logos", prefix, required=True),
        obsolete_logos=reader.logo_paths(raw, "obsolete_logos", prefix, required=False),
        aliases=tuple(a.strip() for a in aliases),
        language=language,
        min_logo_width_mm=float(width),
    )


def load_convention(path: Path | str) -> Convention:
    """Read a convention file from disk."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConventionFileError(path, "(file)", "file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConventionFileError(path, "(file)", f"cannot be read: {exc}") from exc
    return parse_convention(text, path)


def demo_convention_path() -> Path:
    """The demo convention shipped with the product."""
    return Path(__file__).resolve().parents[3] / "conventions" / "demo.toml"


def convention_to_spec(convention: Convention) -> dict[str, Any]:
    """JSON-ready form of a validated convention, stored in the database with each load."""
    return {
        "id": convention.id,
        "title": convention.title,
        "territory": convention.territory,
        "timezone": convention.timezone,
        "silence_days": convention.silence_days,
        "deadline_rule": convention.deadline_rule.value,
        "reminders": {
            "after_delivery_days": list(convention.reminders.after_delivery_days),
            "before_deadline_days": list(convention.reminders.before_deadline_days),
        },
        "signed_on": convention.signed_on.isoformat(),
        "duration_years": convention.duration_years,
        "tacit_renewal": convention.tacit_renewal,
        "auditors": list(convention.auditors),
        "retention": (
            {
                "documents_years": convention.retention.documents_years,
                "evidence_years": convention.retention.evidence_years,
                "logs_years": convention.retention.logs_years,
            }
            if convention.retention
            else None
        ),
        "source": str(convention.source) if convention.source else None,
        "parties": [
            {
                "id": p.id,
                "name": p.name,
                "short_name": p.short_name,
                "approvers": list(p.approvers),
                "officers": list(p.officers),
                "logos": [str(x) for x in p.logos],
                "obsolete_logos": [str(x) for x in p.obsolete_logos],
                "aliases": list(p.aliases),
                "language": p.language,
                "min_logo_width_mm": p.min_logo_width_mm,
            }
            for p in convention.parties
        ],
    }


def convention_from_spec(spec: Mapping[str, Any]) -> Convention:
    """Rebuild the domain convention from its stored spec (already validated when it was loaded)."""
    return Convention(
        id=spec["id"],
        title=spec["title"],
        territory=spec["territory"],
        timezone=spec["timezone"],
        silence_days=int(spec["silence_days"]),
        deadline_rule=DeadlineRule(spec["deadline_rule"]),
        reminders=ReminderSchedule(
            after_delivery_days=tuple(spec["reminders"]["after_delivery_days"]),
            before_deadline_days=tuple(spec["reminders"]["before_deadline_days"]),
        ),
        signed_on=date.fromisoformat(spec["signed_on"]),
        duration_years=int(spec["duration_years"]),
        tacit_renewal=bool(spec["tacit_renewal"]),
        auditors=tuple(spec["auditors"]),
        retention=RetentionYears(**spec["retention"]) if spec.get("retention") else None,
        source=Path(spec["source"]) if spec.get("source") else None,
        parties=tuple(
            Party(
                id=p["id"],
                name=p["name"],
                short_name=p["short_name"],
                approvers=tuple(p["approvers"]),
                officers=tuple(p["officers"]),
                logos=tuple(Path(x) for x in p["logos"]),
                obsolete_logos=tuple(Path(x) for x in p["obsolete_logos"]),
                aliases=tuple(p["aliases"]),
                language=p["language"],
                min_logo_width_mm=float(p["min_logo_width_mm"]),
            )
            for p in spec["parties"]
        ),
    )
