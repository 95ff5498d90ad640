"""Yearly report for the CDEN (Article 5): per school year and convention, figures as CSV and a French PDF.

Scope: the versions submitted during the school year (1 September to 31 August, in the convention's time
zone), followed to their outcome even when it came after 31 August. The PDF is drawn with matplotlib
(PdfPages), so no other PDF library is needed.
"""

from __future__ import annotations

import csv
import statistics
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session, col

from comms_approval.adapters.db.tables import (
    CommunicationRow,
    LogoOverrideRow,
    ReminderRow,
    RequestRow,
    VersionRow,
)
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import CommsApprovalError
from comms_approval.domain.french import format_date_fr
from comms_approval.domain.requests import RequestState
from comms_approval.services.conventions import get_convention, list_conventions

_EXPLICIT = (
    RequestState.APPROVED.value,
    RequestState.APPROVED_WITH_REMARKS.value,
    RequestState.OBJECTED.value,
)
SECONDS_PER_DAY = 86_400.0


class ReportRefused(CommsApprovalError):
    """The report cannot be produced as asked (malformed school year, unknown convention)."""


def parse_school_year(text: str) -> tuple[int, int]:
    """'2026-2027' -> (2026, 2027); the second year must follow the first."""
    first, sep, second = text.strip().partition("-")
    if not sep or not first.isdigit() or not second.isdigit() or int(second) != int(first) + 1:
        raise ReportRefused(
            f"année scolaire « {text} » invalide : attendu la forme 2026-2027 (deux années consécutives)"
        )
    return int(first), int(second)


@dataclass
class PartyFigures:
    """One party's answers to the requests of the year."""

    party: str
    short_name: str
    requests: int = 0
    approved: int = 0
    approved_with_remarks: int = 0
    deemed_approved: int = 0
    objected: int = 0
    undeliverable: int = 0
    withdrawn: int = 0
    open: int = 0
    reminders: int = 0
    logo_failures: int = 0
    decision_days: list[float] = field(default_factory=list)

    @property
    def explicit_approvals(self) -> int:
        return self.approved + self.approved_with_remarks

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.decision_days) if self.decision_days else None


@dataclass(frozen=True)
class Objection:
    """An objection and its reason, as the party wrote it."""

    communication_id: int
    version: int
    party: str
    decided_on: date
    reason: str


@dataclass
class YearlyReport:
    """Every figure of one convention's school year."""

    convention_id: str
    convention_title: str
    school_year: tuple[int, int]
    timezone: str
    generated_at: datetime
    communications: int = 0
    versions: int = 0
    versions_cleared: int = 0
    versions_blocked: int = 0
    versions_superseded: int = 0
    versions_in_progress: int = 0
    logo_check_failures: int = 0
    logo_overridden: int = 0
    parties: list[PartyFigures] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.school_year[0]}-{self.school_year[1]}"

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.parties)

    @property
    def explicit_approvals(self) -> int:
        return sum(p.explicit_approvals for p in self.parties)

    @property
    def approvals_with_remarks(self) -> int:
        return sum(p.approved_with_remarks for p in self.parties)

    @property
    def silent_approvals(self) -> int:
        return sum(p.deemed_approved for p in self.parties)

    @property
    def objection_count(self) -> int:
        return sum(p.objected for p in self.parties)

    @property
    def reminders(self) -> int:
        return sum(p.reminders for p in self.parties)

    @property
    def median_days(self) -> float | None:
        days = [d for p in self.parties for d in p.decision_days]
        return statistics.median(days) if days else None

    def summary(self) -> dict[str, object]:
        """The headline figures (also the rows of the summary CSV)."""
        median = self.median_days
        return {
            "communications": self.communications,
            "versions": self.versions,
            "versions_cleared": self.versions_cleared,
            "versions_blocked": self.versions_blocked,
            "versions_superseded": self.versions_superseded,
            "versions_in_progress": self.versions_in_progress,
            "requests": self.requests,
            "explicit_approvals": self.explicit_approvals,
            "approvals_with_remarks": self.approvals_with_remarks,
            "silent_approvals": self.silent_approvals,
            "objections": self.objection_count,
            "reminders_sent": self.reminders,
            "logo_check_failures": self.logo_check_failures,
            "logo_overrides": self.logo_overridden,
            "median_days_to_decision": round(median, 2) if median is not None else None,
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "convention": self.convention_id,
            "school_year": self.label,
            "summary": self.summary(),
            "parties": [
                {
                    "party": p.party,
                    "requests": p.requests,
                    "approved": p.approved,
                    "approved_with_remarks": p.approved_with_remarks,
                    "deemed_approved": p.deemed_approved,
                    "objected": p.objected,
                    "undeliverable": p.undeliverable,
                    "withdrawn": p.withdrawn,
                    "open": p.open,
                    "reminders": p.reminders,
                    "logo_failures": p.logo_failures,
                    "median_days": round(p.median_days, 2) if p.median_days is not None else None,
                    "decision_days": [round(d, 2) for d in p.decision_days],
                }
                for p in self.parties
            ],
            "objections": [
                {
                    "communication": o.communication_id,
                    "version": o.version,
                    "party": o.party,
                    "decided_on": o.decided_on.isoformat(),
                    "reason": o.reason,
                }
                for o in self.objections
            ],
        }


