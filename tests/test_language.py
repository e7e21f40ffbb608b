"""Lithuanian questions are expanded with English terms; names the corpus lacks are detected."""

from pathlib import Path

import pytest
from cluster_assistant.assistant.language import english_part, expand, is_lithuanian, untranslated
from cluster_assistant.assistant.pipeline import Assistant

from .conftest import one_document


def test_language_detection() -> None:
    assert is_lithuanian("Kokios yra pagrindinės Lietuvos klasterių silpnosios vietos?")
    assert is_lithuanian("Kaip klasteriai gali pritraukti naujų narių?")
    assert not is_lithuanian("What is INOKLASTER?")
    assert not is_lithuanian("How do Lithuanian clusters like Uzupis Creative Cluster communicate?")
    # Typed without diacritics, it is still Lithuanian.
    assert is_lithuanian("Kiek daugiausiai finansavimo gali gauti vienas INOKLASTER projektas?")
    assert is_lithuanian("Kiek kainuoja klasterio mentorius InoLink projekte?")  # stems: klaster, projekt
    assert not is_lithuanian("Which method fits the brand parameters?")
    assert not is_lithuanian("Is it true that MITA funds clusters per year?")


def test_english_part_is_what_can_match_the_sources() -> None:
    q = "Kokią tinkamų išlaidų dalį padengia INOKLASTER?"
    assert english_part(expand(q)) == expand(q).split(" | ")[0]
    assert "INOKLASTER" in english_part(expand(q)) and "išlaidų" not in english_part(expand(q))
    assert english_part("Compare A | B for clusters") == "Compare A | B for clusters"


def test_expansion_keeps_names_and_adds_english_terms() -> None:
    q = "Kiek klasterių per InoLink projektą gavo bronzinį ženklą?"
    expanded = expand(q)
    assert expanded.endswith(q)
    english = expanded.split(" | ")[0].split()
    assert {"InoLink", "cluster", "bronze", "label", "project"} <= set(english)
    assert expand("What is INOKLASTER?") == "What is INOKLASTER?"


def test_a_phrase_uses_up_its_words() -> None:
    # "šiuo metu" is "currently": its "metu" must not also read as "year".
    english = expand("Kaip klasteriai šiuo metu plečia tarptautinę veiklą?").split(" | ")[0].split()
    assert "currently" in english and "year" not in english
    assert "year" in expand("Kiek metų trunka klasterio projektas?").split(" | ")[0].split()


def test_lacking_typed_without_diacritics_is_not_lasting() -> None:
    """"truksta" (lacks, typed without diacritics) read as "truk…" (lasts, duration) too."""
    head = english_part(expand("ko truksta klasteriu koordinatoriams"))
    assert "lack" in head.split() and "duration" not in head.split(), head
    assert "responsible" in english_part(expand("Kas atsakingas už klasterių plėtrą Lietuvoje?")).split()


def test_a_word_typed_without_diacritics_matches_the_glossary_as_typed_so() -> None:
    """Many users type Lithuanian without diacritics: "paraiskas" is "paraiškas" (applications), "mvi" is
    "MVĮ" (SMEs). A word that has its diacritics matches only the key as written."""
    for typed in ("iki kada teikti paraiskas?", "iki kada teikti paraiškas?"):
        assert "application" in english_part(expand(typed)).split(), typed
        assert untranslated(expand(typed)) == ["teikti"], typed
    assert "SMEs" in english_part(expand("kiek mvi dalyvauja klasteriuose?")).split()
    # A key shorter than four letters as typed without diacritics ("lėš", funds: "les") tells nothing.
    assert "funds" not in english_part(expand("kur LESTO klasteris?")).split()


def test_a_lithuanian_question_about_who_is_responsible_finds_mita(corpus_assistant: Assistant) -> None:
    ans = corpus_assistant.answer("Kas atsakingas už klasterių plėtrą Lietuvoje?")
    assert not ans.refused and "MITA" in ans.answer.split(". [")[0], ans.answer


