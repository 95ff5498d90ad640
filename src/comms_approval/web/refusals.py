"""Service refusals in the page's language: the services speak English to operators, the pages speak French."""

from __future__ import annotations

import re
from dataclasses import dataclass

from comms_approval.domain.errors import (
    CommsApprovalError,
    DecisionRefused,
    DocumentError,
    IllegalTransition,
    NotFound,
    SubmissionRefused,
)
from comms_approval.services.lifecycle import LifecycleRefused
from comms_approval.web.i18n import t


@dataclass(frozen=True)
class Refusal:
    """What a page shows: a sentence in the page's language, and the service's own words when unmatched."""

    text: str
    raw: str | None = None


# (error class, pattern on the service's message, French, English): {names} come from the pattern's groups.
# Some services already speak French (expired convention, party that left): they get an English version.
_TABLE: tuple[tuple[type[CommsApprovalError], str, str, str], ...] = (
    (SubmissionRefused, r"party '(?P<party>[^']+)' is not in convention '(?P<convention>[^']+)'",
     "La partie « {party} » ne fait pas partie de la convention « {convention} ».",
     "Party “{party}” is not part of convention “{convention}”."),
    (SubmissionRefused, r"party '(?P<party>[^']+)' declares no officer",
     "Aucun chargé de communication n’est déclaré pour la partie « {party} ».",
     "No communication officer is declared for party “{party}”."),
    (SubmissionRefused, r"(?P<email>\S+) is not an officer of the submitting party",
     "L’adresse {email} n’est pas celle d’un chargé de communication de la partie qui a déposé ce projet.",
     "{email} is not an officer of the party that submitted this draft."),
    (SubmissionRefused, r"(?P<email>\S+) is not an officer of (?P<party>.+) in this convention",
     "L’adresse {email} n’est pas celle d’un chargé de communication de {party} dans cette convention.",
     "{email} is not a communication officer of {party} in this convention."),
    (SubmissionRefused, r"(?P<email>\S+) is not an approver of (?P<party>\S+) in this convention",
     "L’adresse {email} n’est pas celle d’une personne habilitée à donner l’accord de la partie « {party} » : "
     "corrigez d’abord la liste de la convention, puis renvoyez la demande.",
     "{email} is not an approver of party “{party}”: correct the convention’s roster first, then resend."),
    (SubmissionRefused, r"a communication needs a title",
     "Veuillez donner un titre à la communication.",
     "Please give the communication a title."),
    (SubmissionRefused, r"a new version must come from the party that submitted",
     "Une nouvelle version doit être déposée par la partie à l’origine de la communication.",
     "A new version must come from the party that submitted the communication."),
    (SubmissionRefused, r"version (?P<n>\d+) is (?P<state>\w+); overrides apply to a failed check",
     "La version {n} est à l’état « {state_fr} » : une dérogation ne s’applique qu’à un contrôle des logos "
     "non concluant.",
     "Version {n} is “{state_en}”: an override only applies to a failed logo check."),
    (SubmissionRefused, r"override for unknown party '(?P<party>[^']+)'",
     "La dérogation vise une partie inconnue (« {party} »).",
     "The override names an unknown party (“{party}”)."),
    (SubmissionRefused, r"an override needs a written justification",
     "Une dérogation doit être justifiée par écrit (10 caractères au moins).",
     "An override needs a written justification (10 characters at least)."),
    (SubmissionRefused, r"no other active party to ask",
     "Aucune autre partie active de la convention ne peut être consultée.",
     "No other active party of the convention can be asked."),
    (SubmissionRefused, r"bad e-mail address '(?P<address>[^']*)'",
     "L’adresse électronique « {address} » n’est pas valide.",
     "The e-mail address “{address}” is not valid."),
    (SubmissionRefused, r"^La convention (?P<convention>\S+) a pris fin le (?P<day>[^:]+?) :",
     "{raw}",
     "Convention {convention} ended on {day}: new drafts can no longer be submitted under it "
     "(requests already sent run to their end)."),
    (SubmissionRefused, r"^La convention (?P<convention>\S+) est arrivée à échéance le (?P<day>.+?) sans",
     "{raw}",
     "Convention {convention} ended on {day} and was not renewed."),
    (SubmissionRefused, r"^La convention (?P<convention>\S+) ne s’applique qu’à compter du (?P<day>.+?)\.?$",
     "{raw}",
     "Convention {convention} applies only from {day}."),
    (SubmissionRefused, r"^(?P<party>.+) a quitté la convention le (?P<day>.+?) \(article 9\)",
     "{raw}",
     "{party} left the convention on {day} (Article 9): it can no longer submit drafts under it."),
    (DecisionRefused, r"text too long \((?P<n>\d+) characters, (?P<max>\d+) at most\)",
     "Le texte est trop long ({n} caractères ; {max} au plus).",
     "The text is too long ({n} characters; {max} at most)."),
    (DecisionRefused, r"an objection needs a reason",
     "Veuillez indiquer le motif de votre objection.",
     "Please give the reason for your objection."),
    (DecisionRefused, r"an approval with remarks needs the remarks",
     "Veuillez écrire vos remarques.",
     "Please write your remarks."),
    (DecisionRefused, r"(?P<email>\S+) is not an approver of (?P<party>\S+)",
     "L’adresse {email} n’est pas habilitée à répondre au nom de « {party} ».",
     "{email} may not answer on behalf of “{party}”."),
    (DecisionRefused, r"a different decision is already recorded",
     "Une autre réponse est déjà enregistrée pour cette version ; elle est définitive.",
     "A different answer is already recorded for this version; it is final."),
    (DecisionRefused, r"the deadline has passed",
     "Le délai est écoulé : le silence vaut déjà accord.",
     "The deadline has passed: silence already counts as approval."),
    (DecisionRefused, r"not yet registered as delivered",
     "L’envoi de cette demande n’est pas encore confirmé ; veuillez réessayer dans quelques minutes.",
     "This request is not yet registered as delivered; please retry in a few minutes."),
    (NotFound, r"unknown request",
     "Cette demande est introuvable.", "This request cannot be found."),
    (NotFound, r"unknown version",
     "Cette version est introuvable.", "This version cannot be found."),
    (NotFound, r"unknown convention",
     "Cette convention est introuvable.", "This convention cannot be found."),
    (NotFound, r"party '(?P<party>[^']+)' is not in convention",
     "La partie « {party} » ne fait pas partie de cette convention.",
     "Party “{party}” is not part of this convention."),
)  # fmt: skip
_COMPILED = tuple((cls, re.compile(pattern), fr, en) for cls, pattern, fr, en in _TABLE)
_EVENTS = {
    # request and version events, as an officer would say them
    "deliver": ("la remise", "delivery"),
    "fail_delivery": ("l’échec de remise", "a delivery failure"),
    "bounce": ("le retour en erreur", "a bounce"),
    "resend": ("le renvoi", "a resend"),
    "approve": ("l’accord", "an approval"),
    "approve_with_remarks": ("l’accord avec remarques", "an approval with remarks"),
    "object": ("l’objection", "an objection"),
    "deem_approved": ("l’accord tacite", "approval by silence"),
    "withdraw": ("le retrait", "a withdrawal"),
}
_MACHINE_PREFIX = {"request": "rs_", "version": "vs_"}


