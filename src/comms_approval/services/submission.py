"""SubmitDraft: store the file by content hash, check the logos, and route a compliant version."""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from comms_approval.adapters.db.tables import (
    CommunicationRow,
    ConventionRow,
    LogoOverrideRow,
    RequestRow,
    VersionRow,
)
from comms_approval.adapters.documents import DocumentInfo, render_preview_png, validate_document
from comms_approval.bootstrap import AppContext
from comms_approval.domain.convention import Convention, Party
from comms_approval.domain.errors import DocumentError, NotFound, SubmissionRefused
from comms_approval.domain.events import (
    DraftSubmitted,
    LogoCheckCompleted,
    LogoOverrideRecorded,
    VersionSuperseded,
)
from comms_approval.domain.french import format_date_fr
from comms_approval.domain.lifecycle import party_is_active
from comms_approval.domain.logos import LogoReport, LogoStatus, PartyLogoResult, status_label
from comms_approval.domain.requests import (
    FINAL_VERSION_STATES,
    VersionEvent,
    VersionState,
    next_version_state,
)
from comms_approval.services.conclusion import conclude_if_decided, withdraw_open_requests
from comms_approval.services.conventions import get_convention, party_rows
from comms_approval.services.lifecycle import convention_in_force, not_in_force_message
from comms_approval.services.locks import lock_version
from comms_approval.services.logo_check import LogoChecker, Progress
from comms_approval.services.notifications import enqueue
from comms_approval.services.records import (
    get_communication,
    logo_report_of,
    record_event,
    version_refs,
    versions_of,
)
from comms_approval.services.routing import (
    active_parties,
    local_today,
    open_requests,
    overrides_of,
    request_mail_context,
    routed_parties,
)

CHUNK = 1024 * 1024
log = logging.getLogger(__name__)

MentionFinder = Callable[[Path, Convention], Mapping[str, object]]


@dataclass(frozen=True)
class SubmissionResult:
    """What the officer sees after submitting: the version, its check and the requests opened."""

    communication_id: int
    version_id: int
    version: int
    status: str
    sha256: str
    report: LogoReport
    requests: list[tuple[str, str]] = field(default_factory=list)  # (party, status)

    def as_dict(self) -> dict[str, object]:
        return {
            "communication": self.communication_id,
            "version": self.version,
            "version_id": self.version_id,
            "status": self.status,
            "sha256": self.sha256,
            "compliant": self.report.compliant,
            "logo_check": self.report.as_dict(include_details=True),
            "requests": [{"party": party, "status": status} for party, status in self.requests],
        }


