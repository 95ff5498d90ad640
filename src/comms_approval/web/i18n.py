"""Web page wording in French (default) and English, and the choice of language for a request."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("fr", "en")
LANG_COOKIE = "lang"

# key: (French, English). French is the reference text; English follows its meaning.
MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("Validation des communications conjointes", "Joint communications approval"),
    "skip": ("Aller au contenu", "Skip to content"),
    "switch_lang": ("English", "Français"),
    "switch_lang_label": ("Read this page in English", "Lire cette page en français"),
    "footer": (
        "Service de validation prévu par l'article 8 de la convention de partenariat. "
        "Aucune ressource tierce n'est chargée par cette page.",
        "Approval service under Article 8 of the partnership convention. "
        "This page loads nothing from third parties.",
    ),
    "main_nav": ("Navigation principale", "Main navigation"),
    # partner review page
    "review_kicker": ("Demande d'avis — article 8 de la convention", "Request for approval — Article 8"),
    "acting_for": ("Vous répondez au nom de :", "You are answering on behalf of:"),
    "address": ("adresse", "address"),
    "who_asks": ("Qui vous sollicite", "Who is asking"),
    "requesting_party": ("Partie à l'origine de la demande", "Requesting party"),
    "officer": ("Chargé(e) de communication", "Communication officer"),
    "convention": ("Convention", "Convention"),
    "communication": ("Communication", "Communication"),
    "version": ("Version", "Version"),
    "version_n": ("version {n}", "version {n}"),
    "file": ("Fichier", "File"),
    "pages": ("Pages", "Pages"),
    "submitted_at": ("Déposée le", "Submitted on"),
    "sha256": ("Empreinte SHA-256", "SHA-256 fingerprint"),
    "sha256_hint": (
        "Votre réponse porte sur ce fichier exact, identifié par cette empreinte.",
        "Your answer applies to this exact file, identified by this fingerprint.",
    ),
    "deadline": ("Échéance", "Deadline"),
    "deadline_consequence": (
        "Sans réponse de votre part au plus tard le {deadline}, votre accord sera réputé acquis, "
        "conformément à l'article 8 de la convention.",
        "Without an answer from you by {deadline}, your approval will be deemed given, "
        "in accordance with Article 8 of the convention.",
    ),
    "deadline_pending": (
        "L'échéance sera fixée à partir de la remise du courriel de demande ({days} jours).",
        "The deadline is fixed from the delivery of the request e-mail ({days} days).",
    ),
    "deadline_how": ("Comment l'échéance est calculée", "How the deadline is computed"),
    "remaining": ("Temps restant :", "Time left:"),
    "days_left": ("{n} jour(s) et {h} heure(s)", "{n} day(s) and {h} hour(s)"),
    "hours_left": ("{h} heure(s) et {m} minute(s)", "{h} hour(s) and {m} minute(s)"),
    "elapsed": ("échéance dépassée", "deadline passed"),
    "previews": ("Aperçu du projet", "Preview of the draft"),
    "page_n_of": ("Page {n} sur {total}", "Page {n} of {total}"),
    "page_alt": (
        "Page {n} du projet « {title} », version {v}",
        "Page {n} of the draft “{title}”, version {v}",
    ),
    "pages_truncated": (
        "Seules les {n} premières pages sont affichées.",
        "Only the first {n} pages are shown.",
    ),
    "logo_report": ("Contrôle des logos (article 8)", "Logo check (Article 8)"),
    "logo_report_intro": (
        "Chaque partie active doit figurer avec son logo en vigueur.",
        "Every active party must appear with its current logo.",
    ),
    "party": ("Partie", "Party"),
    "result": ("Résultat", "Result"),
    "where": ("Emplacement", "Where"),
    "page_short": ("page {n}", "page {n}"),
    "override": ("Dérogation", "Override"),
    "override_by": ("Dérogation motivée par {who} : « {text} »", "Override justified by {who}: “{text}”"),
    "annotated": ("Aperçu annoté", "Annotated preview"),
    "annotated_alt": (
        "Page {n} annotée : les cadres indiquent les logos repérés",
        "Annotated page {n}: frames show the logos found",
    ),
    "changes": ("Modifications depuis la version précédente", "Changes since the previous version"),
    "first_version": (
        "Il s'agit de la première version de cette communication.",
        "This is the first version of this communication.",
    ),
    "identical": ("Le fichier est identique à la version {n}.", "The file is identical to version {n}."),
    "changes_intro": (
        "Comparaison avec la version {n} : les zones modifiées sont surlignées en magenta.",
        "Compared with version {n}: changed areas are highlighted in magenta.",
    ),
    "page_changed": ("Page {n} : {pct} des pixels modifiés", "Page {n}: {pct} of the pixels changed"),
    "page_unchanged": ("Page {n} : aucune modification visible", "Page {n}: no visible change"),
    "page_added": ("Page {n} : page ajoutée", "Page {n}: page added"),
    "page_removed": ("Page {n} : page supprimée", "Page {n}: page removed"),
    "diff_alt": ("Différences sur la page {n}", "Differences on page {n}"),
    "your_answer": ("Votre réponse", "Your answer"),
    "choose": ("Choisissez votre réponse", "Choose your answer"),
    "approve": ("J'approuve", "I approve"),
    "approve_hint": ("Accord sans réserve.", "Approval without reservation."),
    "approve_with_remarks": ("J'approuve avec des remarques", "I approve with remarks"),
    "approve_with_remarks_hint": (
        "Les remarques sont transmises sans bloquer la diffusion.",
        "Remarks are passed on without blocking publication.",
    ),
    "object": ("Je m'oppose", "I object"),
    "object_hint": (
        "L'objection bloque cette version ; un motif est obligatoire.",
        "An objection blocks this version; a reason is required.",
    ),
    "text_label": ("Remarques ou motif de l'objection", "Remarks or reason for the objection"),
    "text_hint": (
        "Obligatoire pour une objection ou un accord avec remarques (5 000 caractères au plus).",
        "Required for an objection or an approval with remarks (5,000 characters at most).",
    ),
    "submit_decision": ("Enregistrer ma réponse", "Record my answer"),
    "final_notice": (
        "Votre réponse est définitive pour cette version ; un accusé de réception vous sera envoyé par courriel.",
        "Your answer is final for this version; an acknowledgement will be e-mailed to you.",
    ),
    "recorded_title": ("Réponse enregistrée", "Answer recorded"),
    "recorded_by": (
        "Réponse « {decision} » enregistrée le {when} par {who}.",
        "Answer “{decision}” recorded on {when} by {who}.",
    ),
    "recorded_text": ("Texte joint :", "Attached text:"),
    "recorded_deemed": (
        "Aucune réponse n'a été reçue avant l'échéance : votre accord est réputé acquis depuis le {when}.",
        "No answer was received by the deadline: your approval has been deemed given since {when}.",
    ),
    "thanks": (
        "Merci, votre réponse a bien été enregistrée. Un accusé de réception vous est envoyé par courriel.",
        "Thank you, your answer has been recorded. An acknowledgement is being e-mailed to you.",
    ),
    "err_choose": ("Veuillez choisir l'une des trois réponses.", "Please choose one of the three answers."),
    "err_reason": (
        "Veuillez indiquer le motif de votre objection.",
        "Please give the reason for your objection.",
    ),
    "err_remarks": ("Veuillez saisir vos remarques.", "Please write your remarks."),
    "err_too_long": ("Le texte dépasse 5 000 caractères.", "The text is longer than 5,000 characters."),
    "err_already": (
        "Une autre réponse a déjà été enregistrée pour cette version ; elle ne peut pas être modifiée. "
        "Pour toute question, veuillez contacter le chargé de communication.",
        "A different answer is already recorded for this version; it cannot be changed. "
        "Please contact the communication officer with any question.",
    ),
    "err_deadline": (
        "L'échéance est dépassée : votre silence vaut désormais accord pour cette version.",
        "The deadline has passed: your silence now counts as approval for this version.",
    ),
    "err_not_delivered": (
        "La remise de la demande n'est pas encore enregistrée ; veuillez réessayer dans quelques minutes.",
        "The delivery of the request is not registered yet; please try again in a few minutes.",
    ),
    "err_refused": ("Votre réponse n'a pas pu être enregistrée.", "Your answer could not be recorded."),
    "err_form_expired": (
        "Ce formulaire a expiré ou n'est pas valide. Veuillez recharger la page et recommencer.",
        "This form has expired or is not valid. Please reload the page and try again.",
    ),
    "err_cross_site": (
        "Cette demande ne provient pas de ce site ; elle a été refusée par sécurité.",
        "This request does not come from this site; it was refused for safety.",
    ),
    "error": ("Erreur", "Error"),
    "gone_title": ("Cette demande n'est plus ouverte", "This request is no longer open"),
    "gone_text": (
        "La version concernée a été remplacée par une nouvelle version, ou la consultation est terminée. "
        "Si une nouvelle version vous est soumise, vous recevrez un nouveau lien par courriel.",
        "The version concerned was replaced by a new version, or the consultation has ended. "
        "If a new version is submitted to you, you will receive a new link by e-mail.",
    ),
    "not_found_title": ("Page introuvable", "Page not found"),
    "not_found_text": (
        "Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier depuis le courriel reçu.",
        "This link is not valid. Please check that it was copied in full from the e-mail.",
    ),
    "forbidden_title": ("Accès refusé", "Access refused"),
    "forbidden_text": ("Vous n'avez pas accès à cette page.", "You do not have access to this page."),
    "too_large": (
        "Le fichier dépasse la taille autorisée ({mb} Mo).",
        "The file exceeds the size limit ({mb} MB).",
    ),
    # states
    "rs_pending_delivery": ("Envoi en cours", "Being delivered"),
    "rs_awaiting": ("En attente de réponse", "Awaiting answer"),
    "rs_approved": ("Accord", "Approved"),
    "rs_approved_with_remarks": ("Accord avec remarques", "Approved with remarks"),
    "rs_objected": ("Objection", "Objection"),
    "rs_deemed_approved": ("Accord tacite (silence)", "Deemed approval (silence)"),
    "rs_undeliverable": ("Non remise", "Undeliverable"),
    "rs_withdrawn": ("Retirée", "Withdrawn"),
    "vs_checking": ("Contrôle en cours", "Being checked"),
    "vs_rejected_by_check": ("Refusée au contrôle des logos", "Failed the logo check"),
    "vs_routing": ("En consultation", "Out for approval"),
    "vs_cleared": ("Validée", "Cleared"),
    "vs_blocked": ("Bloquée par une objection", "Blocked by an objection"),
    "vs_superseded": ("Remplacée", "Superseded"),
    "ls_present": ("Présent", "Present"),
    "ls_missing": ("Absent", "Missing"),
    "ls_obsolete": ("Version obsolète", "Obsolete version"),
    "ls_too_small": ("Trop petit", "Too small"),
    "ls_uncertain": ("À confirmer", "To be confirmed"),
    # sign-in
    "signin_title": ("Connexion", "Sign in"),
    "signin_intro": (
        "Les chargés de communication et les auditeurs déclarés dans une convention reçoivent un lien de "
        "connexion à usage unique par courriel. Aucun mot de passe n'est demandé.",
        "Communication officers and auditors declared in a convention receive a one-time sign-in link by "
        "e-mail. No password is needed.",
    ),
    "email_label": ("Adresse électronique professionnelle", "Work e-mail address"),
    "email_hint": ("Format attendu : nom@organisme.fr", "Expected format: name@organisation.org"),
    "send_link": ("Recevoir un lien de connexion", "Send me a sign-in link"),
    "signin_sent_title": ("Vérifiez votre messagerie", "Check your mailbox"),
    "signin_sent": (
        "Si l'adresse {email} est déclarée dans une convention, un lien de connexion valable 20 minutes "
        "vient de lui être envoyé.",
        "If {email} is declared in a convention, a sign-in link valid for 20 minutes has just been sent to it.",
    ),
    "err_email": ("Veuillez saisir une adresse électronique valide.", "Please enter a valid e-mail address."),
    "signin_confirm_title": ("Confirmer la connexion", "Confirm sign-in"),
    "signin_confirm_text": (
        "Pour des raisons de sécurité, la connexion n'a lieu qu'après votre confirmation.",
        "For security, you are signed in only once you confirm.",
    ),
    "signin_confirm": ("Me connecter", "Sign me in"),
    "signin_invalid": (
        "Ce lien de connexion n'est plus valable (déjà utilisé ou expiré). Vous pouvez en demander un nouveau.",
        "This sign-in link is no longer valid (already used or expired). You can ask for a new one.",
    ),
    "new_link": ("Demander un nouveau lien", "Ask for a new link"),
    "signout": ("Se déconnecter", "Sign out"),
    "signed_in_as": ("Connecté(e) :", "Signed in:"),
    # officer desk
    "desk": ("Bureau des chargés de communication", "Communication officers' desk"),
    "desk_short": ("Bureau", "Desk"),
    "board": ("Tableau des communications", "Communications board"),
    "new_draft": ("Déposer un projet", "Submit a draft"),
    "no_communications": ("Aucune communication pour l'instant.", "No communications yet."),
    "title": ("Titre", "Title"),
    "state": ("État", "State"),
    "parties": ("Parties consultées", "Parties asked"),
    "deadline_col": ("Échéance", "Deadline"),
    "reminders": ("Relances", "Reminders"),
    "decision": ("Décision", "Decision"),
    "reminders_n": ("Relances envoyées : {n}", "Reminders sent: {n}"),
    "decided": ("Réponse", "Answer"),
    "decided_by": ("par {who}, le {when}", "by {who}, on {when}"),
    "deemed_on": ("Silence valant accord, le {when}", "Approval by silence, on {when}"),
    "delivered": ("Remise", "Delivered"),
    "not_delivered": ("non remise", "not delivered"),
    "open": ("Ouvrir", "Open"),
    "details_of": (
        "Suivi de la communication et des versions",
        "Follow-up of the communication and its versions",
    ),
    "party_submitting": ("Partie déposante", "Submitting party"),
    "upload_title": ("Déposer un projet de communication", "Submit a draft communication"),
    "upload_intro": (
        "Le fichier est contrôlé (logos de toutes les parties) puis, s'il est conforme, transmis aux autres "
        "parties pour avis.",
        "The file is checked (every party's logo) and, if compliant, sent to the other parties for approval.",
    ),
    "for_party": ("Au nom de", "On behalf of"),
    "title_hint": (
        "Par exemple : Affiche « Semaine de l'assiduité »",
        "For example: “Attendance week” poster",
    ),
    "file_label": ("Fichier du projet", "Draft file"),
    "file_hint": (
        "PDF, PNG, JPEG ou WebP, {mb} Mo et {pages} pages au plus. Au-delà de {inline} pages, le contrôle des "
        "logos se poursuit après l’envoi : vous en suivez l’avancement. Vous pouvez aussi déposer le fichier "
        "sur cette zone.",
        "PDF, PNG, JPEG or WebP, {mb} MB and {pages} pages at most. Beyond {inline} pages, the logo check goes "
        "on after the upload: you follow its progress. You can also drop the file on this area.",
    ),
    "submit_upload": ("Contrôler et transmettre", "Check and send"),
    "new_version": ("Déposer une nouvelle version", "Submit a new version"),
    "new_version_hint": (
        "La version en cours sera remplacée : ses demandes ouvertes sont retirées et toutes les parties "
        "sont à nouveau consultées, avec un nouveau délai.",
        "The current version will be superseded: its open requests are withdrawn and every party is asked "
        "again, with a new deadline.",
    ),
    "err_title": ("Veuillez saisir un titre.", "Please enter a title."),
    "err_title_too_long": (
        "Le titre dépasse {max} caractères ; veuillez le raccourcir.",
        "The title is longer than {max} characters; please shorten it.",
    ),
    "err_file": ("Veuillez choisir un fichier.", "Please choose a file."),
    "err_party": ("Vous ne pouvez pas déposer au nom de cette partie.", "You cannot submit for this party."),
    "check_passed": (
        "Tous les logos sont présents : la version a été transmise pour avis.",
        "Every logo is present: the version was sent for approval.",
    ),
    "check_failed": (
        "Le contrôle des logos n'est pas concluant : la version n'a pas été transmise. Corrigez le projet et "
        "déposez une nouvelle version, ou enregistrez une dérogation motivée pour chaque partie concernée.",
        "The logo check failed: the version was not sent. Fix the draft and submit a new version, or record "
        "a justified override for each party concerned.",
    ),
    "checking_title": ("Contrôle des logos en cours", "Logo check in progress"),
    "checking_text": (
        "Le document compte {pages} pages : leur contrôle demande environ {minutes} min. Cette page "
        "affichera le rapport dès la fin du contrôle. Vous pouvez aussi la quitter : le contrôle se poursuit, "
        "et un courriel vous en donnera le résultat.",
        "The document has {pages} pages: checking them takes about {minutes} min. This page will show the "
        "report as soon as the check ends. You may also leave it: the check goes on, and an e-mail will tell "
        "you its result.",
    ),
    "checking_text_one": (
        "Le document compte une page : son contrôle demande environ {minutes} min. Cette page affichera le "
        "rapport dès la fin du contrôle. Vous pouvez aussi la quitter : le contrôle se poursuit, et un "
        "courriel vous en donnera le résultat.",
        "The document has one page: checking it takes about {minutes} min. This page will show the report as "
        "soon as the check ends. You may also leave it: the check goes on, and an e-mail will tell you its "
        "result.",
    ),
    "checking_progress": ("Avancement : {percent} %", "Progress: {percent} %"),
    "checking_waiting": ("Démarrage du contrôle…", "Starting the check…"),
    "checking_reload": ("Actualiser la page", "Reload the page"),
    "checking_report": (
        "Le rapport, partie par partie, s'affichera ici à la fin du contrôle.",
        "The report, party by party, will appear here when the check ends.",
    ),
    "check_error": (
        "Le contrôle des logos n'a pas pu être mené ({reason}). La version n'a pas été transmise : "
        "veuillez déposer une nouvelle version.",
        "The logo check could not be carried out ({reason}). The version was not sent: please submit a new "
        "version.",
    ),
    "override_title": ("Enregistrer une dérogation", "Record an override"),
    "override_for": ("Dérogation pour : {party}", "Override for: {party}"),
    "justification": ("Justification", "Justification"),
    "justification_hint": (
        "Par exemple : le logo figure en pied de page, en blanc sur fond bleu (10 caractères au moins). "
        "La justification est enregistrée dans le journal d'audit et montrée à toutes les parties.",
        "For example: the logo is in the footer, white on blue (10 characters at least). The justification "
        "is recorded in the audit trail and shown to every party.",
    ),
    "record_override": ("Enregistrer la dérogation", "Record the override"),
    "err_justification": (
        "La justification doit compter au moins 10 caractères.",
        "The justification needs at least 10 characters.",
    ),
    "resend_title": ("Renvoyer la demande", "Resend the request"),
    "resend_hint": (
        "Le courriel n'a pas pu être remis. Corrigez l'adresse si nécessaire : un nouveau lien est envoyé "
        "et un nouveau délai court à compter de la remise.",
        "The e-mail could not be delivered. Correct the address if needed: a new link is sent and a new "
        "period runs from delivery.",
    ),
    "resend_address": (
        "Adresse(s) du destinataire, séparées par des virgules",
        "Recipient address(es), comma-separated",
    ),
    "resend": ("Renvoyer", "Resend"),
    "resent": ("La demande a été renvoyée.", "The request was sent again."),
    "override_recorded": ("La dérogation a été enregistrée.", "The override was recorded."),
    "versions": ("Versions", "Versions"),
    "requests": ("Demandes par partie", "Requests per party"),
    "countdown_days": ("J-{n}", "D-{n}"),
    "actions": ("Actions", "Actions"),
    "read_only_officer": (
        "Seuls les chargés de communication de la partie déposante peuvent agir sur cette communication.",
        "Only the submitting party's officers can act on this communication.",
    ),
    # auditor room
    "audit_room": ("Salle des auditeurs", "Auditors' room"),
    "audit_short": ("Audit", "Audit"),
    "audit_intro": (
        "Consultation en lecture seule. Chaque page consultée est elle-même enregistrée dans le journal d'audit.",
        "Read-only access. Every page you open is itself recorded in the audit trail.",
    ),
    "chain_status": ("État de la chaîne d'audit", "Audit chain status"),
    "chain_ok": (
        "Chaîne intacte jusqu'à l'événement n° {n}, empreinte de tête {hash}",
        "Chain intact up to event no. {n}, head hash {hash}",
    ),
    "chain_broken": (
        "Chaîne rompue à l'événement n° {n} : {problem}",
        "Chain broken at event no. {n}: {problem}",
    ),
    "filters": ("Filtres", "Filters"),
    "all": ("Toutes", "All"),
    "period_from": ("Du", "From"),
    "period_to": ("Au", "To"),
    "apply": ("Filtrer", "Filter"),
    "reset": ("Réinitialiser", "Reset"),
    "export": ("Exporter le journal", "Export the trail"),
    "export_jsonl": ("Journal complet (JSONL)", "Full trail (JSONL)"),
    "export_csv": ("Journal complet (CSV)", "Full trail (CSV)"),
    "events": ("Événements", "Events"),
    "seq": ("N°", "No."),
    "when": ("Date", "When"),
    "kind": ("Type", "Kind"),
    "hash": ("Empreinte", "Hash"),
    "details": ("Détails", "Details"),
    "full_payload": ("Données complètes de l'événement", "Full event data"),
    "certificate": ("Certificat d'approbation (PDF)", "Approval certificate (PDF)"),
    "attestation": ("Attestation d'accord tacite (PDF)", "Attestation of approval by silence (PDF)"),
    "history": ("Historique", "History"),
    "no_events": ("Aucun événement ne correspond aux filtres.", "No event matches the filters."),
    "shown_n": (
        "{n} événement(s) affiché(s) (les 500 plus récents au plus).",
        "{n} event(s) shown (the 500 most recent at most).",
    ),
    "back": ("Retour", "Back"),
    # service refusals (web/refusals.py)
    "illegal_request": ("la demande", "the request"),
    "illegal_version": ("la version", "the version"),
    "illegal_transition": (
        "Cette action n'est pas possible : {what} est à l'état « {state} », qui ne permet pas {event}.",
        "This action is not possible: {what} is “{state}”, which does not allow {event}.",
    ),
    "refused_generic": (
        "Votre demande n'a pas pu être traitée. Nous vous prions de bien vouloir vérifier les informations "
        "saisies ou de réessayer ultérieurement.",
        "Your request could not be processed. Please check what you entered or try again later.",
    ),
    "refused_details": ("Message technique", "Technical message"),
    # which parties a draft names
    "named_col": ("Nommée dans le document", "Named in the document"),
    "named_yes": ("Oui", "Yes"),
    "named_no": ("Non", "No"),
    "named_without_logo": ("Nommée mais logo absent", "Named but logo missing"),
    "named_without_logo_alert": (
        "Le document nomme {n} partie(s) dont le logo en vigueur ne figure pas sur le projet (article 8).",
        "The document names {n} part(y/ies) whose current logo is not on the draft (Article 8).",
    ),
    # retention
    "purged_on": (
        "Document supprimé le {day} conformément à la politique de conservation.",
        "Document deleted on {day} under the retention policy.",
    ),
    "purged_unknown": (
        "Le document n'est plus conservé (politique de conservation).",
        "The document is no longer kept (retention policy).",
    ),
    "purged_kept": (
        "Le rapport de contrôle des logos, l'empreinte SHA-256 du fichier et l'historique des réponses "
        "restent consultables.",
        "The logo-check report, the file's SHA-256 fingerprint and the history of answers remain available.",
    ),
    "comparison_purged": (
        "La comparaison avec la version {n} n'est plus disponible : un des fichiers a été supprimé "
        "conformément à la politique de conservation.",
        "The comparison with version {n} is no longer available: one of the files was deleted under the "
        "retention policy.",
    ),
    # convention lifecycle (Articles 7 and 9)
    "conventions": ("Conventions", "Conventions"),
    "lifecycle_of": ("Vie de la convention : {title}", "Convention lifecycle: {title}"),
    "lifecycle_title": ("Vie de la convention", "Convention lifecycle"),
    "party_states": ("Situation des parties", "Parties' standing"),
    "ps_active": ("Active", "Active"),
    "ps_leaving": ("Départ le {day}", "Leaving on {day}"),
    "ps_left": ("Sortie le {day}", "Left on {day}"),
    "termination_col": ("Dénonciation (article 9)", "Termination (Article 9)"),
    "termination_received": ("Demande reçue le {day}", "Request received on {day}"),
    "reference": ("Référence du recommandé", "Registered letter reference"),
    "lifecycle_routing_hint": (
        "Une partie sortante reste consultée jusqu'à la veille de sa date de sortie ; les demandes déjà "
        "envoyées vont à leur terme.",
        "A leaving party is still asked until the day before it leaves; requests already sent run to their end.",
    ),
    "record_termination": ("Enregistrer une dénonciation", "Record a termination"),
    "termination_rule": (
        "Article 9 : la dénonciation prend effet au 1er septembre de l'année scolaire qui suit celle de la "
        "demande, avec un préavis d'au moins trois mois. La date d'effet est calculée à l'enregistrement.",
        "Article 9: a termination takes effect on 1 September of the school year after the one in which it "
        "was requested, with at least three months' notice. The effective date is computed when recorded.",
    ),
    "termination_example": (
        "Par exemple, une demande reçue aujourd'hui ({today}) prendrait effet le {day}.",
        "For example, a request received today ({today}) would take effect on {day}.",
    ),
    "requested_on_label": ("Date de réception de la demande écrite", "Date the written request was received"),
    "requested_on_hint": (
        "Format jj/mm/aaaa ; au plus tard aujourd'hui.",
        "Format dd/mm/yyyy; today at the latest.",
    ),
    "reference_hint": (
        "Numéro de la lettre recommandée avec accusé de réception (facultatif).",
        "Number of the registered letter with acknowledgement of receipt (optional).",
    ),
    "choose_party": ("— Choisir une partie —", "— Choose a party —"),
    "recorded_by_you": (
        "Enregistrement effectué sous votre nom : {who}.",
        "Recorded under your name: {who}.",
    ),
    "termination_recorded": (
        "La dénonciation de la convention par la partie « {party} » est enregistrée : elle prend effet le {day} "
        "(article 9).",
        "The termination by party “{party}” is recorded: it takes effect on {day} (Article 9).",
    ),
    "renewal_recorded": ("Le renouvellement de la convention est enregistré.", "The renewal is recorded."),
    "expiry_recorded": ("La fin de la convention est enregistrée.", "The end of the convention is recorded."),
    "term": ("Durée de la convention", "Term of the convention"),
    "in_force": ("En vigueur", "In force"),
    "not_in_force": ("Plus en vigueur", "No longer in force"),
    "signed_on": ("Signée le", "Signed on"),
    "duration": ("Durée", "Duration"),
    "duration_years": ("{n} an(s)", "{n} year(s)"),
    "tacit_yes": ("reconduction tacite", "tacit renewal"),
    "tacit_no": ("sans reconduction tacite", "no tacit renewal"),
    "renewals_recorded": ("Renouvellements enregistrés", "Renewals recorded"),
    "period_end": ("Fin de la période en cours", "End of the current period"),
    "expired_on": ("Fin de la convention", "End of the convention"),
    "none_recorded": ("aucune enregistrée", "none recorded"),
    "record_renewal": ("Enregistrer un renouvellement", "Record a renewal"),
    "renewal_hint": (
        "Article 7 : ajoute une période à la convention (utile lorsqu'elle n'est pas reconduite tacitement).",
        "Article 7: adds one period to the convention (useful when it is not renewed tacitly).",
    ),
    "record_expiry": ("Enregistrer la fin de la convention", "Record the end of the convention"),
    "expiry_hint": (
        "À compter de cette date, aucun nouveau projet ne peut être soumis ; les demandes en cours vont à "
        "leur terme.",
        "From that day no new draft can be submitted; requests in progress run to their end.",
    ),
    "expiry_date_label": (
        "Premier jour où la convention ne s'applique plus (facultatif)",
        "First day the convention no longer applies (optional)",
    ),
    "expiry_date_hint": (
        "Sans date : le lendemain de la fin de la période en cours ({day}).",
        "Without a date: the day after the current period ends ({day}).",
    ),
    "expiry_reason": ("Motif (facultatif)", "Reason (optional)"),
    "expiry_confirm": (
        "Je confirme que la convention prend fin à cette date.",
        "I confirm that the convention ends on that date.",
    ),
    "err_date": ("Veuillez indiquer une date valide (jj/mm/aaaa).", "Please give a valid date (dd/mm/yyyy)."),
    "err_confirm_expiry": (
        "Veuillez cocher la case de confirmation pour enregistrer la fin de la convention.",
        "Please tick the confirmation box to record the end of the convention.",
    ),
    # yearly report (Article 5, CDEN)
    "report_short": ("Rapport annuel", "Yearly report"),
    "yearly_report": ("Rapport annuel", "Yearly report"),
    "report_choose": ("Convention et année scolaire", "Convention and school year"),
    "school_year": ("Année scolaire", "School year"),
    "show": ("Afficher", "Show"),
    "report_scope": (
        "Projets déposés du 1er septembre au 31 août, suivis jusqu'à leur issue.",
        "Drafts submitted from 1 September to 31 August, followed to their outcome.",
    ),
    "report_files": ("Télécharger le rapport", "Download the report"),
    "report_pdf": ("Rapport (PDF)", "Report (PDF)"),
    "report_csv_summary": ("Synthèse (CSV)", "Summary (CSV)"),
    "report_csv_parties": ("Par partie (CSV)", "Per party (CSV)"),
    "report_csv_objections": ("Objections (CSV)", "Objections (CSV)"),
    "key_figures": ("Chiffres clés", "Key figures"),
    "metric": ("Indicateur", "Figure"),
    "value": ("Valeur", "Value"),
    "report_parties": ("Réponses par partie", "Answers per party"),
    "rp_requests": ("Demandes", "Requests"),
    "rp_remarks": ("Avec remarques", "With remarks"),
    "rp_silence": ("Par silence", "By silence"),
    "rp_median": ("Délai médian (jours)", "Median delay (days)"),
    "report_objections": ("Objections et motifs", "Objections and reasons"),
    "report_no_objection": ("Aucune objection cette année.", "No objection this year."),
    "m_communications": ("Communications", "Communications"),
    "m_versions": ("Versions déposées", "Versions submitted"),
    "m_versions_cleared": ("Versions validées", "Versions cleared"),
    "m_versions_blocked": ("Versions bloquées", "Versions blocked"),
    "m_versions_superseded": ("Versions remplacées", "Versions superseded"),
    "m_versions_in_progress": ("Versions en cours", "Versions in progress"),
    "m_requests": ("Demandes d'avis", "Requests for approval"),
    "m_explicit_approvals": ("Accords exprès", "Explicit approvals"),
    "m_approvals_with_remarks": ("dont avec remarques", "of which with remarks"),
    "m_silent_approvals": ("Accords tacites (silence)", "Approvals by silence"),
    "m_objections": ("Objections", "Objections"),
    "m_reminders_sent": ("Relances envoyées", "Reminders sent"),
    "m_logo_check_failures": ("Échecs du contrôle des logos", "Logo-check failures"),
    "m_logo_overrides": ("Dérogations au contrôle", "Logo-check overrides"),
    "m_median_days_to_decision": ("Délai médian de réponse (jours)", "Median time to answer (days)"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang`, with `{placeholders}` filled in; an unknown key shows itself."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def negotiate(request: Request, default: str = "fr") -> str:
    """?lang= first, then the language cookie, then Accept-Language; French when nothing says otherwise."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    header = request.headers.get("accept-language", "")
    ranked: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES:
            ranked.append((quality, primary))
    if ranked:
        return max(ranked, key=lambda item: item[0])[1]
    return default if default in LANGUAGES else "fr"
