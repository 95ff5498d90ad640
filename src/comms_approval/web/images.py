"""Image answers of the web app: page previews, annotated logo-check pages and difference pages."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from fastapi import HTTPException
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session, col
from starlette.responses import FileResponse

from comms_approval.adapters.db.tables import AuditEventRow, AuditPayloadRow, VersionRow
from comms_approval.adapters.logos.annotate import annotate_page
from comms_approval.bootstrap import AppContext
from comms_approval.domain.logos import LogoReport
from comms_approval.services.conventions import get_convention
from comms_approval.services.records import get_communication, logo_report_of, versions_of
from comms_approval.services.visual_diff import MAX_PAGES, derived_dir, page_images, version_differences

KINDS = ("pages", "annotated", "diff")
PURGE_KIND = "retention_purged"


@dataclass(frozen=True)
class DocumentState:
    """Whether a version's file is still stored; if the retention purge erased it, when (None if unknown)."""

    available: bool
    purged_at: datetime | None = None


def document_state(ctx: AppContext, session: Session, version: VersionRow) -> DocumentState:
    """Files may be gone after the retention period (services/retention.py): pages must say so, not fail."""
    if (ctx.settings.data_dir / version.stored_path).is_file():
        return DocumentState(available=True)
    convention_id = get_communication(session, version.communication_id).convention_id
    purges = session.execute(
        select(col(AuditEventRow.occurred_at), col(AuditPayloadRow.payload))
        .join(AuditPayloadRow, col(AuditPayloadRow.seq) == col(AuditEventRow.seq))
        .where(col(AuditEventRow.kind) == PURGE_KIND, col(AuditEventRow.convention_id) == convention_id)
        .order_by(col(AuditEventRow.seq))
    ).all()
    for occurred_at, payload in purges:
        data = json.loads(payload)
        if data.get("category") == "documents" and version.id in data.get("version_ids", []):
            return DocumentState(available=False, purged_at=occurred_at)
    return DocumentState(available=False)


def annotated_images(ctx: AppContext, session: Session, version: VersionRow) -> list[Path]:
    """The version's pages annotated from its own stored report, drawn once and kept under the version.

    One file serves several versions (of one communication or of other conventions), each with its own report: the
    drawings are keyed by version, not by file. The logo checker's own annotations (`derived/<sha256>/<sha256>-pageN
    .png`, written by each check of the file) are not used: a later check of the same file overwrites them.
    """
    folder = derived_dir(ctx, version.sha256) / f"v{version.id}"
    count = min(version.pages or 1, MAX_PAGES)
    ours = [folder / f"annotated-page{n}.png" for n in range(1, count + 1)]
    if all(p.is_file() for p in ours):
        return ours
    convention = get_convention(session, get_communication(session, version.communication_id).convention_id)
    names = {p.id: p.short_name for p in convention.parties}
    report = LogoReport.from_dict(version.logo_report)
    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    for number, (page, target) in enumerate(zip(page_images(ctx, version), ours, strict=False), start=1):
        with Image.open(page) as image:
            rgb = np.asarray(image.convert("RGB"))
        # one partial file per thread: the browser asks for a version's pages at once, each request drawing them
        partial = target.with_name(f"{target.name}.{threading.get_ident()}.part")
        annotate_page(rgb, number, report.parties, names).save(partial, "PNG", optimize=True)
        partial.replace(target)
        drawn.append(target)
    return drawn


def previous_version(session: Session, version: VersionRow) -> VersionRow | None:
    earlier = [v for v in versions_of(session, version.communication_id) if v.number < version.number]
    return earlier[-1] if earlier else None


def version_image(
    ctx: AppContext, session: Session, version: VersionRow, kind: str, number: int
) -> FileResponse:
    """One image of a version, or 404 when that page or comparison does not exist (or its files were purged)."""
    paths: list[Path | None]
    if not document_state(ctx, session, version).available:
        raise HTTPException(status_code=404)
    if kind == "pages":
        paths = list(page_images(ctx, version))
    elif kind == "annotated":
        if logo_report_of(version) is None:  # the check is pending or could not run
            raise HTTPException(status_code=404)
        paths = list(annotated_images(ctx, session, version))
    elif kind == "diff":
        previous = previous_version(session, version)
        if previous is None or not document_state(ctx, session, previous).available:
            raise HTTPException(status_code=404)
        paths = [d.image for d in version_differences(ctx, previous, version)]
    else:
        raise HTTPException(status_code=404)
    if not 1 <= number <= len(paths) or paths[number - 1] is None:
        raise HTTPException(status_code=404)
    path = paths[number - 1]
    assert path is not None
    return FileResponse(path, media_type="image/png")