def store_document(ctx: AppContext, source: Path, suffix: str) -> tuple[str, Path, int]:
    """Copy the upload under its SHA-256 (never under a name taken from the upload)."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    sha = digest.hexdigest()
    target = ctx.settings.documents_dir / sha[:2] / f"{sha}.{suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        shutil.copyfile(source, partial)
        partial.replace(target)
    return sha, target, size


@contextmanager
def _discard_on_failure(ctx: AppContext, sha: str, stored: Path) -> Iterator[None]:
    """A refused draft leaves nothing behind: its stored copy and derived images go, unless a version uses them."""
    try:
        yield
    except BaseException:
        with ctx.uow(read_only=True) as uow:
            used = uow.session.execute(
                select(col(VersionRow.id)).where(col(VersionRow.sha256) == sha)
            ).first()
        if used is None:
            stored.unlink(missing_ok=True)
            shutil.rmtree(ctx.settings.data_dir / "derived" / sha, ignore_errors=True)
        raise


def _check_submitter(convention: Convention, party_id: str, officer_email: str | None) -> tuple[Party, str]:
    try:
        party = convention.party(party_id)
    except KeyError as exc:
        raise SubmissionRefused(f"party {party_id!r} is not in convention {convention.id!r}") from exc
    if officer_email is None:
        if not party.officers:
            raise SubmissionRefused(f"party {party_id!r} declares no officer; give --officer")
        return party, party.officers[0]
    if not party.may_submit(officer_email):
        raise SubmissionRefused(f"{officer_email} is not an officer of {party.short_name} in this convention")
    return party, officer_email.lower()


def _admissible(
    ctx: AppContext, convention_id: str, party_id: str, officer_email: str | None, title: str
) -> tuple[Convention, str]:
    """Refuse a submission the convention does not allow (in force, an officer of an active party, a title)."""
    with ctx.uow() as uow:
        convention = get_convention(uow.session, convention_id)
        _, officer = _check_submitter(convention, party_id, officer_email)
        today = local_today(convention, ctx.clock.now())
        convention_row = uow.session.get(ConventionRow, convention_id)
        if convention_row is not None and not convention_in_force(convention, convention_row, today):
            raise SubmissionRefused(not_in_force_message(convention, convention_row, today)[1])
        submitter_row = party_rows(uow.session, convention_id).get(party_id)
        left_on = submitter_row.termination_effective_on if submitter_row is not None else None
    if left_on is not None and not party_is_active(today, left_on):
        raise SubmissionRefused(
            f"{convention.party(party_id).name} a quitté la convention le {format_date_fr(left_on)} "
            "(article 9) : elle ne peut plus soumettre de projet à ce titre."
        )
    if not title.strip():
        raise SubmissionRefused("a communication needs a title")
    return convention, officer


@dataclass(frozen=True)
class _StoredDraft:
    """An upload judged by its content and stored under its SHA-256."""

    info: DocumentInfo
    sha: str
    path: Path
    size: int
    display_name: str


def _store_draft(
    ctx: AppContext, file: Path, *, original_filename: str | None, declared_type: str | None
) -> _StoredDraft:
    info = validate_document(
        file,
        declared_name=original_filename or file.name,
        declared_type=declared_type,
        max_pages=ctx.settings.max_pdf_pages,
    )
    sha, stored, size = store_document(ctx, file, info.kind)
    return _StoredDraft(info, sha, stored, size, _display_name(original_filename or file.name))


def _write_preview(ctx: AppContext, draft: _StoredDraft) -> None:
    preview_png = render_preview_png(draft.path, width_px=480)
    derived_dir = ctx.settings.data_dir / "derived" / draft.sha
    derived_dir.mkdir(parents=True, exist_ok=True)
    (derived_dir / "preview.png").write_bytes(preview_png)


def _as_checked(session: Session, convention: Convention, submitted_at: datetime) -> Convention:
    """The convention as its logo check sees it: the parties active on the submission date only. A party whose
    termination has taken effect (Article 9) is no longer a party: its logo is not required."""
    on = local_today(convention, submitted_at)
    active = active_parties(convention, party_rows(session, convention.id), on)
    return convention if len(active) == len(convention.parties) else replace(convention, parties=active)


def _run_checker(
    ctx: AppContext,
    checker: LogoChecker,
    document: Path,
    convention: Convention,
    find_mentions: MentionFinder | None,
    progress: Progress | None = None,
) -> tuple[LogoReport, dict[str, object]]:
    """The logo check; `find_mentions` adds which parties the draft names. The annotated pages are drawn by the
    web from each version's stored report (`web.images.annotated_images`): one file may serve several versions,
    each with its own report."""
    report = checker.check(document, convention, progress=progress)
    report_data: dict[str, object] = dict(report.as_dict(include_details=True))
    if find_mentions is not None:
        report_data["mentions"] = dict(find_mentions(document, convention))
    return report, report_data


@dataclass(frozen=True)
class _Submission:
    """An admissible submission whose file is stored: what checking it now or later both start from."""

    convention: Convention
    officer: str
    party_id: str
    title: str
    communication_id: int | None
    draft: _StoredDraft


def _receive(
    ctx: AppContext,
    *,
    convention_id: str,
    party_id: str,
    title: str,
    file: Path,
    officer_email: str | None,
    original_filename: str | None,
    declared_type: str | None,
    communication_id: int | None,
) -> _Submission:
    convention, officer = _admissible(ctx, convention_id, party_id, officer_email, title)
    draft = _store_draft(ctx, file, original_filename=original_filename, declared_type=declared_type)
    return _Submission(convention, officer, party_id, title, communication_id, draft)


def submit_draft(
    ctx: AppContext,
    checker: LogoChecker,
    *,
    convention_id: str,
    party_id: str,
    title: str,
    file: Path,
    officer_email: str | None = None,
    original_filename: str | None = None,
    declared_type: str | None = None,
    communication_id: int | None = None,
    overrides: Mapping[str, str] | None = None,
    find_mentions: MentionFinder | None = None,
    progress: Progress | None = None,
) -> SubmissionResult:
    """Submit a draft (or the next version of a communication) and route it if it passes the check.

    Everything happens in the caller's time and nothing is recorded unless all of it succeeds; a long document
    submitted from the web goes through `accept_draft` and `run_check` instead (`receive_draft`).
    `find_mentions` (text layer / OCR) adds which parties the draft names to the stored report.
    """
    submission = _receive(
        ctx,
        convention_id=convention_id,
        party_id=party_id,
        title=title,
        file=file,
        officer_email=officer_email,
        original_filename=original_filename,
        declared_type=declared_type,
        communication_id=communication_id,
    )
    return _check_now(ctx, checker, submission, overrides or {}, find_mentions, progress)


def _check_now(
    ctx: AppContext,
    checker: LogoChecker,
    submission: _Submission,
    overrides: Mapping[str, str],
    find_mentions: MentionFinder | None,
    progress: Progress | None,
) -> SubmissionResult:
    convention, draft = submission.convention, submission.draft
    with ctx.uow(read_only=True) as uow:
        required = _as_checked(uow.session, convention, ctx.clock.now())
    with _discard_on_failure(ctx, draft.sha, draft.path):
        report, report_data = _run_checker(
            ctx,
            checker,
            draft.path,
            required,
            find_mentions,
            progress,
        )
        _write_preview(ctx, draft)
        with ctx.uow() as uow:
            communication, version = _open_version(uow.session, ctx, submission, report_data)
            requests = _conclude_check(
                uow.session, ctx, convention, communication, version, report, overrides, submission.officer
            )
            uow.commit()
            return SubmissionResult(
                communication_id=communication.id or 0,
                version_id=version.id or 0,
                version=version.number,
                status=version.status,
                sha256=draft.sha,
                report=report,
                requests=[(r.party_id, r.status) for r in requests],
            )


@dataclass(frozen=True)
class AcceptedDraft:
    """A version recorded in `checking`: its logo check is still to run (`run_check`)."""

    communication_id: int
    version_id: int
    version: int
    sha256: str
    pages: int


def accept_draft(
    ctx: AppContext,
    *,
    convention_id: str,
    party_id: str,
    title: str,
    file: Path,
    officer_email: str | None = None,
    original_filename: str | None = None,
    declared_type: str | None = None,
    communication_id: int | None = None,
) -> AcceptedDraft:
    """Record a draft whose logo check will run apart from the upload (a long PDF takes minutes to search).

    Whatever can refuse the file itself does so here (its content, its preview, who may submit it, whom it
    would be sent to), so the officer gets the refusal at once; the version then waits in `checking`.
    """
    submission = _receive(
        ctx,
        convention_id=convention_id,
        party_id=party_id,
        title=title,
        file=file,
        officer_email=officer_email,
        original_filename=original_filename,
        declared_type=declared_type,
        communication_id=communication_id,
    )
    return _accept(ctx, submission)


def _accept(ctx: AppContext, submission: _Submission) -> AcceptedDraft:
    draft = submission.draft
    with _discard_on_failure(ctx, draft.sha, draft.path):
        _write_preview(ctx, draft)
        with ctx.uow() as uow:
            session = uow.session
            # refused now rather than after the check
            _parties_to_ask(session, submission.convention, submission.party_id, ctx.clock.now())
            communication, version = _open_version(session, ctx, submission, {})
            uow.commit()
            return AcceptedDraft(
                communication_id=communication.id or 0,
                version_id=version.id or 0,
                version=version.number,
                sha256=draft.sha,
                pages=draft.info.pages,
            )


def receive_draft(
    ctx: AppContext,
    checker: LogoChecker,
    *,
    convention_id: str,
    party_id: str,
    title: str,
    file: Path,
    officer_email: str | None = None,
    original_filename: str | None = None,
    declared_type: str | None = None,
    communication_id: int | None = None,
    find_mentions: MentionFinder | None = None,
) -> SubmissionResult | AcceptedDraft:
    """The web's submission, the file judged once: a draft of up to `inline_check_max_pages` pages is checked
    and routed now (as `submit_draft`); a longer one, minutes of search, is accepted (as `accept_draft`) and
    its check left to `run_check`."""
    submission = _receive(
        ctx,
        convention_id=convention_id,
        party_id=party_id,
        title=title,
        file=file,
        officer_email=officer_email,
        original_filename=original_filename,
        declared_type=declared_type,
        communication_id=communication_id,
    )
    if submission.draft.info.pages <= ctx.settings.inline_check_max_pages:
        return _check_now(ctx, checker, submission, {}, find_mentions, None)
    return _accept(ctx, submission)


MAX_CHECK_ATTEMPTS = 3


# A worker holds a check this long past its claim and past each renewal: a check whose process died is free
# again within minutes, whatever the document's length. A live worker renews it at each page it reports (a page
# takes 0.5-3 s) and, whatever stage the check is in, every `CHECK_HEARTBEAT` of real time: the mentions'
# reading (Tesseract at 300 dpi on a long PDF without a text layer) reports no pages.
CHECK_LEASE = timedelta(minutes=5)
CHECK_HEARTBEAT = timedelta(minutes=1)


@dataclass(frozen=True)
class CheckOutcome:
    """What became of a version whose check ran apart: its status, and why the check could not run if so."""

    version_id: int
    status: str
    error: str | None = None


def check_waiting(version: VersionRow) -> bool:
    """The version's logo check has not ended (it waits for a worker, or one is running it)."""
    return version.status == VersionState.CHECKING.value and not version.logo_report


