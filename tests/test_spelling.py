"""English questions as coordinators type them: shorthand spelled out, typos put right towards the
corpus's own words."""

from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.spelling import corrected, corrected_names, spelled_out

HELD = {"objective": 12, "innovation": 40, "partnership": 30, "cluster": 130, "inolink": 10, "action": 25,
        "funding": 50, "gdp": 3, "area": 9}


def spread(term: str) -> int:
    return HELD.get(term, 0)


def test_a_misspelt_word_becomes_the_corpus_word_one_edit_away() -> None:
    assert corrected("what is the plan objectiv", spread) == "what is the plan objective"
    assert corrected("innovaton partnerhsip rules", spread) == "innovation partnership rules"
    assert corrected("fundding for clustrs", spread) == "funding for clusters"  # a letter too many, or one short


def test_known_words_names_and_addresses_are_left_alone() -> None:
    # English words the corpus lacks ("money", "acton"), names, short words, web addresses, Lithuanian
    # words the corpus lacks and that have no near spelling.
    for question in ["where does the money come from?", "acton town", "Who runs InoLink?", "wat abt it",
                     "see www.inolnk.lt or mail info@inolnk.lt", "cepelinai",
                     # the user's own words: no English near spelling ("deskilling", "bovid") stands in for them,
                     # and a short word does not lose a letter to become a corpus term ("gdp")
                     "reskilling after covid", "interreg kpis", "gdpr rules",
                     "aren't they", "why didn’t it"]:  # contractions
        assert corrected(question, spread) == question


def test_a_misspelt_question_is_answered_as_if_spelt_right(corpus_assistant: Assistant) -> None:
    """"whos on the jury for innovaton partnerships": "innovaton" matched nothing in the documents."""
    typed = corpus_assistant.answer("whos on the jury for innovaton partnerships")
    right = corpus_assistant.answer("whos on the jury for innovation partnerships")
    assert typed.answer == right.answer and "jury" in typed.answer.split(".")[0], typed.answer
    assert typed.question == "whos on the jury for innovaton partnerships"


def test_a_misspelt_name_becomes_the_name_the_texts_write() -> None:
    """"INOKLASTR" was refused: "No document mentions INOKLASTR." A name the corpus lacks stays, to be
    reported; so does one near two names, and a lower-case word (`corrected` is for those)."""
    names = frozenset({"inoklaster", "inolink", "eocic", "clusterfy"})
    assert corrected_names("What does INOKLASTR fund?", spread, names) == "What does INOKLASTER fund?"
    assert corrected_names("Who runs Inolnk?", spread, names) == "Who runs Inolink?"
    assert corrected_names("Clustrfy action plan", spread, names) == "Clusterfy action plan"
    for question in ["What support do clusters in Latvia get?", "Who runs InoLink?", "inoklastr rules",
                     "EOCI and EOCIC"]:
        assert corrected_names(question, spread, names) == question
    assert corrected_names("INOLINC", spread, frozenset({"inolink", "inolinx"})) == "INOLINC"  # two near: neither


def test_a_question_with_a_misspelt_name_is_answered(corpus_assistant: Assistant) -> None:
    typed = corpus_assistant.answer("What does INOKLASTR fund?")
    assert not typed.refused and typed.answer == corpus_assistant.answer("What does INOKLASTER fund?").answer


def test_chat_shorthand_is_spelled_out() -> None:
    assert spelled_out("min members for a cluster?") == "minimum members for a cluster?"
    assert spelled_out("Avg cluster size in LT?") == "Average cluster size in Lithuania?"
    assert spelled_out("Min. number of members, approx. costs") == "Minimum number of members, approximately costs"
    assert spelled_out("What stats on SMEs does MITA quote?") == "What statistics on SMEs does MITA quote?"
    assert spelled_out("a 10 min pitch") == "a 10 min pitch"  # after a number, minutes
    assert spelled_out("5 yrs of mgmt") == "5 years of management"
    # A web address, a hyphenated word and a lowercase "lt" are left as they are.
    assert spelled_out("see www.klaster.lt, min-max, lt") == "see www.klaster.lt, min-max, lt"


def test_a_question_in_shorthand_is_answered_like_one_written_in_full(corpus_assistant: Assistant) -> None:
    """"min members for a cluster?" opened with "The average number of members in a cluster is 13.":
    "min" matched nothing in the documents, which write "minimum"."""
    ans = corpus_assistant.answer("min members for a cluster?")
    assert ans.answer.startswith("The renewed concept retains the requirement for a minimum of 5 members"), ans.answer
    assert ans.question == "min members for a cluster?"