def school_year_bounds(school_year: tuple[int, int], timezone: str) -> tuple[datetime, datetime]:
    """[1 September 00:00, next 1 September 00:00) local time, as UTC instants."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(date(school_year[0], 9, 1), time(0), tzinfo=zone)
    end = datetime.combine(date(school_year[1], 9, 1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def build_yearly_report(ctx: AppContext, school_year: tuple[int, int], convention_id: str) -> YearlyReport:
    """Count the year's activity of one convention from the system of record."""
    with ctx.uow(read_only=True) as uow:
        session = uow.session
        convention = get_convention(session, convention_id)
        return _build(session, convention, school_year, ctx.clock.now())


def _build(
    session: Session, convention: Convention, school_year: tuple[int, int], now: datetime
) -> YearlyReport:
    start, end = school_year_bounds(school_year, convention.timezone)
    zone = ZoneInfo(convention.timezone)
    report = YearlyReport(convention.id, convention.title, school_year, convention.timezone, now)
    figures = {p.id: PartyFigures(p.id, p.short_name) for p in convention.parties}
    rows = session.execute(
        select(VersionRow, CommunicationRow)
        .join(CommunicationRow, col(CommunicationRow.id) == col(VersionRow.communication_id))
        .where(col(CommunicationRow.convention_id) == convention.id)
        .where(col(VersionRow.submitted_at) >= start, col(VersionRow.submitted_at) < end)
        .order_by(col(VersionRow.id))
    ).all()
    communications: set[int] = set()
    version_ids: list[int] = []
    for version, communication in rows:
        communications.add(communication.id or 0)
        version_ids.append(version.id or 0)
        report.versions += 1
        if version.status == "cleared":
            report.versions_cleared += 1
        elif version.status == "blocked":
            report.versions_blocked += 1
        elif version.status == "superseded":
            report.versions_superseded += 1
        elif version.status in ("routing", "checking"):
            report.versions_in_progress += 1
        logo = version.logo_report or {}
        if logo and not logo.get("compliant", True):
            report.logo_check_failures += 1
            for result in logo.get("parties", []):
                party = str(result.get("party"))
                if result.get("status") != "present" and party in figures:
                    figures[party].logo_failures += 1
    report.communications = len(communications)
    if version_ids:
        report.logo_overridden = int(
            session.execute(
                select(func.count(func.distinct(col(LogoOverrideRow.version_id)))).where(
                    col(LogoOverrideRow.version_id).in_(version_ids)
                )
            ).scalar_one()
        )
    numbers = {version.id: (communication.id or 0, version.number) for version, communication in rows}
    requests = (
        list(
            session.execute(
                select(RequestRow)
                .where(col(RequestRow.version_id).in_(version_ids))
                .order_by(col(RequestRow.id))
            ).scalars()
        )
        if version_ids
        else []
    )
    reminders = _reminder_counts(session, [r.id or 0 for r in requests])
    for request in requests:
        # A party removed from the convention file since is still counted, under its id.
        tally = figures.setdefault(request.party_id, PartyFigures(request.party_id, request.party_id))
        tally.requests += 1
        tally.reminders += reminders.get(request.id or 0, 0)
        status = request.status
        if status == RequestState.APPROVED.value:
            tally.approved += 1
        elif status == RequestState.APPROVED_WITH_REMARKS.value:
            tally.approved_with_remarks += 1
        elif status == RequestState.DEEMED_APPROVED.value:
            tally.deemed_approved += 1
        elif status == RequestState.OBJECTED.value:
            tally.objected += 1
            decided = request.decided_at or now
            communication_id, number = numbers.get(request.version_id, (0, 0))
            report.objections.append(
                Objection(
                    communication_id,
                    number,
                    request.party_id,
                    decided.astimezone(zone).date(),
                    request.decision_text or "",
                )
            )
        elif status == RequestState.UNDELIVERABLE.value:
            tally.undeliverable += 1
        elif status == RequestState.WITHDRAWN.value:
            tally.withdrawn += 1
        else:
            tally.open += 1
        if status in _EXPLICIT and request.decided_at is not None and request.delivered_at is not None:
            elapsed = (request.decided_at - request.delivered_at).total_seconds() / SECONDS_PER_DAY
            tally.decision_days.append(max(0.0, elapsed))
    report.parties = list(figures.values())
    return report


