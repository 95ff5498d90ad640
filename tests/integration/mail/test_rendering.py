"""The mail templates, in French and English: key sentences, the written-out deadline, and hostile input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from comms_approval.adapters.mail.render import (
    MAIL_KINDS,
    MailRenderer,
    RenderedMail,
    datetime_text,
    deadline_sentence,
    deadline_text,
    long_date,
)

PARIS = ZoneInfo("Europe/Paris")
# Delivered Thursday 23 April 2026; day 15 is Friday 8 May (holiday) -> Monday 11 May 24:00 (DESIGN.md).
DEADLINE = datetime(2026, 5, 12, 0, 0, tzinfo=PARIS)
HOSTILE = "Affiche <script>alert('x')</script>\r\nBcc: all@evil.example"
SHA = "3f9a0c5e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a"


def plain(text: str) -> str:
    """French typography uses no-break spaces; compare words, not space characters."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def base_context(**overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "convention_title": "Convention Sciences en Alsace 2026-2030",
        "requesting_party": "Université de Strasbourg",
        "officer_email": "com@unistra.example",
        "recipient_party": "Région Grand Est",
        "communication_title": "Affiche de la Fête de la science",
        "version": 1,
        "sha256": SHA,
        "review_url": "https://approve.example/r/AbCdEf0123456789",
        "deadline": DEADLINE,
        "timezone": "Europe/Paris",
        "logo_check": [
            {"party": "Université de Strasbourg", "found": True, "override": None},
            {
                "party": "CNRS",
                "found": False,
                "override": {"officer": "com@unistra.example", "justification": "Logo blanc sur fond sombre"},
            },
        ],
        "delivered_at": datetime(2026, 4, 23, 10, 30, tzinfo=PARIS),
        "reminder_kind": "after_delivery",
        "reminder_days": 7,
        "decision": "approved",
        "remarks": None,
        "decided_by": "dircom@grandest.example",
        "decided_at": datetime(2026, 4, 27, 14, 5, tzinfo=PARIS),
        "outcome": "cleared",
        "concluded_at": DEADLINE,
        "parties": [
            {"name": "Université de Strasbourg", "outcome": "submitted", "decided_at": None,
             "decided_by": None, "remarks": None, "deadline": None},
            {"name": "Région Grand Est", "outcome": "approved_with_remarks",
             "decided_at": datetime(2026, 4, 27, 14, 5, tzinfo=PARIS),
             "decided_by": "dircom@grandest.example", "remarks": "Agrandir notre logo", "deadline": None},
            {"name": "Ville de Strasbourg", "outcome": "deemed_approved", "decided_at": None,
             "decided_by": None, "remarks": None, "deadline": DEADLINE},
        ],
        "audit_head_hash": "9b1e" * 16,
        "party": "Région Grand Est",
        "address": "dircom@grandest.example",
        "smtp_code": 550,
        "smtp_detail": "5.1.1 User unknown",
        "failed_at": datetime(2026, 4, 23, 10, 31, tzinfo=PARIS),
        "reason": "new_version",
        "new_version": 2,
        "signin_url": "https://approve.example/auth/xyz",
        "valid_minutes": 15,
        "email": "auditeur@unistra.example",
        "check_outcome": "held",
        "pages": 24,
        "finished_at": datetime(2026, 4, 23, 10, 41, tzinfo=PARIS),
        "parties_asked": 4,
        "missing": [{"party": "CNRS", "status": "version obsolète"}, {"party": "Ville de Strasbourg", "status": "absent"}],
        "error": None,
        "version_url": "https://approve.example/desk/versions/12",
    }  # fmt: skip
    context.update(overrides)
    return context


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer()


def render(renderer: MailRenderer, kind: str, lang: str = "fr", **overrides: Any) -> RenderedMail:
    return renderer.render(kind, lang, base_context(**overrides))


class TestCheckCompleted:
    """To the officer who left the page of a long draft's check: how it ended and what to do."""

    def test_a_held_version_lists_each_party_and_what_to_do(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "check_completed", "fr")
        text = plain(mail.text)
        assert (
            plain(mail.subject)
            == "Contrôle terminé, logos à revoir : « Affiche de la Fête de la science » (version 1)"
        )
        assert "(version 1, 24 pages) s’est achevé le jeudi 23 avril 2026 à 10 h 41 (heure de Paris)" in text
        assert "- CNRS : version obsolète - Ville de Strasbourg : absent" in text
        assert "enregistrez une dérogation motivée" in text
        assert "https://approve.example/desk/versions/12" in mail.text + mail.html

    def test_a_routed_version_says_how_many_parties_were_asked(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "check_completed", "en", check_outcome="routed")
        assert mail.subject.startswith("Check complete, version sent")
        assert "sent for approval to 4 parties" in plain(mail.text)
        assert "What to do" not in mail.text

    def test_a_check_that_could_not_run_gives_its_reason(self, renderer: MailRenderer) -> None:
        mail = render(
            renderer, "check_completed", "fr", check_outcome="failed", error="la page 5 est endommagée"
        )
        assert plain(mail.subject).startswith("Contrôle impossible :")
        assert "n’a pas pu être mené (la page 5 est endommagée)" in plain(mail.text)
        assert "n’a pas pu être mené (la page 5 est endommagée)" in plain(re.sub(r"<[^>]+>", "", mail.html))


