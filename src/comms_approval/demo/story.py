"""The demo story: check, route, decide, stay silent, move the clock, conclude, verify — then an objection."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from textwrap import shorten
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table

from comms_approval.adapters.convention_file import demo_convention_path
from comms_approval.adapters.mail.sink import LocalSmtpSink, list_sink_messages
from comms_approval.adapters.mail.smtp import SmtpMailer
from comms_approval.bootstrap import AppContext, build_context
from comms_approval.clock import ManualClock
from comms_approval.config import Environment, Settings, SmtpSecurity
from comms_approval.demo.posters import draw_poster
from comms_approval.domain.convention import Convention
from comms_approval.domain.french import format_datetime_fr
from comms_approval.domain.logos import LogoReport
from comms_approval.services.audit import verify_trail
from comms_approval.services.conventions import load_convention_file
from comms_approval.services.decisions import record_decision
from comms_approval.services.logo_check import LogoChecker, default_logo_checker
from comms_approval.services.outbox import dispatch_outbox
from comms_approval.services.status import status_report
from comms_approval.services.submission import SubmissionResult, submit_draft
from comms_approval.services.sweep import run_sweep

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 4, 23, 9, 30, tzinfo=PARIS)
LINK = re.compile(r"https?://\S+?/r/([A-Za-z0-9_-]{30,64})")

STATUS_FR = {
    "present": ("présent", "green"),
    "missing": ("absent", "red"),
    "obsolete": ("version obsolète", "dark_orange"),
    "too_small": ("trop petit", "dark_orange"),
    "uncertain": ("incertain", "yellow"),
    "approved": ("accord", "green"),
    "approved_with_remarks": ("accord avec remarques", "green"),
    "deemed_approved": ("accord tacite (silence)", "cyan"),
    "objected": ("opposition", "red"),
    "awaiting": ("en attente", "yellow"),
    "pending_delivery": ("envoi en cours", "yellow"),
    "withdrawn": ("retirée", "dim"),
    "undeliverable": ("non distribuable", "red"),
    "cleared": ("VALIDÉE", "bold green"),
    "blocked": ("BLOQUÉE", "bold red"),
    "routing": ("en circulation", "yellow"),
    "superseded": ("remplacée", "dim"),
    "rejected_by_check": ("refusée au contrôle des logos", "red"),
}


def label(status: str) -> str:
    text, style = STATUS_FR.get(status, (status, "white"))
    return f"[{style}]{text}[/]"


@dataclass
class DemoOutcome:
    """The end state, for the test that runs the demo in CI."""

    data_dir: Path
    first_status: str = ""
    first_requests: dict[str, str] = field(default_factory=dict)
    second_versions: list[str] = field(default_factory=list)
    audit_ok: bool = False
    audit_events: int = 0
    mails: int = 0
    conclusion_subject: str = ""


class DemoStory:
    """Plays the story step by step on a fresh data directory, printing what a newcomer needs to see."""

    def __init__(self, console: Console, data_dir: Path, checker: LogoChecker | None = None) -> None:
        self.console = console
        self.data_dir = data_dir
        if data_dir.exists():
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True)
        self.clock = ManualClock(START)
        settings = Settings(
            _env_file=None,
            env=Environment.DEVELOPMENT,
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'demo.db'}",
            base_url="http://127.0.0.1:8000",
        )
        self.ctx: AppContext = build_context(settings, clock=self.clock)
        self.checker = checker or default_logo_checker(settings)
        self.sink = LocalSmtpSink(data_dir / "mail-sink")
        self.outcome = DemoOutcome(data_dir)

    # -- plumbing -------------------------------------------------------------------------------
    def _mailer(self) -> SmtpMailer:
        return SmtpMailer(
            host="127.0.0.1",
            port=self.sink.port,
            security=SmtpSecurity.NONE,
            username=None,
            password=None,
            mail_from=self.ctx.settings.mail_from,
            timeout_seconds=10,
            clock=self.clock,
        )

    def deliver(self) -> int:
        report = asyncio.run(dispatch_outbox(self.ctx, self._mailer()))
        return report.sent

    def move_clock(self, instant: datetime, why: str) -> None:
        from comms_approval.cli.common import record_clock_override

        self.clock.set(instant)
        record_clock_override(self.ctx, "demo")
        when = format_datetime_fr(instant, "Europe/Paris")
        self.console.print(f"\n[bold magenta]⏩ Horloge avancée[/] au {when} — {why}")

    def link_for(self, address: str) -> str:
        for message in reversed(list_sink_messages(self.sink.directory)):
            if address.lower() not in message.to.lower():
                continue
            parsed = email.message_from_bytes(message.path.read_bytes(), policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain",))
            found = LINK.search(body.get_content() if body else "")
            if found:
                return found.group(1)
        raise LookupError(f"no review link mailed to {address}")

    def show_report(self, result: SubmissionResult) -> None:
        convention = self._convention()
        table = Table(
            title=f"Contrôle des logos (article 8) — version {result.version}", title_justify="left"
        )
        for column in ("Partie", "Statut", "Score", "Page", "Largeur"):
            table.add_column(column)
        report: LogoReport = result.report
        for party in report.parties:
            table.add_row(
                convention.party(party.party).short_name,
                label(party.status.value),
                f"{party.score:.2f}",
                str(party.page or "—"),
                f"{party.width_mm:.0f} mm" if party.width_mm else "—",
            )
        self.console.print(table)
        verdict = "[green]conforme[/]" if report.compliant else "[red]non conforme : non diffusée[/]"
        self.console.print(f"  {report.pages} page(s) analysée(s) en {report.elapsed_ms:.0f} ms — {verdict}")

    def show_requests(self, communication: int, version: int) -> dict[str, str]:
        data = status_report(self.ctx, communication)[0]["versions"][version - 1]
        table = Table(
            title=f"Demandes — communication n° {communication}, version {version} : "
            f"{STATUS_FR.get(data['status'], (data['status'],))[0]}",
            title_justify="left",
        )
        for column in (
            "Partenaire",
            "État",
            "Remise",
            "Échéance (silence vaut accord)",
            "Relances",
            "Remarque / motif",
        ):
            table.add_column(column)
        for request in data["requests"]:
            table.add_row(
                request["party"],
                label(request["status"]),
                _local(request["delivered_at"]),
                _local(request["deadline"]),
                str(request["reminders_sent"]),
                shorten(request["decision_text"] or "", 48, placeholder=" …"),
            )
        self.console.print(table)
        return {r["party"]: r["status"] for r in data["requests"]}

    def _convention(self) -> Convention:
        from comms_approval.services.conventions import get_convention

        with self.ctx.uow() as uow:
            return get_convention(uow.session, "demo-absenteisme-75")

    # -- the story ------------------------------------------------------------------------------
    def run(self) -> DemoOutcome:
        self.sink.start()
        try:
            self._story()
        finally:
            self.sink.stop()
        self.outcome.mails = len(list_sink_messages(self.sink.directory))
        return self.outcome

    def _story(self) -> None:
        c = self.console
        c.print(Rule("[bold]comms-approval — démonstration de l'article 8[/]"))
        c.print(
            "Article 8 : toute communication conjointe porte le logo de chaque partie ; chaque document est soumis"
            " aux autres parties ; l'absence de réponse sous quinze jours vaut approbation.\n"
        )
        loaded = load_convention_file(self.ctx, demo_convention_path())
        convention = loaded.convention
        c.print(
            f"Convention chargée : [bold]{convention.title}[/] — {len(convention.parties)} parties, territoire "
            f"{convention.territory}, délai {convention.silence_days} jours (règle {convention.deadline_rule.value})."
        )
        drafts = self.data_dir / "drafts"

        c.print(Rule("1. Le Département soumet une affiche"))
        c.print(
            f"Nous sommes le {START:%d/%m/%Y} à {START:%H:%M}. Le premier projet reprend par erreur l'ancien logo"
            " « Conseil général »."
        )
        old = draw_poster(
            convention,
            drafts / "affiche-v1.png",
            title="Semaine de l'assiduité",
            subtitle="Ensemble contre l'absentéisme scolaire",
            obsolete_for=("departement",),
        )
        rejected = submit_draft(
            self.ctx,
            self.checker,
            convention_id=convention.id,
            party_id="departement",
            title="Affiche « Semaine de l'assiduité »",
            file=old,
        )
        self.show_report(rejected)
        c.print(
            f"→ version {rejected.version} : {label(rejected.status)} ; aucun partenaire n'est sollicité.\n"
        )
        fixed = draw_poster(
            convention,
            drafts / "affiche-v2.png",
            title="Semaine de l'assiduité",
            subtitle="Ensemble contre l'absentéisme scolaire",
        )
        routed = submit_draft(
            self.ctx,
            self.checker,
            convention_id=convention.id,
            party_id="departement",
            title="Affiche « Semaine de l'assiduité »",
            file=fixed,
            communication_id=rejected.communication_id,
        )
        self.show_report(routed)
        sent = self.deliver()
        c.print(
            f"→ version {routed.version} : {label(routed.status)} ; {sent} courriel(s) remis au serveur SMTP local."
        )
        comm = routed.communication_id
        self.show_requests(comm, routed.version)

        c.print(Rule("2. Les partenaires répondent depuis le lien reçu par courriel"))
        self.clock.advance(timedelta(hours=3))
        record_decision(
            self.ctx, token=self.link_for("pref-communication@prefecture.example.org"), decision="approve"
        )
        c.print("• La préfecture donne son accord.")
        self.clock.advance(timedelta(days=1))
        record_decision(
            self.ctx,
            token=self.link_for("communication@dsden.example.org"),
            decision="approve_with_remarks",
            text="Accord. Merci de préciser les horaires des permanences sur la version imprimée.",
        )
        c.print("• La DSDEN donne son accord avec une remarque.")
        record_decision(self.ctx, token=self.link_for("dtpjj-direction@pjj.example.org"), decision="approve")
        c.print("• La DTPJJ donne son accord.")
        c.print("• La Caf ne répond pas…")
        self.deliver()

        c.print(Rule("3. Le temps passe : relances, puis le silence vaut accord"))
        delivered = datetime.fromisoformat(
            status_report(self.ctx, comm)[0]["versions"][-1]["requests"][-1]["delivered_at"]
        )
        deadline = datetime.fromisoformat(
            next(
                r for r in status_report(self.ctx, comm)[0]["versions"][-1]["requests"] if r["party"] == "caf"
            )["deadline"]
        )
        self.move_clock(delivered + timedelta(days=7, minutes=5), "sept jours après l'envoi")
        sweep = run_sweep(self.ctx)
        c.print(f"  Balayage : {sweep.reminders} relance(s) envoyée(s) ; {self.deliver()} courriel(s) remis.")
        self.move_clock(deadline - timedelta(days=2) + timedelta(minutes=5), "deux jours avant l'échéance")
        sweep = run_sweep(self.ctx)
        c.print(f"  Balayage : {sweep.reminders} relance(s) envoyée(s) ; {self.deliver()} courriel(s) remis.")
        self.move_clock(deadline - timedelta(microseconds=1), "une microseconde avant l'échéance")
        sweep = run_sweep(self.ctx)
        c.print(f"  Balayage : {sweep.deemed} accord tacite — trop tôt, rien ne change.")
        self.move_clock(deadline, "l'échéance est atteinte")
        sweep = run_sweep(self.ctx)
        c.print(f"  Balayage : {sweep.deemed} accord tacite, {sweep.concluded} version conclue.")
        self.deliver()
        self.outcome.first_requests = self.show_requests(comm, routed.version)
        self.outcome.first_status = status_report(self.ctx, comm)[0]["versions"][-1]["status"]
        self._show_conclusion_mail()

        c.print(Rule("4. L'auditeur vérifie la piste d'audit"))
        result = verify_trail(self.ctx)
        self.outcome.audit_ok, self.outcome.audit_events = result.ok, result.events_checked
        c.print(
            f"  {'[green]✓ intacte[/]' if result.ok else '[red]✗ altérée[/]'} : {result.events_checked} événements "
            f"chaînés, tête n° {result.head_seq} [dim]{result.head_hash}[/]"
        )

        c.print(Rule("5. Une deuxième communication : une opposition, puis une nouvelle version"))
        self.move_clock(deadline + timedelta(days=3, hours=9), "nouvelle semaine")
        leaflet = draw_poster(
            convention,
            drafts / "depliant-v1.png",
            title="Parents, parlons-en",
            subtitle="Ateliers d'écoute et de soutien",
            accent="#2e6b4f",
        )
        first = submit_draft(
            self.ctx,
            self.checker,
            convention_id=convention.id,
            party_id="prefet",
            title="Dépliant « Parents, parlons-en »",
            file=leaflet,
        )
        self.deliver()
        record_decision(
            self.ctx,
            token=self.link_for("direction@caf.example.org"),
            decision="object",
            text="Le numéro d'accueil indiqué n'est plus en service : merci d'indiquer le 32 30.",
        )
        c.print(
            "• La Caf s'oppose, motif à l'appui : la version est bloquée et les autres demandes sont retirées."
        )
        self.deliver()
        self.show_requests(first.communication_id, first.version)
        self.clock.advance(timedelta(days=1))
        leaflet2 = draw_poster(
            convention,
            drafts / "depliant-v2.png",
            title="Parents, parlons-en",
            subtitle="Ateliers d'écoute — accueil Caf : 32 30",
            accent="#2e6b4f",
        )
        second = submit_draft(
            self.ctx,
            self.checker,
            convention_id=convention.id,
            party_id="prefet",
            title="Dépliant « Parents, parlons-en »",
            file=leaflet2,
            communication_id=first.communication_id,
        )
        self.deliver()
        c.print(
            f"• Version {second.version} soumise : tous les partenaires sont de nouveau sollicités, nouveau délai."
        )
        self.show_requests(first.communication_id, second.version)
        self.outcome.second_versions = [
            v["status"] for v in status_report(self.ctx, first.communication_id)[0]["versions"]
        ]
        final = verify_trail(self.ctx)
        self.outcome.audit_ok = self.outcome.audit_ok and final.ok
        self.outcome.audit_events = final.events_checked
        c.print(Rule("Fin"))
        c.print(
            f"Courriels conservés : [bold]{self.sink.directory}[/] ({len(list_sink_messages(self.sink.directory))}"
            f" messages .eml)\nBase de données : {self.data_dir / 'demo.db'}\nPiste d'audit : "
            f"{'intacte' if final.ok else 'ALTÉRÉE'}, {final.events_checked} événements.\n"
            f"Pour explorer : COMMS_APPROVAL_DATA_DIR={self.data_dir} "
            f"COMMS_APPROVAL_DATABASE_URL=sqlite:///{self.data_dir / 'demo.db'} .venv/bin/comms-approval status"
        )

    def _show_conclusion_mail(self) -> None:
        for message in reversed(list_sink_messages(self.sink.directory)):
            if message.to.lower().startswith("com@departement"):
                parsed = email.message_from_bytes(message.path.read_bytes(), policy=email.policy.default)
                body = parsed.get_body(preferencelist=("plain",))
                text = body.get_content() if body else ""
                self.outcome.conclusion_subject = message.subject
                self.console.print(
                    Panel(
                        text.strip()[:2400],
                        title=f"Courriel reçu par l'officier : {message.subject}",
                        title_align="left",
                        border_style="green",
                    )
                )
                return


def _local(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m %H:%M")


def _deadline(value: str | None) -> str:
    """A deadline at local midnight is written as 24 h of the previous day, as the law counts it."""
    if not value:
        return "—"
    local = datetime.fromisoformat(value).astimezone(PARIS)
    if (local.hour, local.minute) == (0, 0):
        return f"{(local - timedelta(days=1)):%d/%m/%Y} 24 h"
    return f"{local:%d/%m/%Y %H:%M}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_demo(console: Console, data_dir: Path, checker: LogoChecker | None = None) -> DemoOutcome:
    return DemoStory(console, data_dir, checker).run()
