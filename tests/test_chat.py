"""Chat: follow-ups condensed into standalone questions (model and offline), REPL commands."""

from __future__ import annotations

import threading

import pytest
from cluster_assistant.assistant.answering.citations import citation_problems
from cluster_assistant.assistant.conversation import Conversation, heuristic_standalone, is_follow_up
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.schema import BadQuestion

from tools.fake_openai import FakeOpenAI, Reply, Request, is_condense, sources, user_text

FIRST = "What is INOKLASTER?"
CONDENSED = "Which organisation manages the INOKLASTER measure?"

pytestmark = pytest.mark.usefixtures("fake_llm")


def model(req: Request) -> str:
    """A fake model: condenses to CONDENSED, answers by citing a source that says what it claims
    (the support check drops a sentence its source does not support)."""
    if is_condense(req):
        return f'Standalone question: "{CONDENSED}"'
    found = sources(req).items()
    n = next((n for n, t in found if "INOKLASTER" in t and "R&D" in t), None)
    if n:
        return f"INOKLASTER is an R&D and innovation promotion measure [{n}]."
    n = next((n for n, t in found if "INOKLASTER" in t), None)
    return f"INOKLASTER is a policy support measure [{n}]." if n else "NOT_COVERED"


# --- with a model --------------------------------------------------------------------------------