def check_unheld(version: VersionRow, now: datetime) -> bool:
    """A waiting check no worker holds: never started, or its worker went silent past the lease."""
    claimed_until = version.check_claimed_until
    return check_waiting(version) and (claimed_until is None or claimed_until <= now)


def pending_checks(ctx: AppContext) -> list[int]:
    """Versions waiting for their logo check that nobody holds (never started, or its worker died), oldest first."""
    now = ctx.clock.now()
    with ctx.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(VersionRow)
            .where(col(VersionRow.status) == VersionState.CHECKING.value)
            .order_by(col(VersionRow.id))  # the oldest first
        ).scalars()
        return [row.id or 0 for row in rows if check_unheld(row, now)]


def claim_check(ctx: AppContext, version_id: int) -> bool:
    """Take a version's pending check for one worker until its lease ends; False when there is nothing to take.

    The version's row lock (PostgreSQL) or the write lock (SQLite) makes the claim exclusive. A check
    started `MAX_CHECK_ATTEMPTS` times without ending (its process died each time) fails instead of looping.
    """
    with ctx.uow() as uow:
        session = uow.session
        version = lock_version(session, version_id)
        now = ctx.clock.now()
        if version is None or not check_unheld(version, now):
            return False
        if version.check_attempts >= MAX_CHECK_ATTEMPTS:
            _record_check_failure(
                session,
                ctx,
                version,
                DocumentError(
                    f"the logo check was interrupted {version.check_attempts} times without ending",
                    f"le contrôle des logos a été interrompu {version.check_attempts} fois sans aboutir",
                ),
            )
            uow.commit()
            return False
        version.check_attempts += 1
        version.check_claimed_until = now + CHECK_LEASE
        session.add(version)
        uow.commit()
        return True


