"""Approval certificates (per communication) and attestations of approval by silence (per party), as PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select
from sqlmodel import Session

from comms_approval.adapters.db.tables import AuditEventRow, CommunicationRow, RequestRow, VersionRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention
from comms_approval.domain.deadlines import Deadline
from comms_approval.domain.errors import CommsApprovalError, NotFound
from comms_approval.domain.french import (
    explain_deadline_en,
    explain_deadline_fr,
    format_datetime_en,
    format_datetime_fr,
)
from comms_approval.services.audit import verify_session
from comms_approval.services.conventions import get_convention
from comms_approval.services.records import get_communication, get_version, requests_of, versions_of

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
INK = (30, 30, 30)
BLUE = (0, 0, 145)
GREY = (90, 90, 90)


class CertificateRefused(CommsApprovalError):
    """The document asked for does not apply (e.g. an attestation of silence for a party that answered)."""


_TEXT = {
    "cert_title": ("Certificat d'approbation", "Approval certificate"),
    "record_title": ("Relevé des avis des parties", "Record of the parties' answers"),
    "attest_title": ("Attestation d'accord tacite", "Attestation of approval by silence"),
    "article": (
        "Article 8 de la convention de partenariat : toute communication conjointe est soumise à l'accord "
        "préalable des autres parties ; à défaut de réponse dans le délai, l'accord est réputé acquis.",
        "Article 8 of the partnership convention: every joint communication needs the prior approval of the "
        "other parties; without an answer within the period, approval is deemed given.",
    ),
    "convention": ("Convention", "Convention"),
    "communication": ("Communication", "Communication"),
    "submitted_by": ("Déposée par", "Submitted by"),
    "version": ("Version", "Version"),
    "file": ("Fichier", "File"),
    "sha": ("Empreinte SHA-256", "SHA-256"),
    "status": ("Statut de la version", "Version status"),
    "concluded": ("Conclusion", "Concluded"),
    "parties": ("Avis des parties", "The parties' answers"),
    "party": ("Partie", "Party"),
    "decision": ("Décision", "Decision"),
    "who": ("Par", "By"),
    "when": ("Date", "When"),
    "how": ("Mode", "How"),
    "explicit": ("réponse expresse", "explicit answer"),
    "silence": ("silence valant accord", "approval by silence"),
    "text": ("Texte joint", "Attached text"),
    "events": ("Événements d'audit", "Audit events"),
    "deadline_rule": ("Calcul de l'échéance", "Deadline computation"),
    "chain": ("Chaîne d'audit au moment de l'édition", "Audit chain when issued"),
    "chain_ok": (
        "intacte jusqu'à l'événement n° {n}, empreinte de tête {h}",
        "intact up to event no. {n}, head hash {h}",
    ),
    "chain_bad": ("ROMPUE à l'événement n° {n} : {p}", "BROKEN at event no. {n}: {p}"),
    "issued": ("Document édité le {when}.", "Issued on {when}."),
    "attest_body": (
        "Il est attesté que la partie « {party} » n'a pas répondu, dans le délai prévu, à la demande d'avis "
        "portant sur la version {v} de la communication {title} (empreinte SHA-256 ci-dessous). "
        "Conformément à l'article 8 de la convention, son accord est réputé acquis le {when}.",
        "It is attested that the party “{party}” did not answer, within the period, the request for approval "
        "of version {v} of the communication {title} (SHA-256 below). In accordance with Article 8 of the "
        "convention, its approval is deemed given on {when}.",
    ),
    "recipients": ("Destinataires", "Recipients"),
    "none": ("aucun", "none"),
}
_STATES = {
    "approved": ("Accord", "Approved"),
    "approved_with_remarks": ("Accord avec remarques", "Approved with remarks"),
    "objected": ("Objection", "Objection"),
    "deemed_approved": ("Accord tacite", "Deemed approval"),
    "awaiting": ("En attente", "Awaiting"),
    "pending_delivery": ("Envoi en cours", "Being delivered"),
    "undeliverable": ("Non remise", "Undeliverable"),
    "withdrawn": ("Retirée", "Withdrawn"),
    "cleared": ("Validée", "Cleared"),
    "blocked": ("Bloquée", "Blocked"),
    "routing": ("En consultation", "Out for approval"),
    "superseded": ("Remplacée", "Superseded"),
    "rejected_by_check": ("Refusée au contrôle des logos", "Failed the logo check"),
}


def _t(key: str, lang: str, **values: object) -> str:
    fr, en = _TEXT[key]
    text = en if lang == "en" else fr
    return text.format(**values) if values else text


def _state(state: str | None, lang: str) -> str:
    if state is None:
        return "—"
    fr, en = _STATES.get(state, (state, state))
    return en if lang == "en" else fr


def _quoted(title: str, lang: str) -> str:
    """Quote a title once: many titles already carry their own guillemets."""
    if any(mark in title for mark in '«“"'):
        return title
    return f"“{title}”" if lang == "en" else f"« {title} »"


def _when(instant: datetime | None, tz: str, lang: str) -> str:
    if instant is None:
        return "—"
    return format_datetime_en(instant, tz) if lang == "en" else format_datetime_fr(instant, tz)


class _Pdf(FPDF):
    """A4 document with a Unicode font (DejaVu) when installed, so French typography prints as written."""

    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.doc_title = title
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.family = "Helvetica"
        for folder in _FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                self.add_font("DejaVu", "", str(regular))
                self.add_font("DejaVu", "B", str(bold))
                mono = folder / "DejaVuSansMono.ttf"
                self.mono = "DejaVuMono" if mono.is_file() else "DejaVu"
                if mono.is_file():
                    self.add_font("DejaVuMono", "", str(mono))
                self.family = "DejaVu"
                break
        else:
            self.mono = "Courier"
        self.set_title(title)
        self.set_creator("comms-approval")
        self.set_lang("fr")

    def clean(self, text: str) -> str:
        if self.family == "DejaVu":
            return text
        # Core fonts are Latin-1 only: replace the few typographic signs they lack.
        table = str.maketrans({"’": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "...", "\u202f": " "})
        return text.translate(table).encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.clean(f"{self.doc_title} — {self.page_no()}/{{nb}}"), align="C")

    def heading(self, text: str, size: float = 17) -> None:
        self.set_font(self.family, "B", size)
        self.set_text_color(*BLUE)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.ln(2)
        self.set_text_color(*INK)

    def subheading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.family, "B", 12)
        self.set_text_color(*BLUE)
        self.multi_cell(0, 6, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_text_color(*INK)
        self.ln(1)

    def para(self, text: str, size: float = 10, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT", align="L")
        self.set_text_color(*INK)
        self.ln(1)

    def field(self, label: str, value: str, *, mono: bool = False) -> None:
        self.set_font(self.family, "B", 9.5)
        self.cell(46, 5.5, self.clean(label))
        self.set_font(self.mono if mono else self.family, "", 8.5 if mono else 9.5)
        self.multi_cell(0, 5.5, self.clean(value), new_x="LMARGIN", new_y="NEXT", align="L")

    def output_bytes(self) -> bytes:
        return bytes(self.output())


@dataclass(frozen=True)
class _Loaded:
    communication: CommunicationRow
    version: VersionRow
    convention: Convention
    requests: list[RequestRow]
    events: dict[int, list[AuditEventRow]]  # request id -> its audit events
    version_events: list[AuditEventRow]
    chain: tuple[bool, int, str, str | None]


def _events_of(session: Session, version_id: int) -> list[AuditEventRow]:
    return list(
        session.execute(
            select(AuditEventRow).where(AuditEventRow.version_id == version_id).order_by(AuditEventRow.seq)  # type: ignore[arg-type]
        ).scalars()
    )


def _load(session: Session, communication_id: int, version_number: int | None) -> _Loaded:
    communication = get_communication(session, communication_id)
    versions = list(versions_of(session, communication_id))
    if not versions:
        raise NotFound(f"communication {communication_id} has no version")
    if version_number is None:
        version = versions[-1]
    else:
        matching = [v for v in versions if v.number == version_number]
        if not matching:
            raise NotFound(f"communication {communication_id} has no version {version_number}")
        version = matching[0]
    events = _events_of(session, version.id or 0)
    by_request: dict[int, list[AuditEventRow]] = {}
    for event in events:
        if event.request_id is not None:
            by_request.setdefault(event.request_id, []).append(event)
    verified = verify_session(session)
    return _Loaded(
        communication=communication,
        version=version,
        convention=get_convention(session, communication.convention_id),
        requests=list(requests_of(session, version.id or 0)),
        events=by_request,
        version_events=[e for e in events if e.request_id is None],
        chain=(
            verified.ok,
            verified.head_seq if verified.ok else (verified.first_bad_seq or 0),
            verified.head_hash,
            verified.problem,
        ),
    )


def _header(pdf: _Pdf, data: _Loaded, lang: str) -> None:
    tz = data.convention.timezone
    submitter = data.convention.party(data.communication.submitting_party)
    pdf.field(_t("convention", lang), f"{data.convention.title} ({data.convention.id})")
    pdf.field(_t("communication", lang), f"{data.communication.title} (n° {data.communication.id})")
    pdf.field(_t("submitted_by", lang), f"{submitter.name} — {data.communication.officer_email}")
    pdf.field(_t("version", lang), f"{data.version.number} — {_when(data.version.submitted_at, tz, lang)}")
    pdf.field(_t("file", lang), f"{data.version.original_filename} ({data.version.pages} p.)")
    pdf.field(_t("sha", lang), data.version.sha256, mono=True)


def _chain_line(pdf: _Pdf, data: _Loaded, lang: str) -> None:
    ok, seq, head_hash, problem = data.chain
    pdf.subheading(_t("chain", lang))
    text = _t("chain_ok", lang, n=seq, h=head_hash) if ok else _t("chain_bad", lang, n=seq, p=problem or "?")
    pdf.para(text, 9)


def _event_lines(pdf: _Pdf, events: list[AuditEventRow], tz: str, lang: str) -> None:
    for event in events:
        pdf.set_font(pdf.mono, "", 7.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(
            0,
            4,
            pdf.clean(f"#{event.seq} {event.kind} — {_when(event.occurred_at, tz, lang)}\n    {event.hash}"),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
    pdf.set_text_color(*INK)


def _deadline_lines(request: RequestRow, lang: str) -> tuple[str, ...]:
    if not request.deadline_basis:
        return ()
    deadline = Deadline.from_dict(request.deadline_basis)
    return explain_deadline_en(deadline) if lang == "en" else explain_deadline_fr(deadline)


def approval_certificate_pdf(
    ctx: AppContext, communication_id: int, *, version_number: int | None = None, language: str = "fr"
) -> bytes:
    """Per party of the (latest) version: decision, who, when, how (explicit or by silence with the deadline
    rule and its inputs), the version hash and the audit events' hashes; the chain head when issued."""
    lang = "en" if language == "en" else "fr"
    with ctx.uow() as uow:
        data = _load(uow.session, communication_id, version_number)
        uow.session.expunge_all()  # read-only: keep the rows readable once the session closes
    tz = data.convention.timezone
    cleared = data.version.status == "cleared"
    title = _t("cert_title" if cleared else "record_title", lang)
    pdf = _Pdf(title)
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.heading(title)
    pdf.para(_t("article", lang), 9, GREY)
    _header(pdf, data, lang)
    pdf.field(_t("status", lang), _state(data.version.status, lang))
    pdf.field(_t("concluded", lang), _when(data.version.concluded_at, tz, lang))
    pdf.subheading(_t("parties", lang))
    for request in data.requests:
        party = data.convention.party(request.party_id)
        pdf.set_font(pdf.family, "B", 10.5)
        pdf.multi_cell(
            0,
            6,
            pdf.clean(f"{party.name} ({party.short_name}) — {_state(request.status, lang)}"),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        deemed = request.status == "deemed_approved"
        decided = request.decision is not None
        how = _t("silence", lang) if deemed else (_t("explicit", lang) if decided else "—")
        pdf.field(_t("how", lang), how)
        pdf.field(_t("who", lang), "—" if deemed else (request.decided_by or "—"))
        pdf.field(_t("when", lang), _when(request.decided_at, tz, lang))
        if request.decision_text:
            pdf.field(_t("text", lang), request.decision_text)
        if deemed:
            pdf.set_font(pdf.family, "B", 9.5)
            pdf.cell(0, 5.5, pdf.clean(_t("deadline_rule", lang)), new_x="LMARGIN", new_y="NEXT", align="L")
            for line in _deadline_lines(request, lang):
                pdf.para(f"• {line}", 8.5)
        events = data.events.get(request.id or 0, [])
        if events:
            pdf.set_font(pdf.family, "B", 9.5)
            pdf.cell(0, 5.5, pdf.clean(_t("events", lang)), new_x="LMARGIN", new_y="NEXT", align="L")
            _event_lines(pdf, events, tz, lang)
        pdf.ln(3)
    if data.version_events:
        pdf.subheading(_t("events", lang))
        _event_lines(pdf, data.version_events, tz, lang)
    _chain_line(pdf, data, lang)
    pdf.para(_t("issued", lang, when=_when(ctx.clock.now(), tz, lang)), 9, GREY)
    return pdf.output_bytes()


def silence_attestation_pdf(ctx: AppContext, request_id: int, *, language: str = "fr") -> bytes:
    """An attestation that one party's silence became approval, with the full deadline computation."""
    lang = "en" if language == "en" else "fr"
    with ctx.uow() as uow:
        session = uow.session
        request = session.get(RequestRow, request_id)
        if request is None:
            raise NotFound(f"unknown request {request_id}")
        if request.status != "deemed_approved":
            raise CertificateRefused(f"request {request_id} is {request.status}, not a deemed approval")
        version = get_version(session, request.version_id)
        data = _load(session, version.communication_id, version.number)
        session.expunge_all()
    tz = data.convention.timezone
    party = data.convention.party(request.party_id)
    title = _t("attest_title", lang)
    pdf = _Pdf(title)
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.heading(title)
    pdf.para(_t("article", lang), 9, GREY)
    pdf.para(
        _t(
            "attest_body",
            lang,
            party=party.name,
            v=data.version.number,
            title=_quoted(data.communication.title, lang),
            when=_when(request.decided_at, tz, lang),
        ),
        10.5,
    )
    _header(pdf, data, lang)
    pdf.field(_t("recipients", lang), ", ".join(request.recipients) or _t("none", lang))
    pdf.subheading(_t("deadline_rule", lang))
    for line in _deadline_lines(request, lang):
        pdf.para(f"• {line}", 9)
    pdf.subheading(_t("events", lang))
    _event_lines(pdf, data.events.get(request_id, []), tz, lang)
    _chain_line(pdf, data, lang)
    pdf.para(_t("issued", lang, when=_when(ctx.clock.now(), tz, lang)), 9, GREY)
    return pdf.output_bytes()
