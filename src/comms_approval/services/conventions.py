"""Convention use cases: load a file into the database, read conventions back as domain objects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, col

from comms_approval.adapters.convention_file import (
    convention_from_spec,
    convention_to_spec,
    load_convention,
)
from comms_approval.adapters.db.tables import ConventionRow, PartyRow
from comms_approval.bootstrap import AppContext
from comms_approval.domain.audit_chain import canonical_json
from comms_approval.domain.convention import Convention
from comms_approval.domain.errors import NotFound
from comms_approval.services.audit import AuditRefs, record


@dataclass(frozen=True)
class LoadResult:
    convention: Convention
    created: bool
    changed: bool


def load_convention_file(ctx: AppContext, path: Path | str) -> LoadResult:
    """Validate a convention file and store it; re-loading an unchanged file changes nothing."""
    convention = load_convention(path)
    spec = convention_to_spec(convention)
    digest = hashlib.sha256(canonical_json(spec).encode()).hexdigest()
    with ctx.uow() as uow:
        session = uow.session
        row = session.get(ConventionRow, convention.id)
        created = row is None
        if row is not None and row.spec_sha256 == digest:
            return LoadResult(convention, created=False, changed=False)
        if row is None:
            row = ConventionRow(
                id=convention.id,
                title=convention.title,
                territory=convention.territory,
                timezone=convention.timezone,
                spec=spec,
                spec_sha256=digest,
                loaded_at=ctx.clock.now(),
            )
        else:
            row.title, row.territory, row.timezone = (
                convention.title,
                convention.territory,
                convention.timezone,
            )
            row.spec, row.spec_sha256, row.loaded_at = spec, digest, ctx.clock.now()
        session.add(row)
        session.flush()
        for party in convention.parties:
            party_row = session.get(PartyRow, (convention.id, party.id))
            if party_row is None:
                party_row = PartyRow(
                    convention_id=convention.id,
                    party_id=party.id,
                    name=party.name,
                    short_name=party.short_name,
                )
            party_row.name, party_row.short_name = party.name, party.short_name
            session.add(party_row)
        record(
            session,
            ctx.clock,
            "ConventionLoaded" if created else "ConventionUpdated",
            AuditRefs(convention_id=convention.id),
            {
                "spec_sha256": digest,
                "parties": list(convention.party_ids()),
                "source": str(convention.source) if convention.source else None,
            },
        )
        uow.commit()
    return LoadResult(convention, created=created, changed=True)


def get_convention(session: Session, convention_id: str) -> Convention:
    row = session.get(ConventionRow, convention_id)
    if row is None:
        raise NotFound(f"unknown convention {convention_id!r}")
    return convention_from_spec(row.spec)


def list_conventions(session: Session) -> list[ConventionRow]:
    return list(session.execute(select(ConventionRow).order_by(col(ConventionRow.id))).scalars())


def party_rows(session: Session, convention_id: str) -> dict[str, PartyRow]:
    rows = session.execute(select(PartyRow).where(col(PartyRow.convention_id) == convention_id)).scalars()
    return {row.party_id: row for row in rows}
