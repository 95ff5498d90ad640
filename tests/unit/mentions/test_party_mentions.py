"""Finding which parties a text names: accents, capitals, line breaks, hyphenation, and no false hits."""

from __future__ import annotations

import pytest

from comms_approval.adapters.convention_file import load_convention
from comms_approval.domain.convention import Convention
from comms_approval.domain.mentions import find_mentions, fold, form_pattern, merge_pages, party_forms
from tests.conftest import DEMO_CONVENTION


@pytest.fixture(scope="module")
def convention() -> Convention:
    return load_convention(DEMO_CONVENTION)


def named(text: str, convention: Convention) -> set[str]:
    return {party for party, found in find_mentions(text, convention.parties).items() if found.named}


class TestTolerance:
    def test_capitals_and_missing_accents_still_name_the_party(self, convention: Convention) -> None:
        """'CAISSE D'ALLOCATIONS FAMILIALES' and 'prefecture' (no accent) are the CAF and the prefecture."""
        assert named("Avec la CAISSE D'ALLOCATIONS FAMILIALES et la prefecture", convention) == {
            "caf",
            "prefet",
        }

    def test_a_name_split_over_two_lines_is_found(self, convention: Convention) -> None:
        """A line break is just a space."""
        found = find_mentions("le Conseil\ndépartemental soutient", convention.parties)["departement"]
        assert found.forms == ("Conseil départemental",)
        assert found.mentions[0].text == "Conseil\ndépartemental"

    def test_a_word_hyphenated_at_a_line_end_is_joined(self, convention: Convention) -> None:
        """'protec-' + newline + 'tion' is 'protection'; positions point into the original text."""
        text = "Direction territoriale de la protec-\n  tion judiciaire de la jeunesse"
        mention = find_mentions(text, convention.parties)["dtpjj"].mentions[0]
        assert mention.form == "Direction territoriale de la protection judiciaire de la jeunesse"
        assert (mention.start, mention.end) == (0, len(text))

    def test_a_real_hyphen_at_a_line_end_also_matches_a_hyphenated_name(self) -> None:
        """'Seine-' + newline + 'Saint-Denis' keeps its hyphen; the form with hyphens matches."""
        found = find_mentions("Département de la Seine-\nSaint-Denis", {"cd93": ["Seine-Saint-Denis"]})
        assert found["cd93"].named

    def test_typographic_apostrophes_and_ligatures_are_folded(self) -> None:
        """’ and ' are the same; 'œ' reads as 'oe'."""
        forms = {"x": ["Caisse d'allocations familiales"], "y": ["Maison de l'oeuvre"]}
        found = find_mentions("la caisse d’allocations familiales et la Maison de l’Œuvre", forms)
        assert found["x"].named and found["y"].named

    def test_a_dotted_acronym_counts(self, convention: Convention) -> None:
        """'C.A.F.' is the Caf."""
        assert named("Un projet soutenu par la C.A.F. de Paris", convention) == {"caf"}

    def test_pdfium_line_end_hyphen_marker_is_a_break(self, convention: Convention) -> None:
        """pdfium reports a line-end hyphen as U+FFFE; the word is joined."""
        assert named("la protec\ufffetion judiciaire de la jeunesse", convention) == {"dtpjj"}


class TestNoFalseHits:
    @pytest.mark.parametrize(
        "text",
        [
            "Menu de la cafétéria du collège",
            "Un café offert aux familles",
            "Les CAFÉS pédagogiques",
            "la caf-\nétéria",  # a cut word that continues is not the acronym
            "un partenariat départemental",  # 'départemental' is not the alias 'Département'
            "les préfets de région",  # plural: another word
        ],
    )
    def test_a_similar_word_names_nobody(self, text: str, convention: Convention) -> None:
        assert named(text, convention) == set()

    def test_the_longest_mention_wins_when_two_overlap(self, convention: Convention) -> None:
        """'Préfet du département' names the prefect, not the departmental council."""
        found = find_mentions("Le Préfet du département", convention.parties)
        assert found["prefet"].forms == ("Préfet du département",)
        assert not found["departement"].named


class TestReport:
    def test_every_party_has_an_entry_and_mentions_carry_positions(self, convention: Convention) -> None:
        text = "DSDEN et Caf : la DSDEN invite"
        found = find_mentions(text, convention.parties, page=2)
        assert set(found) == set(convention.party_ids())
        assert [(m.start, m.end) for m in found["dsden"].mentions] == [(0, 5), (18, 23)]
        assert text[18:23] == "DSDEN"
        assert found["dsden"].pages == (2,)
        assert found["dsden"].as_dict()["forms"] == ["DSDEN"]
        assert not found["dtpjj"].named

    def test_pages_are_merged_per_party(self, convention: Convention) -> None:
        pages = [
            find_mentions("la Caf", convention.parties, page=1),
            find_mentions("CAF et DSDEN", convention.parties, page=3),
        ]
        merged = merge_pages(pages)
        assert merged["caf"].pages == (1, 3)
        assert len(merged["caf"].mentions) == 2

    def test_forms_are_deduplicated_and_empty_forms_ignored(self, convention: Convention) -> None:
        forms = party_forms(convention.party("dsden"))
        assert forms.count("DSDEN") == 1
        assert form_pattern("  ") is None

    def test_folding_keeps_a_map_to_the_original_text(self) -> None:
        folded, origin = fold("É  t\u00e9")
        assert folded == "e te"
        assert [origin[i] for i in range(len(folded))] == [0, 1, 3, 4]