def _state(kind: str, state: str, lang: str) -> str:
    return t(_MACHINE_PREFIX.get(kind, "rs_") + state, lang) if kind in _MACHINE_PREFIX else state


def explain(exc: CommsApprovalError, lang: str) -> Refusal:
    """The refusal in `lang`; an unknown message gets a polite generic sentence and its raw text."""
    english = lang == "en"
    if isinstance(exc, LifecycleRefused | DocumentError):
        return Refusal(exc.message_en if english else exc.message_fr)
    if isinstance(exc, IllegalTransition):
        label = _state(exc.machine, exc.state, lang)
        event = _EVENTS.get(exc.event, (exc.event, exc.event))[1 if english else 0]
        what = t("illegal_request" if exc.machine == "request" else "illegal_version", lang)
        return Refusal(t("illegal_transition", lang, what=what, state=label, event=event))
    message = str(exc)
    for cls, pattern, fr, en in _COMPILED:
        if not isinstance(exc, cls):
            continue
        found = pattern.search(message)
        if found is None:
            continue
        values = {key: value.strip() for key, value in found.groupdict().items()}
        if "state" in values:
            values["state_fr"] = _state("version", values["state"], "fr")
            values["state_en"] = _state("version", values["state"], "en")
        return Refusal((en if english else fr).format(raw=message, **values))
    return Refusal(t("refused_generic", lang), raw=message)
