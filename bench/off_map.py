"""How the off-the-map refusal (taxonomy `off_topics`) sorts three sets of questions on the shipped corpus:

- personal everyday requests no cluster document answers, which it should refuse;
- questions from clusters of food, tourism, health and creative industries, which it must not refuse
  (the documents may still not cover them: only the off-the-map test is counted here);
- short subjects typed alone ("export markets"), which it must not refuse either.

    python bench/off_map.py        # ingests the shipped corpus into a temp folder first

For each question it prints the nearest off-topic text's cosine minus the nearest chunk's or competence
area's, whichever is nearer (above 0: off the map as a whole), whether the pipeline refuses it as off the map
(that margin, the question's parts, and a short question asked without its names), and at the end how many of
each set were refused. The sets were written for this check (stops 17 and 25), not drawn from the eval dataset."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

OFF_MAP = [
    "What's the weather in Vilnius?", "Who won the football match in Kaunas yesterday?", "How do I cook cepelinai?",
    "What is the capital of France?", "How do I reset my password?", "What time does the Vilnius airport open?",
    "Can you recommend a hotel in Klaipėda?", "Write me a poem about clusters",
    "What is the exchange rate of the euro to the dollar?", "Which Lithuanian basketball team is the best?",
    "What are the best restaurants in Vilnius?", "Is it going to rain tomorrow in Kaunas?",
    "Recommend a good film for the weekend", "Tell me a joke about engineers", "Book me a flight to Riga",
    "What should I cook for dinner tonight?", "Who is the best Lithuanian singer?",
    "My laptop won't start, what do I do?", "Will it snow this weekend?",
]
CLUSTER_INDUSTRIES = [
    "Our food processing companies want to cooperate on reducing waste. What support is there?",
    "We are a dairy cluster; how can we find partners abroad?",
    "Can a tourism cluster of hotels and restaurants apply for INOKLASTER?",
    "How do health technology companies benefit from joining a cluster?",
    "Our creative industries cluster wants to promote its members' films and music abroad. Where do we start?",
    "Is furniture one of Lithuania's strong industry sectors?",
    "How should a sports equipment cluster organise joint R&D?",
    "What share of Lithuania's exports comes from industry?",
    "How does Lithuania's population decline affect the workforce for clusters?",
    "We're a bakery and confectionery group. Is there funding for joint product development?",
    "How can our medical devices cluster get into international value chains?",
    "Do clusters help their members with marketing on social media?",
    "Our members make kitchen appliances. Would an Innovation Partnership suit us?",
    "Which regions in Europe have the most cluster stars?",
    "How much does it cost to run a cluster office for a year?",
    "Can restaurants and food producers form a cluster together?",
    "Our bakeries throw away a lot of bread. Could the cluster do something with it?",
    "A group of cheese makers wants to use whey waste. Is there anything in the sources on that?",
    "Meat processors in our cluster want to cut packaging waste. Where could we start?",
    "Our hotels want to market the region together. Is that what a tourism cluster does?",
    "Could a cluster of clinics and medtech firms run joint research?",
]

# Short subjects as a mentor types them for `prepare`, or a coordinator in Slack (stop 25): none is off the map.
SUBJECTS = [
    "export markets", "trade fairs", "markets", "foreign trade fairs", "member engagement",
    "funding for cluster projects", "cluster branding", "partner search abroad", "digital marketing", "social media",
    "events for members", "membership fees", "value chains", "public procurement", "intellectual property",
    "start-ups",
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ASSISTANT_DATA_DIR"] = tmp
        subprocess.run([sys.executable, "-m", "cluster_assistant", "ingest"], check=True,
                       stdout=subprocess.DEVNULL)
        from cluster_assistant.assistant.language import expand
        from cluster_assistant.assistant.pipeline import Assistant, Turn
        from cluster_assistant.assistant.settings import load_settings

        a = Assistant(load_settings())

        def margin(question: str) -> float:
            vector = a.embedder.embed_query(expand(question))
            nearest = max((score for _, score in a.store.search(vector, 1)), default=0.0)
            return a.classifier.off_topic(np.asarray(vector)) - max(nearest, a.classifier.nearest_area(vector))

        def off_map(question: str) -> bool:
            """The pipeline's decision: the margin, its parts, and a short question without its names."""
            turn = Turn(question)
            a._prepare(turn)
            a._retrieve(turn)
            return not turn.on_map

        for name, questions in (("off the map", OFF_MAP), ("cluster industries", CLUSTER_INDUSTRIES),
                                ("subjects typed alone", SUBJECTS)):
            margins = sorted(((margin(q), off_map(q), q) for q in questions), reverse=True)
            print(f"== {name}   (margin of the whole question; the decision, with the other tests)")
            for m, off, q in margins:
                print(f"  {m:+.3f} {'refused' if off else 'passes '}  {q}")
            refused = sum(off for _, off, _ in margins)
            print(f"  {refused} of {len(questions)} refused as off the map\n")


if __name__ == "__main__":
    main()