def _reminder_counts(session: Session, request_ids: Sequence[int]) -> dict[int, int]:
    if not request_ids:
        return {}
    rows = session.execute(
        select(col(ReminderRow.request_id), func.count())
        .where(col(ReminderRow.request_id).in_(request_ids))
        .group_by(col(ReminderRow.request_id))
    ).all()
    return {int(request_id): int(count) for request_id, count in rows}


# --- CSV -------------------------------------------------------------------------------------------


def write_csv(report: YearlyReport, out_dir: Path) -> list[Path]:
    """Three CSV files (UTF-8 with BOM so spreadsheet software shows the accents): summary, parties, objections."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"rapport-{report.convention_id}-{report.label}"
    summary = out_dir / f"{stem}-synthese.csv"
    with summary.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["convention", "school_year", "metric", "value"])
        for metric, value in report.summary().items():
            writer.writerow([report.convention_id, report.label, metric, "" if value is None else value])
    parties = out_dir / f"{stem}-partenaires.csv"
    columns = [
        "party",
        "requests",
        "approved",
        "approved_with_remarks",
        "deemed_approved",
        "objected",
        "undeliverable",
        "withdrawn",
        "open",
        "reminders",
        "logo_failures",
        "median_days",
        "decision_days",
    ]
    with parties.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["convention", "school_year", *columns])
        party_rows: list[dict[str, Any]] = report.as_dict()["parties"]  # type: ignore[assignment]
        for row in party_rows:
            values = [row[c] for c in columns]
            values[-2] = "" if values[-2] is None else values[-2]
            values[-1] = " ".join(str(d) for d in values[-1])
            writer.writerow([report.convention_id, report.label, *values])
    objections = out_dir / f"{stem}-objections.csv"
    with objections.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["convention", "school_year", "communication", "version", "party", "decided_on", "reason"]
        )
        for o in report.objections:
            writer.writerow(
                [
                    report.convention_id,
                    report.label,
                    o.communication_id,
                    o.version,
                    o.party,
                    o.decided_on.isoformat(),
                    o.reason,
                ]
            )
    return [summary, parties, objections]


# --- PDF -------------------------------------------------------------------------------------------

A4 = (8.27, 11.69)
COLOURS = {
    "explicit": "#2e7d32",
    "remarks": "#9ccc65",
    "silence": "#4f8fc0",
    "objection": "#c62828",
    "other": "#b0b0b0",
}


def _date_fr(day: date) -> str:
    """'1er septembre 2025': the weekday of format_date_fr is noise in a period."""
    return format_date_fr(day).split(" ", 1)[1]


def _fr_number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def write_pdf(report: YearlyReport, path: Path) -> Path:
    """The French PDF for the CDEN section: key figures, outcomes per party, delays, objections."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9, "pdf.fonttype": 42}),
        PdfPages(path) as pdf,
    ):
        _page_summary(plt, pdf, report)
        _page_delays(plt, pdf, report)
        _page_objections(plt, pdf, report)
        info = pdf.infodict()
        info["Title"] = f"Rapport annuel {report.label} — {report.convention_title}"
        info["Subject"] = "Article 8 : validation des communications conjointes"
        info["Creator"] = "comms-approval"
        info["CreationDate"] = report.generated_at
    return path