def test_a_rare_name_in_a_question_is_a_subject_with_the_documents_that_mention_it(corpus_assistant: Assistant) -> None:
    kw = corpus_assistant.keywords
    (inolink,) = kw.subjects("Who runs InoLink and what does it cost?")
    assert "inolink-good-practice" in inolink and "clusterfy-action-plan-2020-2023" not in inolink, inolink
    assert kw.subjects("How many clusters operate in Lithuania?") == []  # most chunks say "Lithuania"
    assert kw.subjects("How many clusters operate in Latvia?") == []  # unknown: refused, not a subject


def test_unknown_names_are_found_only_when_absent(corpus_assistant: Assistant) -> None:
    kw = corpus_assistant.keywords
    assert kw.unknown_names("How many clusters operate in Latvia?") == ["Latvia"]
    # Adjacent name words are one name; a comma separates names.
    assert kw.unknown_names("What does the Horizon Europe Euroclusters call fund?") == ["Horizon Europe Euroclusters"]
    assert kw.unknown_names("Who won the 2022 football World Cup?") == ["World Cup"]
    assert kw.unknown_names("Do Latvia, Estonia and Lithuania cooperate?") == ["Latvia", "Estonia"]
    assert kw.unknown_names("What did the ClusterFY partners learn in Hudiksvall?") == []
    assert kw.unknown_names("What does MITA do for clusters?") == []
    # A year no document mentions is unknown too; one the documents mention is not.
    assert kw.unknown_names("What is the deadline for the 2025 INOKLASTER call?") == ["2025"]
    assert kw.unknown_names("How much was foreseen for clustering in 2007-2013?") == []
    assert kw.unknown_names("What did the clusters do in 2018?") == []  # within the years the documents span
    assert kw.unknown_names(expand("Koks yra Estijos klasterių paramos biudžetas?")) == ["Estonia"]


def test_question_about_an_unknown_name_is_refused(corpus_assistant: Assistant) -> None:
    ans = corpus_assistant.answer("How many business clusters operate in Latvia?")
    assert ans.refused and not ans.citations
    year = corpus_assistant.answer("what's the deadline for the 2025 Inoklaster call?")
    assert year.refused and "No document mentions 2025." in year.answer, year.answer


def test_lithuanian_relevance_counts_english_terms_and_untranslated_words(corpus_assistant: Assistant) -> None:
    # Every Lithuanian word used to count as a missing term, and in-scope questions were refused;
    # now only the words the glossary cannot translate do.
    assert untranslated(expand("Kaip klasteriai gali auginti braškes?")) == ["auginti", "braškes"]
    assert untranslated(expand("Kiek daugiausiai finansavimo gali gauti vienas INOKLASTER projektas?")) == []
    assert untranslated("What is INOKLASTER?") == []
    funding = corpus_assistant.answer("Kiek daugiausiai finansavimo gali gauti vienas INOKLASTER projektas?")
    assert not funding.refused and funding.citations


def test_lithuanian_question_is_answered_from_english_sources(corpus_assistant: Assistant) -> None:
    ans = corpus_assistant.answer("Kas yra INOKLASTER priemonė ir ką ji finansuoja?")
    assert not ans.refused
    assert ans.question.startswith("Kas yra")  # the user's words, not the expansion
    assert "clusterfy-action-plan-2020-2023" in {c.doc_id for c in ans.citations}


def test_a_name_typed_in_lower_case_in_a_lithuanian_question_still_finds_its_documents(
        corpus_assistant: Assistant) -> None:
    """Slack users type "inoklaster": no glossary word, and not capitalised like a name, but the corpus
    holds it, so it is searched for as it is."""
    lower = corpus_assistant.answer("Kas yra inoklaster priemonė ir ką ji finansuoja?")
    upper = corpus_assistant.answer("Kas yra INOKLASTER priemonė ir ką ji finansuoja?")
    assert not lower.refused
    assert "clusterfy-action-plan-2020-2023" in {c.doc_id for c in lower.citations}
    assert lower.answer.splitlines()[0] == upper.answer.splitlines()[0]


def test_refusal_names_what_is_missing(corpus_assistant: Assistant) -> None:
    ans = corpus_assistant.answer("What support programme do clusters in Latvia get?")
    assert ans.refused and "No document mentions Latvia" in ans.answer