def run_check(
    ctx: AppContext,
    checker: LogoChecker,
    version_id: int,
    *,
    find_mentions: MentionFinder | None = None,
    heartbeat: timedelta = CHECK_HEARTBEAT,
) -> CheckOutcome | None:
    """Run the pending logo check of an accepted draft, then route it or hold it, as `submit_draft` would.

    Returns None when another worker holds the check or it already ran. A file the checker cannot read, or
    a routing refused by then, fails the check with its reason: the officer reads it and submits anew.
    """
    if not claim_check(ctx, version_id):
        return None
    with ctx.uow(read_only=True) as uow:
        version = uow.session.get(VersionRow, version_id)
        assert version is not None  # claimed above; versions are never deleted
        communication = get_communication(uow.session, version.communication_id)
        convention = get_convention(uow.session, communication.convention_id)
        document = ctx.settings.data_dir / version.stored_path
        required = _as_checked(uow.session, convention, version.submitted_at)
        attempt = version.check_attempts  # this worker's claim: only it renews the lease
    try:
        with _Heartbeat(ctx, version_id, attempt, heartbeat):
            report, report_data = _run_checker(
                ctx,
                checker,
                document,
                required,
                find_mentions,
                _ProgressWriter(ctx, version_id, attempt),
            )
    except DocumentError as exc:
        return _fail_check(ctx, version_id, exc)
    except Exception:
        log.exception("the logo check of version %s failed", version_id)
        return _fail_check(
            ctx,
            version_id,
            DocumentError(
                "the logo check failed on an unexpected error",
                "le contrôle des logos a échoué (erreur imprévue)",
            ),
        )
    try:
        with ctx.uow() as uow:
            session = uow.session
            version = lock_version(session, version_id)
            assert version is not None
            if version.logo_report:  # another worker, whose lease had lapsed, ended it first
                return CheckOutcome(version_id, version.status)
            communication = get_communication(session, version.communication_id)
            version.logo_report = report_data
            version.check_claimed_until = None
            session.add(version)
            if version.status != VersionState.CHECKING.value:  # superseded while it was being checked
                _record_check_completed(session, ctx, communication, version, report)
            else:
                requests = _conclude_check(session, ctx, convention, communication, version, report, {}, None)
                _tell_officer(
                    session,
                    ctx,
                    convention,
                    communication,
                    version,
                    check_outcome="routed" if requests else "held",
                    parties_asked=len(requests),
                    missing=[r for r in report.parties if r.status is not LogoStatus.PRESENT],
                )
            uow.commit()
            return CheckOutcome(version_id, version.status)
    except SubmissionRefused as exc:  # every other party left the convention while it was being checked
        return _fail_check(
            ctx, version_id, DocumentError(str(exc), "aucune autre partie active n’est à consulter")
        )