def _header(fig: Any, report: YearlyReport, subtitle: str) -> None:
    fig.text(0.07, 0.955, "Rapport annuel à la section du CDEN", fontsize=16, weight="bold", color="#1f3b63")
    fig.text(
        0.07,
        0.932,
        textwrap.fill(report.convention_title, 95),
        fontsize=9.5,
        color="#333333",
        va="top",
    )
    fig.text(0.07, 0.895, f"Année scolaire {report.label} — {subtitle}", fontsize=11, color="#1f3b63")
    fig.add_artist(
        _line(fig, 0.07, 0.885, 0.93),
    )


def _line(fig: Any, x0: float, y: float, x1: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([x0, x1], [y, y], transform=fig.transFigure, color="#1f3b63", linewidth=0.8)


def _footer(fig: Any, report: YearlyReport, page: int) -> None:
    generated = format_date_fr(report.generated_at.astimezone(ZoneInfo(report.timezone)).date())
    fig.text(
        0.07,
        0.03,
        f"Convention {report.convention_id} · document établi le {generated} par comms-approval",
        fontsize=7.5,
        color="#666666",
    )
    fig.text(0.93, 0.03, f"{page}/3", fontsize=7.5, color="#666666", ha="right")


def _page_summary(plt: Any, pdf: Any, report: YearlyReport) -> None:
    fig = plt.figure(figsize=A4)
    _header(fig, report, "synthèse")
    start = _date_fr(date(report.school_year[0], 9, 1))
    end = _date_fr(date(report.school_year[1], 8, 31))
    fig.text(
        0.07,
        0.865,
        textwrap.fill(
            f"Périmètre : les projets de communication soumis du {start} au {end}, suivis jusqu’à "
            "leur issue. Au titre de l’article 8, chaque partenaire dispose de quinze jours pour "
            "répondre ; sans réponse, son accord est réputé acquis.",
            110,
        ),
        fontsize=8.5,
        va="top",
        color="#333333",
    )
    median = report.median_days
    figures = [
        ("Communications", str(report.communications)),
        ("Versions soumises", str(report.versions)),
        ("Versions validées", str(report.versions_cleared)),
        ("Versions bloquées (objection)", str(report.versions_blocked)),
        ("Demandes d’avis adressées", str(report.requests)),
        (
            "Accords exprès",
            f"{report.explicit_approvals} (dont {report.approvals_with_remarks} avec remarques)",
        ),
        ("Accords tacites (silence)", str(report.silent_approvals)),
        ("Objections", str(report.objection_count)),
        ("Relances envoyées", str(report.reminders)),
        (
            "Échecs du contrôle des logos",
            f"{report.logo_check_failures} (dont {report.logo_overridden} dérogations)",
        ),
        (
            "Délai médian de réponse expresse",
            f"{_fr_number(median)} jour(s)" if median is not None else "sans objet",
        ),
    ]
    table_ax = fig.add_axes((0.07, 0.55, 0.86, 0.27))
    table_ax.axis("off")
    table = table_ax.table(
        cellText=[[label, value] for label, value in figures],
        colLabels=["Indicateur", "Valeur"],
        colWidths=[0.62, 0.38],
        cellLoc="left",
        loc="upper left",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    table.scale(1, 1.45)
    for (row, _column), cell in table.get_celld().items():
        cell.set_edgecolor("#c8d2e0")
        if row == 0:
            cell.set_facecolor("#1f3b63")
            cell.get_text().set_color("white")
            cell.get_text().set_weight("bold")
        elif row % 2 == 0:
            cell.set_facecolor("#f2f5fa")
    ax = fig.add_axes((0.22, 0.17, 0.71, 0.3))
    _outcome_chart(ax, report)
    _footer(fig, report, 1)
    pdf.savefig(fig)
    plt.close(fig)


def _outcome_chart(ax: Any, report: YearlyReport) -> None:
    parties = [p for p in report.parties if p.requests]
    ax.set_title("Réponses par partenaire", fontsize=11, loc="left", color="#1f3b63", pad=10)
    if not parties:
        ax.axis("off")
        ax.text(0.0, 0.5, "Aucune demande d’avis sur la période.", fontsize=10)
        return
    names = [p.short_name for p in parties]
    series = [
        ("Accord exprès", [p.approved for p in parties], COLOURS["explicit"]),
        ("Accord avec remarques", [p.approved_with_remarks for p in parties], COLOURS["remarks"]),
        ("Accord tacite", [p.deemed_approved for p in parties], COLOURS["silence"]),
        ("Objection", [p.objected for p in parties], COLOURS["objection"]),
        (
            "Autre (retirée, en cours, non distribuée)",
            [p.withdrawn + p.open + p.undeliverable for p in parties],
            COLOURS["other"],
        ),
    ]
    left = [0] * len(parties)
    positions = list(range(len(parties)))
    for label, values, colour in series:
        ax.barh(positions, values, left=left, color=colour, label=label, height=0.6)
        for y, (x0, value) in enumerate(zip(left, values, strict=True)):
            if value:
                ax.text(x0 + value / 2, y, str(value), ha="center", va="center", fontsize=8, color="white")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlabel("Nombre de demandes")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.16), ncol=3, fontsize=7.5, frameon=False)