def test_a_question_about_an_unknown_long_acronym_is_refused(corpus_assistant: Assistant) -> None:
    """In a long question one unknown word is a detail ("a sceptical CEO"), but an acronym of four
    capitals or more names a body or a programme the documents never mention."""
    ans = corpus_assistant.answer("How do I register an EU trademark for our cluster's brand name, and how long "
                                  "does EUIPO take to decide?")
    assert ans.refused and "No document mentions EUIPO." in ans.answer, ans.answer
    ceo = corpus_assistant.answer("I need an argument for a sceptical CEO: why would a small firm gain from "
                                  "joining a network?")
    assert not ceo.refused
    # A word typed in capitals is no body, nor is a plural of a short acronym.
    assert not corpus_assistant.answer("Please answer ASAP: how can a young cluster in Lithuania find public "
                                       "funding for joint research projects?").refused


def test_a_contact_detail_the_documents_lack_is_refused_and_one_they_hold_is_answered(
        corpus_assistant: Assistant, tmp_path: Path) -> None:
    from cluster_assistant.assistant.retrieval import details_lacking

    ans = corpus_assistant.answer("Who runs InoLink at MITA and what's their email?")
    assert ans.refused and "give no email address" in ans.answer, ans.answer
    assert corpus_assistant.answer("What is MITA's phone number?").refused
    # Mentioning e-mail or phones is no request for an address or a number.
    for mention in ("How do we write their email newsletter?", "Should a cluster collect members' email addresses?",
                    "Should our cluster website show a phone number?", "How should we answer their phone or email "
                    "enquiries?", "What email tools work best?", "What is the role of email in member communication?",
                    "Is there an email template for inviting members?", "What is a good way to engage members: email "
                    "or phone?", "What is the phone etiquette for cluster managers?"):
        assert details_lacking(mention, ["no address here"]) == [], mention
    a = one_document(tmp_path, "contacts.md", "# Cluster office contacts\n\nThe InoLink mentoring programme at MITA "
                     "is run by the cluster team. Write to the team at inolink@mita.example.lt or call +370 5 264 "
                     "4704 about mentoring for your cluster.\n")
    held = a.answer("Who runs the InoLink mentoring at MITA and what's their email?")
    assert not held.refused and "inolink@mita.example.lt" in held.answer, held.answer


def test_a_sum_asked_of_a_named_subject_whose_documents_hold_none_is_refused(corpus_assistant: Assistant) -> None:
    """Only the knowledge-gaps news names the Lithuanian Plastics Cluster, and it holds no sum of money:
    its fee is not in the documents (the answer was staff costs of another plan). InoLink's documents
    hold one ("around 100 000 per cluster")."""
    fee = corpus_assistant.answer("What is the annual membership fee of the Lithuanian Plastics Cluster?")
    assert fee.refused and "give no sum of money for Lithuanian Plastics Cluster" in fee.answer, fee.answer
    cost = corpus_assistant.answer("How much does the InoLink coaching cost per cluster?")
    assert not cost.refused and "100 000" in cost.answer, cost.answer
    # Only a request for a sum counts: "in charge of", "costs and benefits of" ask for none.
    assert not corpus_assistant.answer("Who is in charge of the Lithuanian Plastics Cluster?").refused


def test_sums_in_the_formats_documents_write_them(tmp_path: Path) -> None:
    """A named subject's fee given in dollars, litas or "mln. eurų" is a sum: the question is answered."""
    a = one_document(tmp_path, "laser.md", "# Baltic Laser Cluster\n\nThe Baltic Laser Cluster unites laser "
                     "companies in Vilnius. The annual membership fee is 500 USD per company, and new members pay it "
                     "from their second year.\n")
    ans = a.answer("What is the annual membership fee of the Baltic Laser Cluster?")
    assert not ans.refused and "500 USD" in ans.answer, ans.answer
    # A fee given as a share of turnover, or waived, is an answer too.
    wood = one_document(tmp_path / "wood", "wood.md", "# Baltic Wood Cluster\n\nThe Baltic Wood Cluster unites "
                        "furniture makers in Kaunas. Members pay 0.1% of their turnover as a fee; start-ups join "
                        "free of charge.\n")
    assert not wood.answer("What is the membership fee of the Baltic Wood Cluster?").refused


