"""The three rooms in real headless Chromium: partners answer, an officer uploads, an auditor downloads proof."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from comms_approval.clock import ManualClock
from comms_approval.services.decisions import record_decision
from comms_approval.services.submission import submit_draft
from comms_approval.services.sweep import run_sweep
from tests.browser.conftest import ARTIFACTS, LiveApp, check_accessibility, make_poster, screenshot
from tests.support.workflow import body_of, dispatch, tokens_for

pytestmark = pytest.mark.browser
OFFICER = "com@departement.example.org"
AUDITOR = "audit@cden.example.org"
PARTNERS = {
    "dsden": "communication@dsden.example.org",
    "prefet": "pref-communication@prefecture.example.org",
    "dtpjj": "dtpjj-direction@pjj.example.org",
    "caf": "direction@caf.example.org",
}
SIGNIN_LINK = re.compile(r"https?://[^\s\"'<>]+/signin/([A-Za-z0-9_-]{30,64})")


def route_poster(
    live: LiveApp,
    title: str,
    *,
    communication_id: int | None = None,
    headline: str = "L'ASSIDUITÉ",
    colour: str = "#1f4e8c",
) -> tuple[int, dict[str, str]]:
    """Submit a poster through the service (the officer test covers the upload form) and deliver the mails."""
    path = make_poster(
        live.workdir / f"poster-{abs(hash((title, headline, colour)))}.png", headline=headline, colour=colour
    )
    result = submit_draft(
        live.ctx,
        live.checker,
        convention_id="demo-absenteisme-75",
        party_id="departement",
        title=title,
        file=path,
        officer_email=OFFICER,
        communication_id=communication_id,
        original_filename="affiche-assiduite.png",
    )
    deliver(live)
    messages = live.smtp.received_messages()
    return result.communication_id, {p: tokens_for(messages, a)[-1] for p, a in PARTNERS.items()}


def deliver(live: LiveApp) -> None:
    """Send the outbox to the SMTP test server (in a thread: Playwright's loop owns this one)."""
    worker = threading.Thread(target=dispatch, args=(live.ctx, live.smtp))
    worker.start()
    worker.join(30)


def settle(page: Any) -> None:
    """Let lazy images load before a screenshot or an accessibility run."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")


def no_csp_violation(page: Any) -> None:
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def sign_in(page: Any, live: LiveApp, address: str) -> None:
    page.goto(f"{live.base_url}/signin")
    check_accessibility(page, "signin")
    page.get_by_label("Adresse électronique professionnelle").fill(address)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    check_accessibility(page, "signin-sent")
    deliver(live)
    tokens = [t for m in live.smtp.messages_to(address) for t in SIGNIN_LINK.findall(body_of(m))]
    page.goto(f"{live.base_url}/signin/{tokens[-1]}")
    check_accessibility(page, "signin-confirm")
    page.get_by_role("button", name="Me connecter").click()


def test_a_partner_approves_from_the_review_page(page: Any, live: LiveApp) -> None:
    """The CAF reads the request, chooses 'J'approuve' and sees its answer recorded, read-only."""
    _, tokens = route_poster(live, "Affiche « Semaine de l'assiduité »")
    page.goto(f"{live.base_url}/r/{tokens['caf']}")
    page.get_by_text("Vous répondez au nom de :").wait_for()
    assert page.locator("input[type=radio]:checked").count() == 0
    settle(page)
    check_accessibility(page, "review")
    screenshot(page, "review", docs=True)
    page.get_by_label("J'approuve", exact=False).first.check()
    page.get_by_role("button", name="Enregistrer ma réponse").click()
    page.get_by_text("Merci, votre réponse a bien été enregistrée").wait_for()
    assert page.locator("input[type=radio]").count() == 0
    assert "Accord" in page.locator("#answer").inner_text()
    check_accessibility(page, "review-approved")
    screenshot(page, "review-approved")
    no_csp_violation(page)


def test_another_partner_objects_with_a_reason(page: Any, live: LiveApp) -> None:
    """Without a reason the page asks for one (no JavaScript needed); with it the objection is recorded."""
    _, tokens = route_poster(
        live, "Dépliant « Chaque jour compte »", headline="CHAQUE JOUR", colour="#7a1f5c"
    )
    page.goto(f"{live.base_url}/r/{tokens['dtpjj']}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Français").click()
    page.get_by_label("Je m'oppose").check()
    page.get_by_role("button", name="Enregistrer ma réponse").click()
    page.get_by_text("Veuillez indiquer le motif de votre objection.").wait_for()
    check_accessibility(page, "review-error")
    page.get_by_label("Remarques ou motif de l'objection").fill(
        "Le logo de la PJJ est reproduit dans son ancienne version ; merci d'utiliser la charte 2025."
    )
    page.get_by_role("button", name="Enregistrer ma réponse").click()
    page.get_by_text("Merci, votre réponse a bien été enregistrée").wait_for()
    assert "ancienne version" in page.locator("blockquote").inner_text()
    screenshot(page, "review-objected")
    page.goto(f"{live.base_url}/r/{tokens['caf']}")
    assert page.get_by_role("heading", name="Cette demande n'est plus ouverte").is_visible()
    check_accessibility(page, "gone")
    page.goto(f"{live.base_url}/r/{'A' * 43}")
    assert page.get_by_role("heading", name="Page introuvable").is_visible()
    check_accessibility(page, "not-found")
    no_csp_violation(page)


def test_an_officer_signs_in_uploads_reads_the_report_and_submits_a_new_version(
    page: Any, live: LiveApp
) -> None:
    """One-time link, upload by file field, the logo report with the annotated page, then version 2."""
    sign_in(page, live, OFFICER)
    page.wait_for_url(f"{live.base_url}/desk")
    page.get_by_role("link", name="Déposer un projet").click()
    check_accessibility(page, "upload")
    page.get_by_label("Titre").fill("Affiche « Rentrée sereine »")
    page.get_by_label("Fichier du projet").set_input_files(
        str(make_poster(live.workdir / "rentree.png", headline="RENTRÉE", colour="#0b6e4f"))
    )
    page.get_by_role("button", name="Contrôler et transmettre").click()
    page.get_by_text("Tous les logos sont présents").wait_for()
    assert page.get_by_role("columnheader", name="Nommée dans le document").is_visible()
    assert page.locator("td.mention").filter(has_text="Oui").count() == 3
    settle(page)
    check_accessibility(page, "report")
    page.locator("#h-logos").scroll_into_view_if_needed()
    screenshot(page, "report", docs=True)
    page.get_by_role("link", name="Affiche « Rentrée sereine »", exact=True).click()
    page.get_by_label("Fichier du projet").set_input_files(
        str(
            make_poster(
                live.workdir / "rentree-v2.png",
                headline="RENTRÉE",
                colour="#0b6e4f",
                subtitle="Du 1er au 5 septembre 2026 — dans tous les collèges",
            )
        )
    )
    page.get_by_role("button", name="Contrôler et transmettre").click()
    page.get_by_text("Tous les logos sont présents").wait_for()
    page.get_by_role("link", name="Affiche « Rentrée sereine »", exact=True).click()
    assert page.get_by_role("heading", name=re.compile("Version 2")).is_visible()
    assert page.get_by_text("Remplacée").first.is_visible()
    check_accessibility(page, "communication")
    screenshot(page, "communication")
    page.get_by_role("link", name="Bureau").click()
    page.wait_for_url(f"{live.base_url}/desk")
    settle(page)
    check_accessibility(page, "desk")
    screenshot(page, "desk", docs=True)
    # the partner sees what changed between the versions
    deliver(live)
    token = tokens_for(live.smtp.received_messages(), PARTNERS["prefet"])[-1]
    page.goto(f"{live.base_url}/r/{token}")
    page.get_by_text("Comparaison avec la version 1").wait_for()
    page.locator("#h-changes").scroll_into_view_if_needed()
    screenshot(page, "review-changes")
    no_csp_violation(page)


def test_a_long_brochure_is_checked_apart_and_its_page_updates_itself_to_the_report(
    page: Any, live: LiveApp
) -> None:
    """Six pages go past the upload: the page says the check is running, then shows the report by itself."""
    posters = [
        make_poster(live.workdir / f"brochure-{n}.png", headline=f"PAGE {n}", colour="#6b2c91")
        for n in range(6)
    ]
    images = [Image.open(p).convert("RGB") for p in posters]
    brochure = live.workdir / "brochure-assiduite.pdf"
    images[0].save(brochure, save_all=True, append_images=images[1:], resolution=100)
    live.checker.gate = threading.Event()
    try:
        sign_in(page, live, OFFICER)
        page.wait_for_url(f"{live.base_url}/desk")
        page.get_by_role("link", name="Déposer un projet").click()
        page.get_by_label("Titre").fill("Brochure « Assiduité »")
        page.get_by_label("Fichier du projet").set_input_files(str(brochure))
        page.get_by_role("button", name="Contrôler et transmettre").click()
        page.get_by_text("Contrôle des logos en cours").wait_for()
        assert page.get_by_text("Le document compte 6 pages").is_visible()
        assert page.locator("#h-annotated").count() == 0
        # the page asks how far the check went (app.js) and shows it without reloading
        page.get_by_text("Avancement : 42 %").wait_for(timeout=15_000)
        assert page.locator("progress#check-progress").get_attribute("value") in ("42", "42.0")
        check_accessibility(page, "version-checking")
        screenshot(page, "version-checking")
        live.checker.gate.set()
        # No click: the page's own refresh (every 5 s) brings the report.
        page.get_by_text("Tous les logos sont présents").wait_for(timeout=20_000)
        assert page.locator("#checking").count() == 0
        no_csp_violation(page)
    finally:
        live.checker.gate.set()
        live.checker.gate = None


def test_an_officer_records_a_partys_termination_on_the_convention_page(page: Any, live: LiveApp) -> None:
    """From the desk to the convention page: the officer records their own party's letter (the Département's;
    another party's goes through the administrator), and its effective date is shown."""
    sign_in(page, live, OFFICER)
    page.wait_for_url(f"{live.base_url}/desk")
    page.get_by_role("link", name=re.compile("Vie de la convention")).click()
    page.get_by_role("heading", name="Vie de la convention").wait_for()
    check_accessibility(page, "lifecycle-form")
    page.get_by_label("Partie", exact=True).select_option("departement")
    page.get_by_label("Date de réception de la demande écrite").fill("2026-04-20")
    page.get_by_label("Référence du recommandé").fill("1A 234 567 8901 2")
    page.get_by_role("button", name="Enregistrer une dénonciation").click()
    page.get_by_text("elle prend effet le mardi 1er septembre 2026").wait_for()
    assert page.get_by_text("Départ le mardi 1er septembre 2026").is_visible()
    check_accessibility(page, "lifecycle")
    screenshot(page, "lifecycle", docs=True)
    no_csp_violation(page)


def test_an_auditor_reads_the_history_and_downloads_a_certificate(page: Any, live: LiveApp) -> None:
    """Three answers and one silence: the auditor sees the chain status and gets the certificate PDF."""
    communication_id, tokens = route_poster(
        live, "Kakemono « Assiduité »", headline="KAKEMONO", colour="#3d348b"
    )
    record_decision(live.ctx, token=tokens["dsden"], decision="approve")
    record_decision(
        live.ctx,
        token=tokens["prefet"],
        decision="approve_with_remarks",
        text="Merci de citer la préfecture en toutes lettres.",
    )
    record_decision(live.ctx, token=tokens["dtpjj"], decision="approve")
    assert isinstance(live.ctx.clock, ManualClock)
    live.ctx.clock.advance(timedelta(days=25))  # the last test of the run: the CAF's silence becomes approval
    run_sweep(live.ctx)
    sign_in(page, live, AUDITOR)
    page.wait_for_url(f"{live.base_url}/audit")
    assert page.get_by_text(re.compile("Chaîne intacte jusqu'à l'événement n°")).is_visible()
    check_accessibility(page, "audit")
    screenshot(page, "audit", docs=True)
    page.get_by_role("link", name="Kakemono « Assiduité »").first.click()
    check_accessibility(page, "audit-communication")
    screenshot(page, "audit-communication")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Certificat d'approbation (PDF)").click()
    download = download_info.value
    target = ARTIFACTS / "certificat.pdf"
    download.save_as(str(target))
    assert Path(target).read_bytes().startswith(b"%PDF")
    with page.expect_download() as attestation_info:
        page.locator("a[href$='/attestation.pdf']").first.click()
    attestation_info.value.save_as(str(ARTIFACTS / "attestation.pdf"))
    assert (ARTIFACTS / "attestation.pdf").read_bytes().startswith(b"%PDF")
    assert communication_id > 0
    # the yearly report for the CDEN: figures on the page, the PDF as a download
    page.get_by_role("link", name="Rapport annuel").click()
    page.get_by_role("heading", name=re.compile("Rapport annuel 2025-2026")).wait_for()
    assert (
        page.get_by_role("cell", name="Accords tacites (silence)").is_visible()
        or page.get_by_text("Accords tacites (silence)").first.is_visible()
    )
    check_accessibility(page, "yearly-report")
    screenshot(page, "yearly-report", docs=True)
    with page.expect_download() as report_info:
        page.get_by_role("link", name="Rapport (PDF)").click()
    report_info.value.save_as(str(ARTIFACTS / "rapport-annuel.pdf"))
    assert (ARTIFACTS / "rapport-annuel.pdf").read_bytes().startswith(b"%PDF")
    no_csp_violation(page)