def test_follow_up_is_condensed_by_the_model_before_retrieval(model_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.default = model
    chat = Conversation(model_assistant)
    first = chat.ask(FIRST)
    assert first.question == FIRST and first.provider == "openai"
    assert len(fake_llm.requests) == 1 and not is_condense(fake_llm.requests[0])  # a first question is not condensed

    ans = chat.ask("Who manages it?")
    condense_req, answer_req = fake_llm.requests[1:]
    assert is_condense(condense_req)
    prompt = user_text(condense_req)
    assert f"User: {FIRST}" in prompt and "Follow-up question: Who manages it?" in prompt
    assert "Assistant: INOKLASTER is an R&D" in prompt  # the history carries the previous answer
    # Retrieval and the answer used the condensed question.
    assert ans.question == CONDENSED
    assert f"Question: {CONDENSED}" in user_text(answer_req)
    assert not ans.refused and ans.provider == "openai"
    assert [t.standalone for t in chat.history] == [FIRST, CONDENSED]


def test_a_failing_condensation_falls_back_to_the_heuristic(model_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.default = model
    chat = Conversation(model_assistant)
    chat.ask(FIRST)
    fake_llm.push(Reply("down", status=503))
    ans = chat.ask("Who manages it?")
    assert ans.question == "Who manages it? (about: INOKLASTER)"


def test_streamed_chat_turn_is_recorded_when_read(model_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.default = model
    chat = Conversation(model_assistant)
    run = chat.stream(FIRST)
    assert len(chat.history) == 0  # recorded once the stream has been read
    text = "".join(run)
    assert "INOKLASTER" in text and chat.last is run.answer and chat.last.provider == "openai"


# --- offline ---------------------------------------------------------------------------------------

def test_offline_follow_up_carries_the_earlier_subject(corpus_assistant: Assistant) -> None:
    chat = Conversation(corpus_assistant)
    first = chat.ask(FIRST)
    assert not first.refused
    ans = chat.ask("Who manages it?")
    assert ans.question == "Who manages it? (about: INOKLASTER)"
    assert "INOKLASTER" in ans.question and not ans.refused
    stored = corpus_assistant.store.get([c.chunk_id for c in ans.citations])
    assert citation_problems(ans, {cid: d.page_content for cid, d in stored.items()}) == []
    # A new, self-contained question is left alone.
    ans = chat.ask("What resources does a region need to transfer the InoLink practice?")
    assert ans.question == "What resources does a region need to transfer the InoLink practice?"


@pytest.mark.parametrize(("text", "follow_up"), [
    ("Who runs it?", True), ("And what about funding?", True), ("Why?", True), ("What about Latvia?", True),
    ("What are their main weaknesses?", True), ("Tell me more", True), ("How is this funded?", True),
    ("What is ClusterFY?", False), ("How can a cluster promote its members to investors?", False),
    ("Are there funding programmes for clusters in Lithuania?", False),
    ("Which policy instrument does the ClusterFY action plan want to improve?", False),
    ("What happens in the second one?", True), ("Which is the first step of the competition?", False),
    ("Kiek tai kainuoja?", True), ("O kaip su finansavimu?", True),
    ("Kaip klasteriai gali pritraukti naujų narių?", False), ("What is a cluster?", False),
    ("Who is eligible?", True), ("What is the TA budget?", False), ("Tai Chi for cluster managers?", False),
    ("What do the first one hundred members get?", False), ("Kas tai yra INOKLASTER?", False),
    ("Which priority of the EU funds programme is that programme under?", True), ("What does that mean?", True),
    ("How do we show members that the cluster adds value?", False),
    ("Can you show that members gain from a cluster?", False),
    ("Who said that the cluster is mature?", False), ("average size?", True), ("staff costs?", True),
    ("Export markets abroad?", False), ("EU funding?", False), ("WHY?", True), ("OK, why?", True),
    ("2021 budget?", False), ("Is that a requirement for all clusters?", True),
    ("How do clusters contribute to that goal of regional development?", False),
    ("o iš kokių pinigų klasteriai gali būti finansuojami?", True),
    ("What were the results?", True), ("And what are the main challenges?", True),
    ("What were the results of InoLink?", False),
])
def test_follow_up_heuristic(text: str, follow_up: bool) -> None:
    assert is_follow_up(text) is follow_up


def test_a_short_question_about_something_else_is_read_alone() -> None:
    """"cepelinai recipe?" after a question on INOKLASTER was read "(about: INOKLASTER fund)": two words and no
    name make a follow-up, but no document holds either word. An attribute of the subject ("price?"), a word the
    documents hold ("staff costs?") and a pointer ("why?") still follow."""
    known = {"inoklaster", "fund", "staff", "cost", "costs"}.__contains__
    first = "What does INOKLASTER fund?"
    assert heuristic_standalone("cepelinai recipe?", first, lambda w: known(w.lower())) == "cepelinai recipe?"
    for follow in ("price?", "staff costs?", "why?"):
        assert "(about: INOKLASTER" in heuristic_standalone(follow, first, lambda w: known(w.lower())), follow


def test_heuristic_standalone_keeps_the_subject_through_a_chain_of_follow_ups() -> None:
    first = "How much EU funding was foreseen for clustering measures in Lithuania in 2007-2013?"
    second = heuristic_standalone("And what about 2014-2020?", first)
    assert second == "And what about 2014-2020? (about: EU funding foreseen clustering measures Lithuania 2007-2013)"
    third = heuristic_standalone("Why?", second)
    assert "Lithuania" in third and "funding" in third
    assert heuristic_standalone("What is InoLink?", first) == "What is InoLink?"
    assert heuristic_standalone("Who runs it?", None) == "Who runs it?"
    # A long chain keeps what it began with: the cap on carried words drops the middle, not the subject.
    question = "What is INOKLASTER?"
    for ask in ("who funds it?", "what about staff costs?", "are they eligible?", "who approves them?",
                "how long does it take them?", "can they refuse it?", "why?"):
        question = heuristic_standalone(ask, question)
    assert question.startswith("why? (about: refuse ") and question.endswith(" INOKLASTER)"), question


def test_a_short_follow_up_takes_the_place_of_what_was_asked_for() -> None:
    """"and threats?" after the weaknesses asks for the threats of the same subject, as a list question: carried
    as "(about: weaknesses …)" it found the weaknesses again."""
    weaknesses = "What are the weaknesses of Lithuania's industrial transition according to EOCIC?"
    assert heuristic_standalone("and threats?", weaknesses) == (
        "What are the threats of Lithuania's industrial transition according to EOCIC?")
    assert heuristic_standalone("What about the staff costs?", "What is the budget of the call?") == (
        "What is the staff costs of the call?")
    # Not for a follow-up that asks a question of its own, names another subject ("Latvia", "2021", "for
    # SMEs") or nothing ("and then?"); nor after a question that names its subject where the ask would be.
    for other in ("and how do they compare?", "what about Latvia?", "and 2021?", "and for SMEs?", "and then?",
                  "and them?", "how about the programme's threats?"):
        assert "(about: " in heuristic_standalone(other, weaknesses), other
    for before in ("Which cluster has the most members?", "Which of the clusters is largest?", "What is it for?",
                   "What funding is available for clusters?", "What role do companies play in a cluster?"):
        assert heuristic_standalone("and threats?", before).startswith("and threats?"), before
    # A long message is read at once, not in ways that grow with the cube of its length.
    hostile = "and " + "x" * 2000 + ","
    done = threading.Thread(target=heuristic_standalone, args=(hostile, weaknesses))
    done.start()
    done.join(timeout=10)
    assert not done.is_alive()
    funding = "How much EU funding was foreseen for clustering measures in Lithuania in 2007-2013?"
    assert heuristic_standalone("And what about 2014-2020?", funding).endswith(
        "(about: EU funding foreseen clustering measures Lithuania 2007-2013)")
    # "What's" gives no subject word "s"; "R&D" keeps its letters.
    assert heuristic_standalone("cost?", "What's InoLink?") == "cost? (about: InoLink)"
    assert heuristic_standalone("Who funds it?", "What is the R&D budget?") == "Who funds it? (about: R D budget)"


def test_a_follow_up_after_a_refusal_takes_the_last_answered_subject(corpus_assistant: Assistant) -> None:
    chat = Conversation(corpus_assistant)
    assert not chat.ask(FIRST).refused
    assert chat.ask("How do I bake sourdough bread at home?").refused
    ans = chat.ask("Who manages it?")
    assert ans.question == "Who manages it? (about: INOKLASTER)"
    # A Lithuanian follow-up: its question words are no subject, and no "name" the corpus lacks.
    ans = chat.ask("Kiek tai kainuoja?")
    assert ans.question.startswith("Kiek tai kainuoja? (about: ") and "INOKLASTER" in ans.question
    assert "Kiek)" not in ans.question
    assert "No document mentions" not in ans.answer


def test_history_is_bounded_and_bad_questions_raise(corpus_assistant: Assistant) -> None:
    chat = Conversation(corpus_assistant, max_turns=2)
    for q in ["What is INOKLASTER?", "What is InoLink?", "What is ClusterFY?"]:
        chat.ask(q)
    assert [t.asked for t in chat.history] == ["What is InoLink?", "What is ClusterFY?"]
    with pytest.raises(BadQuestion):
        chat.ask("   ")
    assert len(chat.history) == 2


# --- commands --------------------------------------------------------------------------------------

def test_commands(corpus_assistant: Assistant) -> None:
    chat = Conversation(corpus_assistant)
    assert Conversation.is_command("/sources") and not Conversation.is_command("what is /this?")
    assert chat.handle("/sources") == "no answer yet: ask a question first"

    listing = chat.handle("/topic")
    assert "funding" in listing and "current filter: off" in listing
    assert chat.handle("/topic rnd").startswith("searching only R&D")
    assert chat.topic == "rnd" and "* rnd" in chat.handle("/topic")
    assert "unknown topic 'nope'" in chat.handle("/topic nope") and chat.topic == "rnd"

    ans = chat.ask(FIRST)  # retrieval filtered by topic
    top = [r["id"] for r in ans.retrieved if not r["neighbour"]]  # neighbour chunks are not filtered
    assert top and all(d.metadata.get("topic_rnd") for d in corpus_assistant.store.get(top).values())
    out = chat.handle("/sources")
    assert out.startswith("[1] ") and ans.citations[0].doc_id in out and "“" in out

    assert chat.handle("/topic off").startswith("topic filter off") and chat.topic is None
    assert "/exit" in chat.handle("/help") and "unknown command '/frobnicate'" in chat.handle("/frobnicate")
    assert chat.handle("/reset").startswith("conversation cleared") and chat.last is None
    assert not chat.done and chat.handle("/exit") == "bye" and chat.done


def test_a_follow_up_brings_what_is_new_not_what_was_just_shown(corpus_assistant: Assistant) -> None:
    from cluster_assistant.assistant.answering.render import shown_sentences

    conv = Conversation(corpus_assistant)
    first = conv.ask("What did the InoLink mentoring programme achieve?")
    second = conv.ask("what does it cost?")
    assert not first.refused and not second.refused
    assert shown_sentences(second.answer) and not shown_sentences(first.answer) & shown_sentences(second.answer)
    # The same question asked afresh may repeat them: only the chat knows what was read.
    fresh = corpus_assistant.answer(second.question)
    assert shown_sentences(fresh.answer) & shown_sentences(first.answer)


def test_shown_sentences_fold_markers_bullets_and_case() -> None:
    from cluster_assistant.assistant.answering.render import shown_sentences

    seen = shown_sentences("The fee is 300 euro. [1] It is paid yearly. [2]\nFees: [1]\n• Waived for start-ups. [1]")
    assert seen == {"the fee is 300 euro.", "it is paid yearly.", "fees:", "waived for start-ups."}


def test_a_follow_up_does_not_repeat_a_sentence_in_other_words() -> None:
    """"what else do they do for clusters?" after "who runs cluster facilitation in LT?" opened with "The
    Science, Innovation and Technology Agency (MITA) is responsible for cluster facilitation in Lithuania.",
    another document's wording of the sentence just read."""
    import numpy as np
    from cluster_assistant.assistant.answering.extractive import compose
    from cluster_assistant.assistant.answering.render import shown_sentences
    from cluster_assistant.assistant.store import Unit
    from langchain_core.documents import Document

    q = np.eye(8)[0]
    lines = ["The Science and Technology Agency (MITA) is responsible for cluster facilitation in Lithuania.",
             "MITA also runs the InoLink mentoring programme for young clusters."]
    text = "\n".join(lines)
    units = [Unit(chunk_id="c1", start=text.index(line), text=line, embedding=np.asarray(v, dtype=np.float32))
             for line, v in zip(lines, [q, 0.8 * q + 0.6 * np.eye(8)[1]], strict=True)]
    docs = [Document(page_content=text, metadata={"id": "c1", "doc_id": "d", "title": "T", "page": 1})]
    read = shown_sentences("The Agency for Science and Technology (MITA) is responsible for cluster facilitation "
                           "in Lithuania, which also helps to find partners. [1]")
    fresh, _ = compose("What does MITA do for clusters?", list(q), docs, units, word_budget=40)
    assert fresh.startswith("The Science and Technology Agency"), fresh
    follow_up, _ = compose("What does MITA do for clusters?", list(q), docs, units, word_budget=40, shown=read)
    assert follow_up.startswith("MITA also runs") and "responsible" not in follow_up, follow_up