@dataclass
class _ProgressWriter:
    """Keeps a running check's progress on its version for the officer's page, at most once a second, and
    renews the worker's claim with it (a heartbeat: the claim lapses minutes after the worker dies)."""

    ctx: AppContext
    version_id: int
    attempt: int
    every: timedelta = timedelta(seconds=1)
    _last: datetime | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self.ctx.clock.now()
        if done < total and self._last is not None and now - self._last < self.every:
            return
        self._last = now
        _renew_claim(self.ctx, self.version_id, self.attempt, progress=round(done / max(total, 1), 3))


class _Heartbeat:
    """Renews a running check's claim every `every` of real time while the check runs, whatever its stage.

    Real time, not the injected clock: it says that this process is alive, which is what the lease is about.
    """

    def __init__(self, ctx: AppContext, version_id: int, attempt: int, every: timedelta) -> None:
        self._ctx, self._version_id, self._attempt = ctx, version_id, attempt
        self._every = every.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"check-heartbeat-{version_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self._every):
            _renew_claim(self._ctx, self._version_id, self._attempt)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _renew_claim(ctx: AppContext, version_id: int, attempt: int, *, progress: float | None = None) -> None:
    """Extend the lease of the claim `attempt` (and record the progress), unless another worker took it since:
    a worker whose lease lapsed must not renew its successor's claim."""
    values: dict[str, object] = {"check_claimed_until": ctx.clock.now() + CHECK_LEASE}
    if progress is not None:
        values["check_progress"] = progress
    try:
        with ctx.uow() as uow:
            uow.session.execute(
                update(VersionRow)
                .where(
                    col(VersionRow.id) == version_id,
                    col(VersionRow.status) == VersionState.CHECKING.value,
                    col(VersionRow.check_attempts) == attempt,
                )
                .values(**values)
            )
            uow.commit()
    except SQLAlchemyError:  # a courtesy and a heartbeat: a database hiccup must not fail the check itself
        log.warning("the claim of the logo check of version %s not renewed", version_id, exc_info=True)