def _page_delays(plt: Any, pdf: Any, report: YearlyReport) -> None:
    fig = plt.figure(figsize=A4)
    _header(fig, report, "délais et relances")
    parties = [p for p in report.parties if p.requests]
    ax = fig.add_axes((0.2, 0.5, 0.73, 0.33))
    ax.set_title(
        "Délai de réponse expresse, en jours (médiane et répartition)",
        fontsize=11,
        loc="left",
        color="#1f3b63",
        pad=10,
    )
    with_days = [p for p in parties if p.decision_days]
    if with_days:
        positions = list(range(1, len(with_days) + 1))
        ax.boxplot(
            [p.decision_days for p in with_days],
            positions=positions,
            orientation="horizontal",
            widths=0.5,
            medianprops={"color": "#c62828", "linewidth": 2},
        )
        for y, party in zip(positions, with_days, strict=True):
            ax.scatter(party.decision_days, [y] * len(party.decision_days), s=14, color="#1f3b63", zorder=3)
            median = party.median_days or 0.0
            ax.text(
                max(party.decision_days) + 0.4,
                y,
                f"médiane {_fr_number(median)} j",
                va="center",
                fontsize=8,
            )
        ax.set_yticks(positions, [p.short_name for p in with_days])
        ax.invert_yaxis()
        ax.axvline(15, color="#888888", linestyle="--", linewidth=0.8)
        ax.text(
            15,
            1.01,
            "délai de 15 jours",
            transform=ax.get_xaxis_transform(),
            fontsize=7.5,
            color="#666666",
            ha="center",
            va="bottom",
        )
        ax.set_xlim(0, max(17.0, max(d for p in with_days for d in p.decision_days) + 4))
        ax.set_xlabel("Jours entre la réception de la demande et la réponse")
    else:
        ax.axis("off")
        ax.text(0.0, 0.5, "Aucune réponse expresse sur la période.", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)

    ax2 = fig.add_axes((0.2, 0.15, 0.73, 0.27))
    ax2.set_title(
        "Relances et échecs du contrôle des logos", fontsize=11, loc="left", color="#1f3b63", pad=10
    )
    shown = report.parties
    if shown:
        positions2 = list(range(len(shown)))
        ax2.barh(
            [y - 0.18 for y in positions2],
            [p.reminders for p in shown],
            height=0.34,
            color="#f0a202",
            label="Relances envoyées",
        )
        ax2.barh(
            [y + 0.18 for y in positions2],
            [p.logo_failures for p in shown],
            height=0.34,
            color="#7b4f9d",
            label="Logo absent ou non conforme",
        )
        for y, party in zip(positions2, shown, strict=True):
            # Written counts, zeros included: an empty row must read as "none", not as missing data.
            ax2.text(party.reminders + 0.03, y - 0.18, str(party.reminders), va="center", fontsize=7.5)
            ax2.text(
                party.logo_failures + 0.03, y + 0.18, str(party.logo_failures), va="center", fontsize=7.5
            )
        top = max([1, *(p.reminders for p in shown), *(p.logo_failures for p in shown)])
        ax2.set_xlim(0, top * 1.1 + 0.2)
        ax2.set_yticks(positions2, [p.short_name for p in shown])
        ax2.invert_yaxis()
        ax2.xaxis.get_major_locator().set_params(integer=True)
        ax2.set_xlabel("Nombre")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.4, -0.16), ncol=2, fontsize=7.5, frameon=False)
    ax2.spines[["top", "right"]].set_visible(False)
    _footer(fig, report, 2)
    pdf.savefig(fig)
    plt.close(fig)