class TestEveryKindRenders:
    @pytest.mark.parametrize("lang", ["fr", "en"])
    @pytest.mark.parametrize("kind", MAIL_KINDS)
    def test_each_kind_renders_a_one_line_subject_a_text_part_and_an_html_part(
        self, renderer: MailRenderer, kind: str, lang: str
    ) -> None:
        mail = render(renderer, kind, lang)

        assert mail.subject and "\n" not in mail.subject and "\r" not in mail.subject
        assert mail.text.endswith("\n") and "\n\n\n" not in mail.text
        assert mail.html.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in mail.html
        assert "max-width:640px" in mail.html
        assert "{{" not in mail.text + mail.html and "{%" not in mail.text + mail.html

    @pytest.mark.parametrize("kind", MAIL_KINDS)
    def test_french_parts_use_no_break_spaces_before_colons(self, renderer: MailRenderer, kind: str) -> None:
        mail = render(renderer, kind, "fr")

        for part in (mail.subject, mail.text, re.sub(r"<[^>]+>", "", mail.html)):
            # A colon after a word and a plain space is a typography error in French (URLs excluded).
            assert not re.search(r"[^\s/] :", part), part
            assert "« " not in part and " »" not in part

    def test_a_missing_context_key_is_an_error_not_a_hole_in_the_mail(self, renderer: MailRenderer) -> None:
        context = base_context()
        del context["deadline"]
        with pytest.raises(UndefinedError):
            renderer.render("request", "fr", context)

    def test_unknown_kinds_and_languages_are_refused(self, renderer: MailRenderer) -> None:
        with pytest.raises(ValueError, match="unknown mail kind"):
            renderer.render("invoice", "fr", base_context())
        with pytest.raises(ValueError, match="no e-mail templates for language"):
            renderer.render("request", "de", base_context())

    def test_a_regional_language_tag_uses_its_base_language(self, renderer: MailRenderer) -> None:
        assert render(renderer, "signin", "fr-FR").subject.startswith("Votre lien")

    def test_a_missing_templates_folder_is_reported(self, tmp_path: Path) -> None:
        with pytest.raises(FileNotFoundError):
            MailRenderer(tmp_path / "nowhere")


class TestRequest:
    def test_french_request_writes_the_deadline_out_with_its_legal_meaning(
        self, renderer: MailRenderer
    ) -> None:
        mail = render(renderer, "request", "fr")

        sentence = (
            "Sans réponse de votre part au plus tard le lundi 11 mai 2026 à 24 h (heure de Paris), "
            "votre accord sera réputé acquis, conformément à l’article 8 de la convention."
        )
        assert sentence in plain(mail.text)
        assert sentence in plain(mail.html)
        assert plain(mail.text).startswith("Madame, Monsieur,")
        assert "Nous vous prions d’agréer, Madame, Monsieur, nos salutations distinguées." in plain(mail.text)

    def test_request_names_the_parties_the_version_the_hash_and_the_link(
        self, renderer: MailRenderer
    ) -> None:
        mail = render(renderer, "request", "fr")
        text = plain(mail.text)

        assert "Région Grand Est" in text and "Université de Strasbourg (com@unistra.example)" in text
        assert "« Affiche de la Fête de la science », version 1" in text
        assert f"Empreinte SHA-256 : {SHA}" in text
        assert "(3f9a0c5e1b2d…)" in text
        assert "https://approve.example/r/AbCdEf0123456789" in text
        assert 'href="https://approve.example/r/AbCdEf0123456789"' in mail.html
        assert "fichier d’agenda joint (.ics)" in text

    def test_request_shows_the_logo_override_and_its_justification(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "request", "fr")

        assert "CNRS : logo non détecté automatiquement ; com@unistra.example a attesté sa présence" in plain(
            mail.text
        )
        assert "« Logo blanc sur fond sombre »" in plain(mail.text)
        assert "dérogation" in mail.html and "Logo blanc sur fond sombre" in mail.html

    def test_what_changed_appears_from_version_two_only(self, renderer: MailRenderer) -> None:
        first = render(renderer, "request", "fr", changes="Logo du CNRS remplacé")
        second = render(renderer, "request", "fr", version=2, changes="Logo du CNRS remplacé")

        assert "Logo du CNRS remplacé" not in first.text
        assert "CE QUI A CHANGÉ DEPUIS LA VERSION 1" in second.text
        assert "Logo du CNRS remplacé" in second.html

    def test_the_inline_preview_is_referenced_by_its_content_id(self, renderer: MailRenderer) -> None:
        with_preview = render(renderer, "request", "fr", preview_cid="preview-7@comms-approval.localhost")
        without = render(renderer, "request", "fr")

        assert 'src="cid:preview-7@comms-approval.localhost"' in with_preview.html
        assert "cid:" not in without.html

    def test_english_request_states_the_same_deadline(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "request", "en")

        assert (
            "If we have not received your answer by Monday 11 May 2026 at 24:00 (Paris time), your approval "
            "will be deemed given, in accordance with Article 8 of the agreement."
        ) in plain(mail.text)
        assert mail.subject == 'Approval requested: "Affiche de la Fête de la science"'


