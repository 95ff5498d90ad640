"""Every legal and illegal transition of the request and version state machines (DESIGN.md section 3)."""

from __future__ import annotations

import itertools
from enum import StrEnum

import pytest

from comms_approval.domain.errors import IllegalTransition
from comms_approval.domain.requests import (
    APPROVING_STATES,
    FINAL_REQUEST_STATES,
    FINAL_VERSION_STATES,
    OPEN_REQUEST_STATES,
    REQUEST_MACHINE,
    VERSION_MACHINE,
    InvalidMachineDefinitionError,
    StateMachine,
    next_request_state,
    next_version_state,
)
from comms_approval.domain.requests import (
    RequestEvent as Ev,
)
from comms_approval.domain.requests import (
    RequestState as R,
)
from comms_approval.domain.requests import (
    VersionEvent as VEv,
)
from comms_approval.domain.requests import (
    VersionState as V,
)

# Written out again from DESIGN.md, independently of the production table, so a changed table fails here.
LEGAL_REQUEST_MOVES = {
    (R.PENDING_DELIVERY, Ev.DELIVER): R.AWAITING,
    (R.PENDING_DELIVERY, Ev.FAIL_DELIVERY): R.UNDELIVERABLE,
    (R.PENDING_DELIVERY, Ev.WITHDRAW): R.WITHDRAWN,
    (R.AWAITING, Ev.APPROVE): R.APPROVED,
    (R.AWAITING, Ev.APPROVE_WITH_REMARKS): R.APPROVED_WITH_REMARKS,
    (R.AWAITING, Ev.OBJECT): R.OBJECTED,
    (R.AWAITING, Ev.DEEM_APPROVED): R.DEEMED_APPROVED,
    (R.AWAITING, Ev.BOUNCE): R.UNDELIVERABLE,
    (R.AWAITING, Ev.WITHDRAW): R.WITHDRAWN,
    (R.UNDELIVERABLE, Ev.RESEND): R.PENDING_DELIVERY,
    (R.UNDELIVERABLE, Ev.WITHDRAW): R.WITHDRAWN,
}
LEGAL_VERSION_MOVES = {
    (V.CHECKING, VEv.PASS_CHECK): V.ROUTING,
    (V.CHECKING, VEv.FAIL_CHECK): V.REJECTED_BY_CHECK,
    (V.CHECKING, VEv.SUPERSEDE): V.SUPERSEDED,
    (V.REJECTED_BY_CHECK, VEv.OVERRIDE): V.ROUTING,
    (V.REJECTED_BY_CHECK, VEv.SUPERSEDE): V.SUPERSEDED,
    (V.ROUTING, VEv.CLEAR): V.CLEARED,
    (V.ROUTING, VEv.BLOCK): V.BLOCKED,
    (V.ROUTING, VEv.SUPERSEDE): V.SUPERSEDED,
}
ILLEGAL_REQUEST_MOVES = [pair for pair in itertools.product(R, Ev) if pair not in LEGAL_REQUEST_MOVES]
ILLEGAL_VERSION_MOVES = [pair for pair in itertools.product(V, VEv) if pair not in LEGAL_VERSION_MOVES]


class TestRequestMachine:
    @pytest.mark.parametrize(("move", "target"), LEGAL_REQUEST_MOVES.items(), ids=str)
    def test_each_legal_move_reaches_its_state(self, move: tuple[R, Ev], target: R) -> None:
        assert next_request_state(*move) is target

    @pytest.mark.parametrize("move", ILLEGAL_REQUEST_MOVES, ids=str)
    def test_each_illegal_move_is_refused_naming_event_and_state(self, move: tuple[R, Ev]) -> None:
        state, event = move
        with pytest.raises(IllegalTransition) as caught:
            next_request_state(state, event)

        assert (caught.value.machine, caught.value.event, caught.value.state) == (
            "request",
            event.value,
            state.value,
        )
        assert f"'{event.value}'" in str(caught.value)
        assert f"'{state.value}'" in str(caught.value)

    def test_final_states_accept_no_event(self) -> None:
        assert {
            R.APPROVED,
            R.APPROVED_WITH_REMARKS,
            R.OBJECTED,
            R.DEEMED_APPROVED,
            R.WITHDRAWN,
        } == FINAL_REQUEST_STATES
        for state in FINAL_REQUEST_STATES:
            assert REQUEST_MACHINE.allowed_events(state) == frozenset()
            assert REQUEST_MACHINE.is_final(state)

    def test_only_explicit_and_tacit_approvals_approve(self) -> None:
        assert {R.APPROVED, R.APPROVED_WITH_REMARKS, R.DEEMED_APPROVED} == APPROVING_STATES
        assert {R.PENDING_DELIVERY, R.AWAITING, R.UNDELIVERABLE} == OPEN_REQUEST_STATES

    def test_an_undelivered_request_can_never_be_deemed_approved(self) -> None:
        for state in (R.PENDING_DELIVERY, R.UNDELIVERABLE):
            assert Ev.DEEM_APPROVED not in REQUEST_MACHINE.allowed_events(state)

    def test_an_awaiting_request_accepts_the_decisions_bounce_and_withdrawal(self) -> None:
        assert REQUEST_MACHINE.allowed_events(R.AWAITING) == {
            Ev.APPROVE, Ev.APPROVE_WITH_REMARKS, Ev.OBJECT, Ev.DEEM_APPROVED, Ev.BOUNCE, Ev.WITHDRAW,
        }  # fmt: skip
        assert not REQUEST_MACHINE.is_final(R.AWAITING)


