"""Mentor session plans, offline, on the shipped corpus."""

import re
from pathlib import Path

import pytest
from cluster_assistant.assistant.mentor_plans import agenda_for, as_sentence, prepare
from cluster_assistant.assistant.pipeline import Assistant


@pytest.mark.parametrize("minutes", [15, 16, 19, 45, 60, 90, 120, 149, 150, 181, 240, 300, 480])
def test_agenda_adds_up_to_the_length_asked(minutes: int) -> None:
    agenda = agenda_for(minutes)
    assert sum(m for _, m in agenda) == minutes
    assert all(m >= 3 for _, m in agenda), agenda  # 16 minutes gave the input block 2
    # A long session pauses, once for each full 150 minutes: a day of 480 had none.
    assert sum(name == "Break" for name, _ in agenda) == min(minutes // 150, 3), agenda
    assert agenda[0][0] != "Break" and agenda[-1][0] != "Break"
    assert all(isinstance(m, int) for _, m in agenda), agenda
    # A working day's welcome took 43 minutes: a welcome and a wrap-up stay short, the work gets the time.
    blocks = dict(agenda)
    assert blocks["Welcome and goals"] <= 15 and blocks["Wrap-up and next steps"] <= 20, agenda


def test_a_session_under_half_an_hour_has_one_discussion_and_no_exercise(corpus_assistant: Assistant) -> None:
    """15 minutes were five blocks of 3, a group discussion and an exercise among them."""
    plan = prepare(corpus_assistant, "member engagement", "formed", 15)
    assert [name for name, _ in plan.agenda] == ["Welcome and goals", "Input: what the sources say",
                                                 "Discussion with everyone", "Wrap-up and next steps"], plan.agenda
    assert plan.exercise.startswith("None in the session") and "In groups" not in plan.to_markdown()


def test_a_short_session_has_no_group_presentations(corpus_assistant: Assistant) -> None:
    """Seven minutes of exercise left no time for groups to form and each to present for a minute."""
    short = prepare(corpus_assistant, "member engagement", "formed", 30)
    assert dict(short.agenda)["Exercise"] < 10 and short.exercise.startswith("Alone or in pairs"), short.exercise
    assert prepare(corpus_assistant, "member engagement", "formed", 90).exercise.startswith("In groups")


@pytest.mark.parametrize(("topic", "missing"), [("blockchain for clusters", "blockchain"),
                                                ("Latvia cluster funding", "Latvia")])
def test_a_plan_on_a_topic_the_documents_only_partly_cover_says_so(corpus_assistant: Assistant, topic: str,
                                                                  missing: str) -> None:
    """A plan on blockchain for clusters was a plan on clusters, and did not say so."""
    plan = prepare(corpus_assistant, topic, "formed", 60)
    assert f"no document mentions {missing}:" in plan.to_markdown()
    assert "no document mentions" not in prepare(corpus_assistant, "member engagement", "formed", 60).to_markdown()


def test_too_short_a_session_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        agenda_for(5)


def test_absurd_lengths_and_wordless_topics_are_refused(corpus_assistant: Assistant) -> None:
    with pytest.raises(ValueError, match="at most 480 minutes"):
        agenda_for(100_000_000)
    assert sum(m for _, m in agenda_for(480)) == 480
    with pytest.raises(ValueError, match="the topic has no words"):
        prepare(corpus_assistant, "🙂")


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


def test_a_model_improves_the_plan_but_stays_cited(corpus_assistant: Assistant) -> None:
    from tools.fake_openai import FakeOpenAI, Request, sources

    from .conftest import make_assistant

    def plan_reply(req: Request) -> str:
        srcs = sources(req)
        n = next(iter(srcs))
        fact = re.split(r"[.\n]", srcs[n].strip())[0].strip(" •-")  # the source's first sentence or line
        return (f"# Coaching session: x\n## Learning objectives\n- Name two ways to go international\n"
                f"- Pick one partner type\n- Plan a first step\n## Agenda\n| 0:00 | Welcome | 999 |\n"
                f"## Key points\n- {fact} [{n}]\n- An invented claim with no source [{len(srcs) + 5}]\n"
                f"## Discussion questions for the cluster members\n1. Which partner first?\n2. Who leads?\n"
                f"## Exercise\nMap three foreign partners.\n## Further reading (sources)\n[{n}] x\n")

    with FakeOpenAI() as fake:
        fake.default = plan_reply
        a = make_assistant(corpus_assistant.settings.data_dir, llm="openai", openai_base_url=fake.base_url)
        plan = prepare(a, "internationalisation of clusters", "developing", 60)
    assert plan.provider == "openai"
    assert plan.objectives[0] == "Name two ways to go international"
    assert plan.exercise == "Map three foreign partners."
    assert len(plan.key_points) == 1 and "invented" not in plan.to_markdown()
    assert sum(m for _, m in plan.agenda) == 60  # the model's agenda is not trusted


def test_model_failure_keeps_the_offline_plan(corpus_assistant: Assistant) -> None:
    from .conftest import free_port, make_assistant

    a = make_assistant(corpus_assistant.settings.data_dir, llm="openai",
                       openai_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout_s=2)
    plan = prepare(a, "internationalisation of clusters", "developing", 60)
    assert plan.provider == "extractive" and "offline plan" in plan.notice
    assert "> Note:" in plan.to_markdown() and len(plan.key_points) >= 3


def test_a_plan_never_repeats_a_point_and_cites_every_reading_it_lists(corpus_assistant: Assistant) -> None:
    from cluster_assistant.assistant.answering.render import unlinked
    from cluster_assistant.assistant.keywords import terms
    from cluster_assistant.assistant.text import squash

    for topic, stage in [("member engagement", "formed"), ("funding for cluster projects", "emerging"),
                         ("internationalisation of clusters", "developing"), ("cluster strategy", "mature"),
                         ("building trust", "emerging")]:
        plan = prepare(corpus_assistant, topic, stage, 90)
        labels = [c.label() for c in plan.reading]
        assert len(set(labels)) == len(labels), plan.to_markdown()  # one entry per place
        words = [set(terms(re.sub(r"\[\d+\]", "", kp.text))) for kp in plan.key_points]
        for i, a in enumerate(words):
            for b in words[:i]:
                assert len(a & b) < 0.7 * len(a), plan.to_markdown()  # no point says what another said
        cited = {int(n) for kp in plan.key_points for n in re.findall(r"\[(\d+)\]", kp.text)}
        assert {c.n for c in plan.reading} == cited, plan.to_markdown()  # no uncited "further reading"
        # Each reading quotes what a point took from it (not another sentence of its chunk), verbatim: with
        # the link word ("Additionally, …") that the point, standing alone, goes without.
        chunks = corpus_assistant.store.get([c.chunk_id for c in plan.reading])
        for c in plan.reading:
            assert squash(c.quote) in squash(chunks[c.chunk_id].page_content), c
            first = next(kp for kp in plan.key_points if f"[{c.n}]" in kp.text)
            assert set(terms(unlinked(c.quote))) <= set(terms(first.text)), (c.quote, first.text)
        # Objectives and discussion questions start from the cited points, not from the topic string alone.
        assert sum(bool(re.search(r"\[\d+\]", o)) for o in plan.objectives) >= 1
        assert sum(bool(re.search(r"\[\d+\]", q)) for q in plan.discussion) >= 2
        # Every point reads as a sentence, list items included ("improve access…; and" is not a point).
        for kp in plan.key_points:
            body = re.sub(r"\s*\[\d+\]", "", kp.text)
            assert not body[:1].islower() and not body.rstrip().endswith((";", ",", " and")), kp.text
            # ... and stands alone: "This initiative looked at…" points back at nothing on the page, and
            # "In addition, …" links to nothing.
            assert not re.match(r"(?:This|These|Such|They)\b", body) and unlinked(body) == body, kp.text


def test_the_stage_changes_which_points_lead(corpus_assistant: Assistant) -> None:
    early = prepare(corpus_assistant, "cluster strategy", "emerging", 60)
    late = prepare(corpus_assistant, "cluster strategy", "mature", 60)
    assert [kp.text for kp in early.key_points] != [kp.text for kp in late.key_points]
    assert "emerging" in early.discussion[0] and "mature" in late.discussion[0]


def test_a_list_item_becomes_a_sentence() -> None:
    assert as_sentence("improve SMEs' access to clusters; and") == "Improve SMEs' access to clusters."
    assert as_sentence("research and innovation, or") == "Research and innovation."
    assert as_sentence("Providing resources for cluster management excellence;") == (
        "Providing resources for cluster management excellence.")
    assert as_sentence("Around 50 clusters operate in Lithuania.") == "Around 50 clusters operate in Lithuania."


def test_points_that_name_the_topic_lead_the_plan(corpus_assistant: Assistant) -> None:
    """A funding plan opened with a point on trust (near the emerging stage's "why to cooperate"); the
    points that name what the topic is about, its head ("funding" in "funding for cluster projects"),
    now come first."""
    from cluster_assistant.assistant.keywords import terms
    from cluster_assistant.assistant.mentor_plans import topic_head

    assert topic_head("funding for cluster projects", frozenset({"funding", "project"})) == ["funding"]
    assert topic_head("member engagement", frozenset({"member", "engagement"})) == ["engagement"]
    assert topic_head("cluster strategy", frozenset()) == []
    assert topic_head("role of universities in clusters", frozenset({"role", "university"})) == ["university"]
    plan = prepare(corpus_assistant, "funding for cluster projects", "emerging", 90)
    _, words, _ = corpus_assistant.derived()
    first = [sorted(set(terms(re.sub(r"\[\d+\]", "", kp.text)))) for kp in plan.key_points[:3]]
    for point_terms in first:
        assert words.matches(["funding"], point_terms).max() > 0, plan.to_markdown()


def test_a_plan_stays_on_its_topic(corpus_assistant: Assistant) -> None:
    """Four 120-word answers held too few points on the topic: a funding plan's last four were on trust and
    engagement. A plan draws on longer answers (`plan_source_words`), so most of its points name the topic's
    head, and a Lithuanian topic is asked about in the angles' language."""
    from cluster_assistant.assistant.keywords import terms

    _, words, _ = corpus_assistant.derived()
    for topic, stage, head in [("funding for cluster projects", "emerging", "funding"),
                               ("internationalisation of clusters", "developing", "internationalisation"),
                               ("finansavimas", "emerging", "funding")]:
        plan = prepare(corpus_assistant, topic, stage, 90)
        on_topic = [kp.text for kp in plan.key_points
                    if words.matches([head], sorted(set(terms(re.sub(r"\[\d+\]", "", kp.text))))).max() > 0]
        # With 120-word answers: 4 and 5 of 8; a Lithuanian topic put into the English angles as it was: 1 of 3.
        assert len(on_topic) >= 6, plan.to_markdown()
    # Below the floor a point is off the topic: a thin topic gets fewer points, not the stage's trust points.
    thin = prepare(corpus_assistant, "member engagement", "formed", 90)
    assert 3 <= len(thin.key_points) < 8 and not any("trust is missing" in kp.text for kp in thin.key_points), (
        thin.to_markdown())


def test_every_reading_quote_stands_verbatim_in_its_source(tmp_path: Path) -> None:
    """A point made of a list item shown after its intro ("The specific objectives are: to promote…") is
    not verbatim in its source: its reading entry quotes what its answer quoted instead, part of the point."""
    from cluster_assistant.assistant.text import squash

    from .conftest import OBJECTIVES_MD, one_document

    a = one_document(tmp_path, "objectives.md", OBJECTIVES_MD)
    plan = prepare(a, "exports of cluster members", "developing", 60)
    assert plan.key_points[0].text.startswith("The specific objectives are: to promote exports"), plan.to_markdown()
    chunks = a.store.get([c.chunk_id for c in plan.reading])
    for c in plan.reading:
        assert c.quote and squash(c.quote) in squash(chunks[c.chunk_id].page_content), c.quote