class TestHostileInput:
    @pytest.mark.parametrize("lang", ["fr", "en"])
    @pytest.mark.parametrize("kind", ["request", "reminder", "acknowledgement", "conclusion", "withdrawn"])
    def test_a_hostile_title_is_escaped_in_html_and_cannot_break_lines(
        self, renderer: MailRenderer, kind: str, lang: str
    ) -> None:
        mail = render(renderer, kind, lang, communication_title=HOSTILE, recipient_party="<b>Évil</b>")

        assert "<script>" not in mail.html and "<b>Évil</b>" not in mail.html
        assert "&lt;script&gt;" in mail.html
        assert "\r" not in mail.subject and "\n" not in mail.subject
        assert "Bcc: all@evil.example" in mail.subject  # kept as visible text, on the same line
        assert not any(line.startswith("Bcc:") for line in mail.text.splitlines())

    def test_hostile_remarks_are_escaped_but_keep_their_line_breaks_in_html(
        self, renderer: MailRenderer
    ) -> None:
        mail = render(
            renderer,
            "acknowledgement",
            "fr",
            decision="objected",
            remarks='<img src=x onerror="alert(1)">\nLigne 2',
        )

        assert "<img src=x" not in mail.html
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in mail.html
        assert "white-space:pre-line" in mail.html
        assert "Motif de l’opposition" in plain(mail.text)


class TestOtherKinds:
    def test_reminder_says_which_reminder_and_the_exact_deadline(self, renderer: MailRenderer) -> None:
        after = render(renderer, "reminder", "fr")
        before = render(renderer, "reminder", "fr", reminder_kind="before_deadline", reminder_days=2)

        assert "relance, adressée 7 jours après la transmission de la demande" in plain(after.text)
        assert "relance, adressée 2 jours avant l’échéance" in plain(before.text)
        assert "au plus tard le lundi 11 mai 2026 à 24 h (heure de Paris)" in plain(before.text)
        assert "jeudi 23 avril 2026 à 10 h 30 (heure de Paris)" in plain(after.text)
        assert "avant le lundi 11 mai 2026 à 24 h" in plain(after.subject)

    @pytest.mark.parametrize(
        ("decision", "remarks", "expected"),
        [
            ("approved", None, "Décision : accord"),
            ("approved_with_remarks", "Agrandir le logo", "Remarques : « Agrandir le logo »"),
            ("objected", "Logo obsolète", "Motif de l’opposition : « Logo obsolète »"),
        ],
    )
    def test_acknowledgement_confirms_the_decision_who_and_when(
        self, renderer: MailRenderer, decision: str, remarks: str | None, expected: str
    ) -> None:
        mail = render(renderer, "acknowledgement", "fr", decision=decision, remarks=remarks)
        text = plain(mail.text)

        assert expected in text
        assert "Exprimée par : dircom@grandest.example" in text
        assert "Enregistrée le : lundi 27 avril 2026 à 14 h 05 (heure de Paris)" in text

    def test_conclusion_lists_each_party_and_the_audit_anchor(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "conclusion", "fr", audit_head_seq=42)
        text = plain(mail.text)

        assert mail.subject.startswith("Communication validée")
        assert "Université de Strasbourg : à l’origine de la demande" in text
        assert "Région Grand Est : accord avec remarques du lundi 27 avril 2026 à 14 h 05" in text
        assert "Remarques : « Agrandir notre logo »" in text
        assert (
            "Ville de Strasbourg : accord tacite : aucune réponse à l’échéance du lundi 11 mai 2026 à 24 h"
        ) in text
        assert f"Empreinte de la piste d’audit : {'9b1e' * 16} (événement n° 42)" in text
        assert "9b1e" * 16 in mail.html

    def test_a_blocked_conclusion_shows_the_objection_and_its_reason(self, renderer: MailRenderer) -> None:
        parties = [
            {"name": "CNRS", "outcome": "objected", "decided_at": datetime(2026, 4, 24, 9, 0, tzinfo=PARIS),
             "decided_by": "com@cnrs.example", "remarks": "Ancien logo", "deadline": None},
            {"name": "Ville de Strasbourg", "outcome": "withdrawn", "decided_at": None, "decided_by": None,
             "remarks": None, "deadline": None},
        ]  # fmt: skip
        mail = render(renderer, "conclusion", "en", outcome="blocked", parties=parties)
        text = plain(mail.text)

        assert mail.subject.startswith("Communication blocked")
        assert "CNRS: objection on Friday 24 April 2026 at 09:00 (Paris time)" in text
        assert 'Reason: "Ancien logo"' in text
        assert "Ville de Strasbourg: request withdrawn" in text

    def test_delivery_failure_tells_the_officer_the_code_and_what_to_do(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "delivery_failure", "fr", status_url="https://approve.example/c/7")
        text = plain(mail.text)

        assert "n’a pas pu être remise à Région Grand Est" in text
        assert "550 5.1.1 User unknown" in text
        assert "corrigez-la dans la convention" in text and "https://approve.example/c/7" in text
        assert "aucun délai ne court pour cette partie" in text

    def test_withdrawn_explains_why_and_asks_for_nothing(self, renderer: MailRenderer) -> None:
        new_version = plain(render(renderer, "withdrawn", "fr").text)
        objection = plain(
            render(
                renderer, "withdrawn", "fr", reason="objection", new_version=None, objecting_party="CNRS"
            ).text
        )

        assert "une nouvelle version (version 2) a été soumise" in new_version
        assert "CNRS s’est opposée à cette version" in objection
        assert "Aucune action n’est attendue de votre part" in objection

    def test_signin_gives_the_link_and_its_lifetime(self, renderer: MailRenderer) -> None:
        mail = render(renderer, "signin", "en")

        assert "https://approve.example/auth/xyz" in mail.text
        assert "valid for 15 minutes and works only once" in mail.text
        assert mail.subject == "Your sign-in link (valid for 15 minutes)"