class TestVersionMachine:
    @pytest.mark.parametrize(("move", "target"), LEGAL_VERSION_MOVES.items(), ids=str)
    def test_each_legal_move_reaches_its_state(self, move: tuple[V, VEv], target: V) -> None:
        assert next_version_state(*move) is target

    @pytest.mark.parametrize("move", ILLEGAL_VERSION_MOVES, ids=str)
    def test_each_illegal_move_is_refused_naming_event_and_state(self, move: tuple[V, VEv]) -> None:
        state, event = move
        with pytest.raises(IllegalTransition) as caught:
            next_version_state(state, event)

        assert (caught.value.machine, caught.value.event, caught.value.state) == (
            "version",
            event.value,
            state.value,
        )

    def test_final_states_accept_no_event(self) -> None:
        assert {V.CLEARED, V.BLOCKED, V.SUPERSEDED} == FINAL_VERSION_STATES
        for state in FINAL_VERSION_STATES:
            assert VERSION_MACHINE.allowed_events(state) == frozenset()


class Light(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


class Switch(StrEnum):
    PRESS = "press"
    SMASH = "smash"


class TestMachinesAreValidatedWhenDeclared:
    """A broken transition table fails at import, not in the middle of a sweep."""

    def test_a_consistent_table_is_accepted(self) -> None:
        machine = StateMachine[Light, Switch](
            "light", tuple(Light), Light.OFF, frozenset({Light.BROKEN}),
            {(Light.OFF, Switch.PRESS): Light.ON, (Light.ON, Switch.PRESS): Light.OFF,
             (Light.ON, Switch.SMASH): Light.BROKEN},
        )  # fmt: skip

        assert machine.next_state(Light.ON, Switch.SMASH) is Light.BROKEN

    def test_a_final_state_with_an_exit_is_refused(self) -> None:
        with pytest.raises(InvalidMachineDefinitionError, match="final state 'broken' has an exit"):
            StateMachine[Light, Switch](
                "light", tuple(Light), Light.OFF, frozenset({Light.BROKEN}),
                {(Light.OFF, Switch.SMASH): Light.BROKEN, (Light.BROKEN, Switch.PRESS): Light.ON,
                 (Light.ON, Switch.PRESS): Light.OFF},
            )  # fmt: skip

    def test_an_unreachable_state_is_refused(self) -> None:
        with pytest.raises(InvalidMachineDefinitionError, match="unreachable state"):
            StateMachine[Light, Switch](
                "light", tuple(Light), Light.OFF, frozenset({Light.BROKEN}),
                {(Light.OFF, Switch.SMASH): Light.BROKEN, (Light.ON, Switch.PRESS): Light.OFF},
            )  # fmt: skip

    def test_a_non_final_state_without_exit_is_refused(self) -> None:
        with pytest.raises(InvalidMachineDefinitionError, match="non-final state 'on' has no exit"):
            StateMachine[Light, Switch](
                "light", tuple(Light), Light.OFF, frozenset({Light.BROKEN}),
                {(Light.OFF, Switch.PRESS): Light.ON, (Light.OFF, Switch.SMASH): Light.BROKEN},
            )  # fmt: skip

    def test_a_transition_to_an_undeclared_state_is_refused(self) -> None:
        with pytest.raises(InvalidMachineDefinitionError, match="unknown state"):
            StateMachine[Light, Switch](
                "light", (Light.OFF, Light.BROKEN), Light.OFF, frozenset({Light.BROKEN}),
                {(Light.OFF, Switch.PRESS): Light.ON, (Light.OFF, Switch.SMASH): Light.BROKEN},
            )  # fmt: skip
