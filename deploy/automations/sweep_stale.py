"""Creates (or updates) the Prefect automation that alerts when no deadline sweep completed for two hours."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import Any
from uuid import UUID

NAME = "comms-approval: deadline sweep stale"
STALE_AFTER = timedelta(hours=2)
BLOCK_ENV = (
    "COMMS_APPROVAL_ALERT_BLOCK"  # name of a notification block (e.g. "email/ops" or "slack-webhook/ops")
)


def build_automation(block_document_id: UUID | None) -> Any:
    """A proactive trigger: fewer than one completed `deadline-sweep` run within two hours fires the alert."""
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    actions: list[Any] = []
    if block_document_id is not None:
        actions.append(
            SendNotification(
                block_document_id=block_document_id,
                subject="comms-approval : aucun balayage des échéances depuis deux heures",
                body=(
                    "No run of the deadline-sweep deployment has completed for two hours. Deemed approvals "
                    "stay correctly dated (they take effect at the deadline), but reminders and conclusions "
                    "are late. Check the Prefect workers, the work pool and the database.\n"
                    "Last state seen: {{ event.event if event else 'none' }}"
                ),
            )
        )
    return AutomationCore(
        name=NAME,
        description="Alert when the deadline sweep has not completed for two hours (deploy/README.md).",
        trigger=EventTrigger(
            posture=Posture.Proactive,
            expect={"prefect.flow-run.Completed"},
            match_related={"prefect.resource.role": "deployment", "prefect.resource.name": "deadline-sweep"},
            threshold=1,
            within=STALE_AFTER,
        ),
        actions=actions,
    )


def notification_block_id(block_name: str | None) -> UUID | None:
    """Resolve `type-slug/name` (as shown by `prefect block ls`) to the block's id."""
    if not block_name:
        return None
    from prefect.client.orchestration import get_client

    type_slug, _, name = block_name.partition("/")
    with get_client(sync_client=True) as client:
        return client.read_block_document_by_name(name=name, block_type_slug=type_slug).id


def create_or_update(block_name: str | None) -> UUID:
    """Idempotent: a second run updates the automation instead of adding a twin."""
    from prefect.client.orchestration import get_client

    automation = build_automation(notification_block_id(block_name))
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(NAME)
        if existing:
            client.update_automation(existing[0].id, automation)
            return existing[0].id
        return client.create_automation(automation)


def main() -> int:
    block = os.environ.get(BLOCK_ENV)
    automation_id = create_or_update(block)
    where = f"notification block {block}" if block else f"no notification block ({BLOCK_ENV} unset): UI only"
    sys.stdout.write(f"automation {NAME!r} ready ({automation_id}); {where}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
