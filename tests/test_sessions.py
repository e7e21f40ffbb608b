"""Mentor session plans, offline, on the shipped corpus."""

import re

import pytest

from assistant.chain import Assistant
from assistant.sessions import agenda_for, prepare


@pytest.mark.parametrize("minutes", [15, 45, 60, 90, 120, 181])
def test_agenda_adds_up_to_the_length_asked(minutes: int) -> None:
    agenda = agenda_for(minutes)
    assert sum(m for _, m in agenda) == minutes
    assert all(m >= 1 for _, m in agenda)


def test_too_short_a_session_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        agenda_for(5)


def test_plan_has_every_section_with_cited_key_points(corpus_assistant: Assistant) -> None:
    plan = prepare(corpus_assistant, "internationalisation of clusters", "developing", 90)
    md = plan.to_markdown()
    for heading in ["## Learning objectives", "## Agenda", "## Key points",
                    "## Discussion questions for the cluster members", "## Exercise", "## Further reading (sources)"]:
        assert heading in md
    minutes = [int(m) for m in re.findall(r"^\| \d+:\d\d \| .+ \| (\d+) \|$", md, re.M)]
    assert sum(minutes) == 90
    assert len(plan.key_points) >= 3
    numbers = {c.n for c in plan.reading}
    for kp in plan.key_points:
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", kp.text)}
        assert cited and cited <= numbers, kp.text
    # Every source in the reading list is quoted verbatim from the store.
    stored = corpus_assistant.store.get([c.chunk_id for c in plan.reading])
    for c in plan.reading:
        assert " ".join(c.quote.split()) in " ".join(stored[c.chunk_id].page_content.split())


def test_topic_the_corpus_lacks_is_reported(corpus_assistant: Assistant) -> None:
    with pytest.raises(ValueError, match="nothing on"):
        prepare(corpus_assistant, "sourdough baking", "formed", 60)