def _fail_check(ctx: AppContext, version_id: int, error: DocumentError) -> CheckOutcome:
    with ctx.uow() as uow:
        version = lock_version(uow.session, version_id)
        assert version is not None
        if not version.logo_report:
            _record_check_failure(uow.session, ctx, version, error)
        uow.commit()
        return CheckOutcome(version_id, version.status, error.message_en)


def _tell_officer(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
    *,
    check_outcome: str,
    parties_asked: int = 0,
    missing: Sequence[PartyLogoResult] = (),
    error: DocumentError | None = None,
) -> None:
    """Mail the officer how a check run apart from the upload ended: they were told they could leave the page."""
    submitter = convention.party(communication.submitting_party)
    names = {p.id: p.name for p in convention.parties}
    language = submitter.language
    enqueue(
        session,
        ctx,
        template="check_completed",
        key=f"check-completed:{version.id}",
        recipient=communication.officer_email,
        language=language,
        context={
            "convention_title": convention.title,
            "communication_title": communication.title,
            "version": version.number,
            "timezone": convention.timezone,
            "check_outcome": check_outcome,
            "pages": version.pages,
            "finished_at": ctx.clock.now(),
            "parties_asked": parties_asked,
            "missing": [
                {"party": names.get(r.party, r.party), "status": status_label(r.status, language)}
                for r in missing
            ],
            "error": (error.message_fr if language == "fr" else error.message_en) if error else None,
            "version_url": f"{ctx.settings.base_url}/desk/versions/{version.id}",
        },
        version_id=version.id,
    )


def _record_check_failure(
    session: Session, ctx: AppContext, version: VersionRow, error: DocumentError
) -> None:
    """The check could not run: the version is held (`rejected_by_check`) with the reason, in both languages."""
    communication = get_communication(session, version.communication_id)
    version.logo_report = {"error": {"en": error.message_en, "fr": error.message_fr}}
    version.check_claimed_until = None
    record_event(
        session,
        ctx.clock,
        LogoCheckCompleted(
            occurred_at=ctx.clock.now(),
            version_id=str(version.id),
            passed=False,
            details={"error": error.message_en},
        ),
        version_refs(communication, version),
    )
    if version.status == VersionState.CHECKING.value:
        version.status = next_version_state(VersionState.CHECKING, VersionEvent.FAIL_CHECK).value
        convention = get_convention(session, communication.convention_id)
        _tell_officer(session, ctx, convention, communication, version, check_outcome="failed", error=error)
    session.add(version)


def _lock_latest_version(session: Session, communication_id: int) -> VersionRow | None:
    """Lock the communication's latest version, the one a new version follows.

    Read, then locked: a new version committed by another request while this one waited for the lock is the
    latest now (two uploads of a new version at once both read version 1; the second must follow version 2,
    not number itself 2 again). SQLite's single writer never lets that happen; PostgreSQL's row locks do.
    """
    existing = versions_of(session, communication_id)
    while existing:
        latest = lock_version(session, existing[-1].id or 0)
        existing = versions_of(session, communication_id)
        if latest is not None and existing[-1].id == latest.id:
            return latest
    return None


