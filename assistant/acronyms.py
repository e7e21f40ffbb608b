"""Acronyms the corpus defines, "Key Enabling Technologies (KETs)", so that a question which spells
a name out also finds the text that abbreviates it. The documents define a name once and then use the
acronym ("…the barriers of hard identification of real KETs"): without the link, neither the keyword
index nor the sentence scorer sees that passage as about Key Enabling Technologies."""

from __future__ import annotations

import re

_LINKING = ("and", "of", "for", "in", "on", "the", "&")
# Two to eight capitalised words (linking words between them allowed), then the acronym in parentheses.
# A word starts a match only at its first letter, and never gives back what it took (possessive `*+`):
# no backtracking, linear in the text.
_WORD = r"(?<![\w\-’'])[A-Z][\w\-’']*+,?\s+"
_DEFINITION = re.compile(rf"((?:{_WORD}(?:(?:{'|'.join(_LINKING)})\s+)*){{2,8}})"
                         r"\(([A-Z][A-Za-z0-9]{1,9}?)(s|’s|'s)?\)")


def find_acronyms(text: str) -> dict[str, str]:
    """{acronym: the name it stands for}, for each definition whose initials spell the acronym:
    "European Secretariat for Cluster Analysis (ESCA)" counts, "Groningen (NL)" does not. A plural
    stays as written ("KETs"); a possessive loses its "'s"."""
    out: dict[str, str] = {}
    for m in _DEFINITION.finditer(" ".join(text.split())):
        letters = m.group(2)
        words = [w.rstrip(",") for w in m.group(1).split()]
        # The name: back from the parenthesis to the word that starts its last len(letters) capitalised words.
        capitalised = [i for i, w in enumerate(words) if w.lower() not in _LINKING]
        if len(capitalised) < len(letters):
            continue
        name = words[capitalised[-len(letters)]:]
        initials = "".join(w[0] for w in name if w.lower() not in _LINKING)
        if initials.upper() == letters.upper():
            out.setdefault(letters + ("s" if m.group(3) == "s" else ""), " ".join(name))
    return out


def acronyms_for(question: str, acronyms: dict[str, str]) -> list[str]:
    """The acronyms (each form the corpus writes: "KETs", "KET") of the names the question spells out
    but does not abbreviate. Only that direction: adding "European Observatory for Clusters and
    Industrial Change" to a question about the EOCIC briefing floods it with common words (measured:
    key-fact recall 0.76 → 0.69)."""
    lowered = question.lower()
    return [acronym for acronym, name in sorted(acronyms.items())
            if name.lower() in lowered  # cheap first: a corpus may define thousands
            and re.search(rf"\b{re.escape(name)}\b", question, re.I)
            and not re.search(rf"\b{re.escape(acronym.rstrip('s'))}", question)]
