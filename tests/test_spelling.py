"""Typos in English questions are put right before search, towards the corpus's own words."""

from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.spelling import corrected

HELD = {"objective": 12, "innovation": 40, "partnership": 30, "cluster": 130, "inolink": 10, "action": 25}


def spread(term: str) -> int:
    return HELD.get(term, 0)


def test_a_misspelt_word_becomes_the_corpus_word_one_edit_away() -> None:
    assert corrected("what is the plan objectiv", spread) == "what is the plan objective"
    assert corrected("innovaton partnerhsip rules", spread) == "innovation partnership rules"


def test_known_words_names_and_addresses_are_left_alone() -> None:
    # English words the corpus lacks ("money", "acton"), names, short words, web addresses, Lithuanian
    # words the corpus lacks and that have no near spelling.
    for question in ["where does the money come from?", "acton town", "Who runs InoLink?", "wat abt it",
                     "see www.inolnk.lt or mail info@inolnk.lt", "cepelinai"]:
        assert corrected(question, spread) == question


def test_a_misspelt_question_is_answered_as_if_spelt_right(corpus_assistant: Assistant) -> None:
    """"whos on the jury for innovaton partnerships": "innovaton" matched nothing in the documents."""
    typed = corpus_assistant.answer("whos on the jury for innovaton partnerships")
    right = corpus_assistant.answer("who on the jury for innovation partnerships")
    assert typed.answer == right.answer and "jury" in typed.answer.split(".")[0], typed.answer
    assert typed.question == "whos on the jury for innovaton partnerships"