def _open_version(
    session: Session, ctx: AppContext, submission: _Submission, report_data: dict[str, object]
) -> tuple[CommunicationRow, VersionRow]:
    """A new communication or its next version, in `checking`; the version before it is superseded."""
    convention, party_id, draft = submission.convention, submission.party_id, submission.draft
    officer, communication_id = submission.officer, submission.communication_id
    now = ctx.clock.now()
    if communication_id is None:
        communication = CommunicationRow(
            convention_id=convention.id,
            submitting_party=party_id,
            officer_email=officer,
            title=submission.title.strip(),
            created_at=now,
        )
        session.add(communication)
        session.flush()
        previous: VersionRow | None = None
    else:
        communication = get_communication(session, communication_id)
        if communication.convention_id != convention.id or communication.submitting_party != party_id:
            raise SubmissionRefused("a new version must come from the party that submitted the communication")
        previous = _lock_latest_version(session, communication_id)
        if previous is not None:
            # a version whose last silence has elapsed is cleared (or blocked), not superseded
            conclude_if_decided(session, ctx, communication, previous)
    version = VersionRow(
        communication_id=communication.id or 0,
        number=(previous.number + 1) if previous else 1,
        sha256=draft.sha,
        stored_path=str(draft.path.relative_to(ctx.settings.data_dir)),
        original_filename=draft.display_name,
        media_kind=draft.info.kind,
        pages=draft.info.pages,
        size_bytes=draft.size,
        status=VersionState.CHECKING.value,
        logo_report=report_data,
        submitted_at=now,
    )
    session.add(version)
    session.flush()
    record_event(
        session,
        ctx.clock,
        DraftSubmitted(
            occurred_at=now,
            convention_id=convention.id,
            version_id=str(version.id),
            party_id=party_id,
            submitted_by=officer,
            sha256=draft.sha,
            filename=version.original_filename,
            supersedes_version_id=str(previous.id) if previous else None,
        ),
        version_refs(communication, version),
    )
    if previous is not None and VersionState(previous.status) not in FINAL_VERSION_STATES:
        _supersede(session, ctx, communication, previous, version)
    return communication, version


def _record_check_completed(
    session: Session,
    ctx: AppContext,
    communication: CommunicationRow,
    version: VersionRow,
    report: LogoReport,
) -> None:
    record_event(
        session,
        ctx.clock,
        LogoCheckCompleted(
            occurred_at=ctx.clock.now(),
            version_id=str(version.id),
            passed=report.compliant,
            found_party_ids=tuple(r.party for r in report.parties if r.status is LogoStatus.PRESENT),
            missing_party_ids=tuple(r.party for r in report.parties if r.status is not LogoStatus.PRESENT),
            details={r.party: r.status.value for r in report.parties},
        ),
        version_refs(communication, version),
    )


def _conclude_check(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
    report: LogoReport,
    overrides: Mapping[str, str],
    officer: str | None,
) -> list[RequestRow]:
    """Record the check's outcome; a compliant version (or one whose failures are all overridden) is routed."""
    _record_check_completed(session, ctx, communication, version, report)
    version.status = next_version_state(
        VersionState(version.status),
        VersionEvent.PASS_CHECK if report.compliant else VersionEvent.FAIL_CHECK,
    ).value
    session.add(version)
    for party, justification in overrides.items():
        _record_override(
            session,
            ctx,
            convention,
            communication,
            version,
            party,
            justification,
            officer or communication.officer_email,
        )
    if version.status == VersionState.REJECTED_BY_CHECK.value and _overrides_cover(session, version, report):
        version.status = next_version_state(VersionState(version.status), VersionEvent.OVERRIDE).value
    if version.status == VersionState.ROUTING.value:
        return _route(session, ctx, convention, communication, version)
    return []