def _page_objections(plt: Any, pdf: Any, report: YearlyReport) -> None:
    fig = plt.figure(figsize=A4)
    _header(fig, report, "objections et leurs motifs")
    y = 0.86
    if not report.objections:
        fig.text(0.07, y, "Aucune objection n’a été formulée sur la période.", fontsize=10)
    names = {p.party: p.short_name for p in report.parties}
    for objection in report.objections:
        if y < 0.1:
            fig.text(
                0.07, y, "… (liste complète dans le fichier CSV des objections)", fontsize=8.5, style="italic"
            )
            break
        fig.text(
            0.07,
            y,
            f"{names.get(objection.party, objection.party)} — communication n° {objection.communication_id}, "
            f"version {objection.version}, le {format_date_fr(objection.decided_on)}",
            fontsize=9.5,
            weight="bold",
            va="top",
        )
        lines = textwrap.wrap(f"« {objection.reason} »", 105)[:6]
        fig.text(0.09, y - 0.02, "\n".join(lines), fontsize=9, va="top", color="#333333", linespacing=1.4)
        y -= 0.04 + 0.0165 * len(lines)
    _footer(fig, report, 3)
    pdf.savefig(fig)
    plt.close(fig)


# --- Entry point ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFiles:
    """The files produced for one convention."""

    report: YearlyReport
    pdf: Path
    csv: tuple[Path, ...]


def generate_reports(
    ctx: AppContext, school_year: str | tuple[int, int], out_dir: Path, convention_id: str | None = None
) -> list[ReportFiles]:
    """Build the report of one convention (or of every convention) and write its PDF and CSV files."""
    year = parse_school_year(school_year) if isinstance(school_year, str) else school_year
    if convention_id is None:
        with ctx.uow() as uow:
            ids = [row.id for row in list_conventions(uow.session)]
    else:
        ids = [convention_id]
    produced = []
    for cid in ids:
        report = build_yearly_report(ctx, year, cid)
        pdf = write_pdf(report, out_dir / f"rapport-{cid}-{report.label}.pdf")
        produced.append(ReportFiles(report, pdf, tuple(write_csv(report, out_dir))))
    return produced