class TestDatesInWords:
    def test_midnight_is_written_as_24_h_of_the_previous_day(self) -> None:
        assert (
            plain(deadline_text(DEADLINE, "Europe/Paris", "fr"))
            == "lundi 11 mai 2026 à 24 h (heure de Paris)"
        )
        assert deadline_text(DEADLINE, "Europe/Paris", "en") == "Monday 11 May 2026 at 24:00 (Paris time)"

    def test_a_deadline_given_in_utc_is_written_in_the_convention_time_zone(self) -> None:
        in_utc = datetime(2026, 5, 11, 22, 0, tzinfo=UTC)
        assert (
            plain(deadline_text(in_utc, "Europe/Paris", "fr")) == "lundi 11 mai 2026 à 24 h (heure de Paris)"
        )

    def test_overseas_time_zones_are_named(self) -> None:
        deadline = datetime(2026, 5, 12, 0, 0, tzinfo=ZoneInfo("Indian/Reunion"))
        assert plain(deadline_text(deadline, "Indian/Reunion", "fr")).endswith("(heure de La Réunion)")
        assert plain(deadline_text(deadline, "Asia/Tokyo", "fr")).endswith("(heure locale, Asia/Tokyo)")

    def test_the_first_of_the_month_is_written_1er_in_french(self) -> None:
        assert long_date(date(2026, 6, 1), "fr") == "lundi 1er juin 2026"
        assert long_date(date(2026, 6, 1), "en") == "Monday 1 June 2026"

    def test_times_with_minutes(self) -> None:
        instant = datetime(2026, 4, 23, 8, 5, tzinfo=UTC)
        assert (
            plain(datetime_text(instant, "Europe/Paris", "fr"))
            == "jeudi 23 avril 2026 à 10 h 05 (heure de Paris)"
        )
        assert datetime_text(instant, "Europe/Paris", "en") == "Thursday 23 April 2026 at 10:05 (Paris time)"

    def test_the_calendar_events_title_speaks_the_partners_language(self) -> None:
        """An English-speaking partner's calendar shows an English title (it was French for everyone)."""
        from comms_approval.adapters.mail.render import deadline_event_title

        assert plain(deadline_event_title("Affiche\n« Assiduité »", 2, "fr")) == (
            "Échéance : avis sur « Affiche « Assiduité » » (v2)"
        )
        assert deadline_event_title("Poster", 1, "en") == "Deadline: opinion on “Poster” (v1)"

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            deadline_sentence(datetime(2026, 5, 12), "Europe/Paris", "fr")  # noqa: DTZ001 -- the point of the test