def test_softened_stems_and_function_words_typed_without_diacritics_are_understood() -> None:
    """"partnerysčių" softens the "t" of "partnerystė" (a key of its own: a rule softening every key's t
    would take "verčiau", rather, for "vert", value); "turejo", "buti" are "turėjo", "būti" typed plainly:
    words, not untranslated subjects that make relevance fall."""
    plain_typed = expand("kada turejo buti paskelbtas inovaciju partnerysciu konkursas?")
    assert "partnerships" in english_part(plain_typed).split()
    assert untranslated(plain_typed) == []
    assert "areas" in english_part(expand("Kokiose srityse dirba klasteriai?")).split()  # sritis, srityse
    assert "size" in english_part(expand("Kokio dydžio yra klasteriai?")).split()  # dydis, dydžio
    assert "value" not in english_part(expand("Verčiau klausti apie klasterių padėtį?")).split()
    # Keys do not take everyday words that only start alike, nor English words for Lithuanian.
    for everyday, wrong in (("Noriu paklausti apie klasterius", "demand"), ("Ar teisingai suprantu klasterius?",
                            "legal"), ("Tai sudėtinga klasteriams", "composition"), ("Ateiti į klasterį", "future")):
        assert wrong not in english_part(expand(everyday)).split(), everyday
    assert untranslated(expand("Noriu paklausti apie klasterius")) == []
    for english in ("When can a cluster membership be terminated?", "Can a bus company be in a cluster?",
                    "Is funding per cluster or per member?", "What terminology does the cluster use?"):
        assert not is_lithuanian(english), english
    # Whole forms cover the cases questions use, and a plain-typed form does not take another word.
    assert "deadline" in english_part(expand("Kas bus iki termino?")).split()
    assert "partner" in english_part(expand("Kaip rasti partnerį užsienyje?")).split()
    assert "country" not in english_part(expand("Kokios finansavimo salygos klasteriams?")).split()


def test_the_corpus_vocabulary_has_lithuanian_keys() -> None:
    """The glossary covers the documents' frequent terms, not only the questions seen so far."""
    english = english_part(expand("Kokį vaidmenį verslo ekosistemoje atlieka suinteresuotos šalys ir "
                                  "kokie rodikliai matuoja augimą?")).split()
    for word in ("role", "business", "ecosystem", "stakeholders", "indicators", "growth"):
        assert word in english, english


@pytest.mark.parametrize(("question", "english"), [
    ("Kaip išmatuoti bendrų projektų poveikį?", {"measure", "impact"}),
    ("Kaip pritraukti naujų narių į klasterį?", {"attract", "member"}),
    ("Kaip klasteris gali užsidirbti pats, be subsidijų?", {"earn", "income"}),
    ("Kaip sumažinti administracinę naštą klasterio biure?", {"reduce", "administrative", "burden"}),
    ("finansavimas MTEP projektams", {"R&D", "research"})])  # the standard abbreviation, as "MVĮ" for SMEs
def test_everyday_words_of_fresh_questions_are_translated(question: str, english: set[str]) -> None:
    """Questions written fresh, as coordinators ask: their verbs and everyday nouns left them untranslated (a
    miss each, and the meaning lost: "measure the impact" read as "projects")."""
    assert untranslated(expand(question)) == []
    assert english <= set(english_part(expand(question)).split())


def test_no_lithuanian_marker_stem_starts_a_common_english_word() -> None:
    """A long glossary key marks a word as Lithuanian (`is_lithuanian`); one that starts an English word
    ("termin": terminated, "personal") made English questions Lithuanian. Checked against pyspellchecker's
    English word list (words seen 500 times or more in its corpus)."""
    from cluster_assistant.assistant.language import _lithuanian_stems
    from spellchecker import SpellChecker

    counts = SpellChecker(distance=1).word_frequency.dictionary
    common = [w for w, n in counts.items() if n >= 500]
    clashes = {stem: [w for w in common if w.startswith(stem)] for stem in _lithuanian_stems()}
    assert not {stem: words for stem, words in clashes.items() if words}
