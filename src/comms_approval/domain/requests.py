"""The request and version state machines of DESIGN.md section 3, each as one transition table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from comms_approval.domain.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


class InvalidMachineDefinitionError(ValueError):
    """A transition table is inconsistent (unreachable state, exit from a final state, dead end...)."""


@dataclass(frozen=True)
class StateMachine(Generic[S, E]):
    """Transitions declared in one place, apart from the data they move; checked eagerly on creation."""

    name: str
    states: tuple[S, ...]
    initial: S
    finals: frozenset[S]
    transitions: Mapping[tuple[S, E], S]

    def __post_init__(self) -> None:
        known = set(self.states)
        for (source, event), target in self.transitions.items():
            if source not in known or target not in known:
                raise InvalidMachineDefinitionError(
                    f"{self.name}: {source}--{event}->{target} uses an unknown state"
                )
            if source in self.finals:
                raise InvalidMachineDefinitionError(
                    f"{self.name}: final state '{source}' has an exit on '{event}'"
                )
        sources = {source for source, _ in self.transitions}
        for state in self.states:
            if state not in self.finals and state not in sources:
                raise InvalidMachineDefinitionError(f"{self.name}: non-final state '{state}' has no exit")
        reached = {self.initial}
        frontier = [self.initial]
        while frontier:
            current = frontier.pop()
            for (source, _), target in self.transitions.items():
                if source == current and target not in reached:
                    reached.add(target)
                    frontier.append(target)
        unreachable = [state for state in self.states if state not in reached]
        if unreachable:
            raise InvalidMachineDefinitionError(f"{self.name}: unreachable state(s) {', '.join(unreachable)}")

    def next_state(self, state: S, event: E) -> S:
        """Return the state after `event`, or raise IllegalTransition naming the event and the state."""
        try:
            return self.transitions[(state, event)]
        except KeyError:
            raise IllegalTransition(self.name, str(event), str(state)) from None

    def allowed_events(self, state: S) -> frozenset[E]:
        return frozenset(event for source, event in self.transitions if source == state)

    def is_final(self, state: S) -> bool:
        return state in self.finals


class RequestState(StrEnum):
    """Where one party's request for one version stands."""

    PENDING_DELIVERY = "pending_delivery"
    AWAITING = "awaiting"
    APPROVED = "approved"
    APPROVED_WITH_REMARKS = "approved_with_remarks"
    OBJECTED = "objected"
    DEEMED_APPROVED = "deemed_approved"
    UNDELIVERABLE = "undeliverable"
    WITHDRAWN = "withdrawn"


class RequestEvent(StrEnum):
    """What can happen to a request."""

    DELIVER = "deliver"
    FAIL_DELIVERY = "fail_delivery"
    BOUNCE = "bounce"
    RESEND = "resend"
    APPROVE = "approve"
    APPROVE_WITH_REMARKS = "approve_with_remarks"
    OBJECT = "object"
    DEEM_APPROVED = "deem_approved"
    WITHDRAW = "withdraw"


FINAL_REQUEST_STATES = frozenset(
    {
        RequestState.APPROVED,
        RequestState.APPROVED_WITH_REMARKS,
        RequestState.OBJECTED,
        RequestState.DEEMED_APPROVED,
        RequestState.WITHDRAWN,
    }
)
APPROVING_STATES = frozenset(
    {RequestState.APPROVED, RequestState.APPROVED_WITH_REMARKS, RequestState.DEEMED_APPROVED}
)
# Requests that can still move; only AWAITING (delivered) runs a clock ("no delivery, no clock").
OPEN_REQUEST_STATES = frozenset(set(RequestState) - FINAL_REQUEST_STATES)

_R = RequestState
_RE = RequestEvent
REQUEST_MACHINE: StateMachine[RequestState, RequestEvent] = StateMachine(
    name="request",
    states=tuple(RequestState),
    initial=_R.PENDING_DELIVERY,
    finals=FINAL_REQUEST_STATES,
    transitions={
        (_R.PENDING_DELIVERY, _RE.DELIVER): _R.AWAITING,
        (_R.PENDING_DELIVERY, _RE.FAIL_DELIVERY): _R.UNDELIVERABLE,
        (_R.PENDING_DELIVERY, _RE.WITHDRAW): _R.WITHDRAWN,
        (_R.AWAITING, _RE.APPROVE): _R.APPROVED,
        (_R.AWAITING, _RE.APPROVE_WITH_REMARKS): _R.APPROVED_WITH_REMARKS,
        (_R.AWAITING, _RE.OBJECT): _R.OBJECTED,
        (_R.AWAITING, _RE.DEEM_APPROVED): _R.DEEMED_APPROVED,
        # A bounce recorded after the relay accepted the mail stops the clock: no delivery, no clock.
        (_R.AWAITING, _RE.BOUNCE): _R.UNDELIVERABLE,
        (_R.AWAITING, _RE.WITHDRAW): _R.WITHDRAWN,
        (_R.UNDELIVERABLE, _RE.RESEND): _R.PENDING_DELIVERY,
        (_R.UNDELIVERABLE, _RE.WITHDRAW): _R.WITHDRAWN,
    },
)


def next_request_state(state: RequestState, event: RequestEvent) -> RequestState:
    """Return the request state after `event`; raise IllegalTransition("request", event, state) otherwise."""
    return REQUEST_MACHINE.next_state(state, event)


class VersionState(StrEnum):
    """Where one version of a draft stands."""

    CHECKING = "checking"
    REJECTED_BY_CHECK = "rejected_by_check"
    ROUTING = "routing"
    CLEARED = "cleared"
    BLOCKED = "blocked"
    SUPERSEDED = "superseded"


class VersionEvent(StrEnum):
    """What can happen to a version."""

    PASS_CHECK = "pass_check"  # noqa: S105 - an event name, not a password
    FAIL_CHECK = "fail_check"
    OVERRIDE = "override"
    CLEAR = "clear"
    BLOCK = "block"
    SUPERSEDE = "supersede"


FINAL_VERSION_STATES = frozenset({VersionState.CLEARED, VersionState.BLOCKED, VersionState.SUPERSEDED})

_V = VersionState
_VE = VersionEvent
VERSION_MACHINE: StateMachine[VersionState, VersionEvent] = StateMachine(
    name="version",
    states=tuple(VersionState),
    initial=_V.CHECKING,
    finals=FINAL_VERSION_STATES,
    transitions={
        (_V.CHECKING, _VE.PASS_CHECK): _V.ROUTING,
        (_V.CHECKING, _VE.FAIL_CHECK): _V.REJECTED_BY_CHECK,
        (_V.CHECKING, _VE.SUPERSEDE): _V.SUPERSEDED,
        # The officer's audited override (the detector missed a logo that is there) routes the version.
        (_V.REJECTED_BY_CHECK, _VE.OVERRIDE): _V.ROUTING,
        (_V.REJECTED_BY_CHECK, _VE.SUPERSEDE): _V.SUPERSEDED,
        (_V.ROUTING, _VE.CLEAR): _V.CLEARED,
        (_V.ROUTING, _VE.BLOCK): _V.BLOCKED,
        (_V.ROUTING, _VE.SUPERSEDE): _V.SUPERSEDED,
    },
)


def next_version_state(state: VersionState, event: VersionEvent) -> VersionState:
    """Return the version state after `event`; raise IllegalTransition("version", event, state) otherwise."""
    return VERSION_MACHINE.next_state(state, event)