def override_logo_check(
    ctx: AppContext, *, version_id: int, party_id: str, justification: str, officer_email: str
) -> SubmissionResult:
    """Record an officer's override for one party; once every failing party is covered, the version routes."""
    with ctx.uow() as uow:
        session = uow.session
        version = session.get(VersionRow, version_id)
        if version is None:
            raise NotFound(f"unknown version {version_id}")
        communication = get_communication(session, version.communication_id)
        convention = get_convention(session, communication.convention_id)
        _check_submitter(convention, communication.submitting_party, officer_email)
        if version.status != VersionState.REJECTED_BY_CHECK.value:
            raise SubmissionRefused(
                f"version {version.number} is {version.status}; overrides apply to a failed check"
            )
        report = logo_report_of(version)
        if report is None:
            raise SubmissionRefused(
                f"version {version.number} has no logo report to override (its check could not run); "
                "submit a new version"
            )
        _record_override(
            session, ctx, convention, communication, version, party_id, justification, officer_email
        )
        requests: list[RequestRow] = []
        if _overrides_cover(session, version, report):
            version.status = next_version_state(VersionState(version.status), VersionEvent.OVERRIDE).value
            session.add(version)
            requests = _route(session, ctx, convention, communication, version)
        uow.commit()
        return SubmissionResult(
            communication.id or 0,
            version.id or 0,
            version.number,
            version.status,
            version.sha256,
            report,
            [(r.party_id, r.status) for r in requests],
        )


def _display_name(name: str) -> str:
    """Keep only a harmless base name for display; storage never uses it."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c.isprintable() and c not in "\r\n\t")
    return cleaned[:200] or "document"


def _record_override(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
    party_id: str,
    justification: str,
    officer: str,
) -> None:
    if party_id not in convention.party_ids():
        raise SubmissionRefused(f"override for unknown party {party_id!r}")
    if len(justification.strip()) < 10:
        raise SubmissionRefused("an override needs a written justification (10 characters at least)")
    session.add(
        LogoOverrideRow(
            version_id=version.id or 0,
            party_id=party_id,
            justification=justification.strip(),
            recorded_by=officer,
            recorded_at=ctx.clock.now(),
        )
    )
    session.flush()
    record_event(
        session,
        ctx.clock,
        LogoOverrideRecorded(
            occurred_at=ctx.clock.now(),
            version_id=str(version.id),
            party_id=party_id,
            officer=officer,
            justification=justification.strip(),
        ),
        version_refs(communication, version),
    )


def _overrides_cover(session: Session, version: VersionRow, report: LogoReport) -> bool:
    overridden = set(overrides_of(session, version.id or 0))
    failing = {r.party for r in report.parties if r.status is not LogoStatus.PRESENT}
    return bool(failing) and failing <= overridden


def _supersede(
    session: Session, ctx: AppContext, communication: CommunicationRow, previous: VersionRow, new: VersionRow
) -> None:
    previous.status = next_version_state(VersionState(previous.status), VersionEvent.SUPERSEDE).value
    previous.concluded_at = ctx.clock.now()
    session.add(previous)
    withdraw_open_requests(session, ctx, communication, previous, reason="superseded", notify=False)
    record_event(
        session,
        ctx.clock,
        VersionSuperseded(
            occurred_at=ctx.clock.now(),
            version_id=str(previous.id),
            convention_id=communication.convention_id,
            superseded_by_version_id=str(new.id),
        ),
        version_refs(communication, previous),
    )


def _route(
    session: Session,
    ctx: AppContext,
    convention: Convention,
    communication: CommunicationRow,
    version: VersionRow,
) -> list[RequestRow]:
    parties = _parties_to_ask(session, convention, communication.submitting_party, version.submitted_at)
    mail_context, preview = request_mail_context(session, ctx, convention, communication, version)
    return open_requests(
        session,
        ctx,
        convention=convention,
        communication=communication,
        version=version,
        parties=parties,
        mail_context=mail_context,
        preview=preview,
    )


def _parties_to_ask(
    session: Session, convention: Convention, submitting_party: str, submitted_at: datetime
) -> list[Party]:
    """Every other party active on the submission date, however long the check or an override took after it
    (Article 9: a party is routed while active at submission); refused when there is none."""
    on = local_today(convention, submitted_at)
    parties = routed_parties(convention, submitting_party, party_rows(session, convention.id), on)
    if not parties:
        raise SubmissionRefused("no other active party to ask in this convention")
    return parties
