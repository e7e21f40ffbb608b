#!/usr/bin/env python3
"""Rebuild the two PDF documents of the shipped corpus from their seed texts.

    python tools/build_corpus_pdfs.py [--seeds PATH] [--out DIR] [--font-dir DIR]

Inputs  (default ``tools/seeds``, kept in the repository with their origin in its README):
    003_*.txt  ClusterFY Action Plan, Lithuania 2020-2023 (Markdown-like extraction)
    004_*.txt  EOCIC policy briefing for Lithuania (raw PDF text extraction)
Outputs (default: the repository's ``corpus/``):
    clusterfy-action-plan-2020-2023.pdf   + .pdf.meta.yaml sidecar
    eocic-lithuania-policy-briefing.pdf   + .pdf.meta.yaml sidecar

Only needed when the PDFs are rebuilt; ingesting the corpus never runs it.

Requirements
------------
* Python packages: ``fpdf2`` (tested with 2.8.x) and ``pyyaml``; ``pypdf`` is
  optional and only used for the read-back self-check at the end.
* Font: **DejaVu Sans** (``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``), a
  Unicode TrueType font, so that typographic quotes/dashes and Lithuanian
  letters (ą č ę ė į š ų ū ž) survive.  It ships with Debian/Ubuntu package
  ``fonts-dejavu-core`` (``apt-get install -y fonts-dejavu-core``) and with
  matplotlib; pass ``--font-dir`` (or set ``CLUSTER_ASSISTANT_FONT_DIR``) if it
  lives elsewhere.

How the text is treated
-----------------------
* The words of the seed text are kept, in order; only layout artefacts are
  removed (Markdown markup in 003, "N|Page" footers, stray bullet glyphs and
  displaced footnote numbers in 004, "Interreg Europe" logo lines in 003).
  The build asserts that the multiset of words of the rendered text equals that
  of the seed text minus these artefacts.
* Paragraphs are re-flowed by our own line breaker, which breaks lines only at
  spaces: no hyphenation is introduced and existing hyphens ("co-operation")
  are never used as break points.  A single token wider than a line (long URLs)
  is set in a smaller font size instead of being split.
* Page breaks follow the original documents: in 003 the runs of blank lines
  that separate pages of the original report, in 004 the page starts of the
  extraction (lines beginning with a space) and the "N|Page" footers.  A
  logical page that does not fit on one A4 page continues on the next one.
* Output is deterministic (fixed creation date, fixed document id); re-running
  produces byte-identical files.
"""
from __future__ import annotations

import argparse
import collections
import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from fpdf import FPDF
from fpdf.enums import XPos, YPos

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SEEDS = HERE / "seeds"

CREATION_DATE = _dt.datetime(2020, 1, 1, 0, 0, 0, tzinfo=_dt.UTC)

DOCS = {
    "003": {
        "file": "clusterfy-action-plan-2020-2023.pdf",
        "meta": {
            "doc_id": "clusterfy-action-plan-2020-2023",
            "title": "ClusterFY Action Plan, Lithuania 2020–2023",
            "kind": "policy",
            "publisher": "MITA with the Interreg Europe ClusterFY project",
            "date": "2020",
            "topics": ["rnd", "internationalisation", "management", "funding"],
        },
    },
    "004": {
        "file": "eocic-lithuania-policy-briefing.pdf",
        "meta": {
            "doc_id": "eocic-lithuania-policy-briefing",
            "title": ("Lithuania: policy briefing for a region in industrial transition "
                      "(modern cluster policy, “Innovation Partnerships”)"),
            "kind": "policy",
            "publisher": ("European Observatory for Clusters and Industrial Change (EOCIC), "
                          "European Commission DG GROW"),
            "date": "2019",
            "topics": ["rnd", "internationalisation", "management", "funding", "engagement"],
        },
    },
}

FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT_DIR_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "/Library/Fonts",
    os.path.expanduser("~/.fonts"),
    os.path.expanduser("~/.local/share/fonts"),
]

BULLET = "•"


# --------------------------------------------------------------------------
# Document model
# --------------------------------------------------------------------------
@dataclass
class Block:
    kind: str                 # h1 h2 h3 p cap fn li table
    text: str = ""            # inline markup: **bold**, <sup>n</sup>, "\n" = hard break
    marker: str = ""          # list marker (li)
    level: int = 0            # list nesting level (li)
    rows: list = field(default_factory=list)  # table rows (first row = header)
    align: str = "L"


@dataclass
class Page:
    blocks: list
    cover: bool = False


def block_words(blocks):
    """Words of the rendered text (markup removed), for the fidelity check."""
    out = []
    for b in blocks:
        if b.kind == "table":
            for row in b.rows:
                for cell in row:
                    out.extend(plain(cell).split())
            continue
        if b.marker and b.marker != BULLET:
            out.append(b.marker)
        out.extend(plain(b.text).split())
    return out


def plain(text: str) -> str:
    return re.sub(r"</?sup>", "", text.replace("**", ""))


# --------------------------------------------------------------------------
# 003: Markdown-like text
# --------------------------------------------------------------------------
def md_inline(text: str) -> str:
    """Markdown inline syntax -> our markup (keeps ** and <sup>)."""
    text = text.replace("\\\\_", "_").replace("\\_", "_")
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1", text)       # [label](url) -> label
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)             # <url> -> url
    return text


def parse_003(raw: str) -> list[Page]:
    chunks = [c for c in re.split(r"\n[ \t]*\n[ \t]*\n[ \t]*\n", raw)]
    pages = []
    for chunk in chunks:
        if not chunk.strip() or chunk.strip() == "Interreg Europe":
            continue           # empty chunks / logo lines between pages
        blocks = []
        for para in re.split(r"\n[ \t]*\n", chunk):
            lines = [l for l in para.split("\n")]
            if not any(l.strip() for l in lines):
                continue
            first = lines[0].strip()
            if first == "---":
                lines = lines[1:]
                if not lines:
                    continue
                first = lines[0].strip()
            m = re.match(r"^(#{1,6})\s+(.*)$", first)
            if m and len(lines) == 1:
                level = min(len(m.group(1)) - 1, 3)
                blocks.append(Block(f"h{max(level, 1)}", plain(md_inline(m.group(2))).strip()))
                continue
            if re.match(r"^<sup>\d+</sup>", first):
                for l in lines:
                    t = md_inline(l.strip())
                    t = re.sub(r"^<sup>(\d+)</sup>\s*", r"\1 ", t)
                    blocks.append(Block("fn", t))
                continue
            item_re = re.compile(r"^(\s*)(?:- |(\d+)\. )(.*)$")
            if item_re.match(lines[0]):
                for l in lines:
                    m = item_re.match(l)
                    if not m:          # continuation line
                        blocks[-1].text += " " + md_inline(l.strip())
                        continue
                    indent, num, text = m.groups()
                    text = md_inline(text.strip())
                    marker = f"{num}." if num else BULLET
                    mm = re.match(r"^(\d+(?:\.\d+)+\.)\s+(.*)$", text)
                    if not num and mm:   # "- 1.1. text": the number is the marker
                        marker, text = mm.groups()
                    blocks.append(Block("li", text, marker=marker, level=len(indent) // 2))
                continue
            # ordinary paragraph; "two trailing spaces" = hard line break
            parts = []
            for l in lines:
                hard = l.endswith("  ")
                parts.append(md_inline(l.strip()) + ("\n" if hard else " "))
            text = "".join(parts).strip()
            blocks.append(Block("p", text))
        pages.append(Page(blocks))
    if pages:
        pages[0].cover = True
    return pages


def seed_words_003(raw: str) -> list[str]:
    text = "\n".join(l for l in raw.split("\n") if l.strip() not in ("Interreg Europe", "---"))
    text = md_inline(text)
    text = re.sub(r"(?m)^\s*#{1,6}\s", "", text)
    text = re.sub(r"(?m)^\s*- ", "", text)
    text = re.sub(r"<sup>(\d+)</sup>", r"\1", text)   # footnote refs stay attached
    return [w for w in plain(text).split()]


# --------------------------------------------------------------------------
# 004: raw PDF extraction
# --------------------------------------------------------------------------
FOOTER_RE = re.compile(r"^\s*\d+\s*\|\s*P\s*a\s*g\s*e\s*$")

# Exact, document-specific repairs of the extraction (each must match).
# Directives produced here: "@h1/@h2/@h3 text", "@fn text", "@cap text",
# "@li MARKER<TAB>text".  Pages start at lines beginning with a space, so a
# repair at a page start keeps that leading space.
FIXUPS_004 = [
    (" Selection as one of 10 regions in industrial\ntransition\n",
     " @h1 Selection as one of 10 regions in industrial transition\n"),
    ("\nDetails on the selection procedure are available at:\n"
     "https://ec.europa.eu/regional_policy/en/policy/themes/industrial-transition/\n"
     "2 12 regions were initially selected for the overall process of the project on pilot regions in industrial transition, of\n"
     "which 10 then engaged with the project through to the final stages of the work carried out by the EOCIC.\n1\n",
     "\n@fn 1 Details on the selection procedure are available at: "
     "https://ec.europa.eu/regional_policy/en/policy/themes/industrial-transition/\n"
     "@fn 2 12 regions were initially selected for the overall process of the project on pilot regions in industrial transition, of "
     "which 10 then engaged with the project through to the final stages of the work carried out by the EOCIC.\n"),
    (" 1. Introduction\n1.1.\n\nAims and objectives of the exercise\n",
     " @h1 1. Introduction\n@h2 1.1. Aims and objectives of the exercise\n"),
    ("\n3\n\nExternal experts contracted by DG REGIO to provide support to the pilot regions in industrial transition.\n",
     "\n@fn 3 External experts contracted by DG REGIO to provide support to the pilot regions in industrial transition.\n"),
    (" 1.2.\n\nKey economic and innovation indicators for the pilot region\n",
     " @h2 1.2. Key economic and innovation indicators for the pilot region\n"),
    ("\nEmployment rate 2017 (%)\n", "\n@cap Employment rate 2017 (%)\n"),
    ("\nBusiness expenditure on R&D 2016\n", "\n@cap Business expenditure on R&D 2016\n"),
    (" 2. Key challenges, barriers, and drivers\nof industrial modernisation in\nLithuania\n",
     " @h1 2. Key challenges, barriers, and drivers of industrial modernisation in Lithuania\n"),
    # SWOT table: bullets and cells were extracted column-wise; regroup them.
    ("\nStrengths\n•\n\n•\n\n•\n•\n•\n\nStrong industrial base (20% of GDP and\n80% of exports are generated by\n"
     "industry)\nMajor industry sectors: food processing,\nmaterials, energy, machinery, ICT,\nfurniture\n"
     "Cluster landscape covers the key sectors\nExcellent digitalisation infrastructure\n"
     "Flexible businesses adapting quickly to\nchanges in world markets\n\nOpportunities\n•\n•\n•\n•\n\n•\n\n"
     "Weaknesses\n•\n•\n•\n•\n•\n\nDominance of low and medium-tech\nindustries and contract manufacturing\n"
     "Not enough cross-sectoral co-operation\nLack of long-term strategy for financing\ncluster activities\n"
     "Small scale of cluster organisations (on\naverage 13 members and mostly SMEs)\n"
     "Lack of cluster management capacities\n(skills, financing)\n\nMoving up the value chain\n"
     "Further internationalisation/integration\ninto global value chains\nInvolving more research institutions in\n"
     "co-operation and cluster activities\nHigh number of cluster organisations\n"
     "with existing trust relationships with their\ncompanies\nHigh affinity with “Industry 4.0”\n\n"
     "Threats\n•\n•\n•\n•\n\nSkill shortages due to emigration and\nageing population\n"
     "Productivity growth not strong enough\nto keep up with economic growth\n"
     "Lack of trust among businesses hindering\nco-operation\nUnderstanding of cluster organisations\n"
     "as a loose set of activities with low\ncommitment\n",
     "\n@h3 Strengths\n"
     "@li •\tStrong industrial base (20% of GDP and 80% of exports are generated by industry)\n"
     "@li •\tMajor industry sectors: food processing, materials, energy, machinery, ICT, furniture\n"
     "@li •\tCluster landscape covers the key sectors\n"
     "@li •\tExcellent digitalisation infrastructure\n"
     "@li •\tFlexible businesses adapting quickly to changes in world markets\n"
     "@h3 Weaknesses\n"
     "@li •\tDominance of low and medium-tech industries and contract manufacturing\n"
     "@li •\tNot enough cross-sectoral co-operation\n"
     "@li •\tLack of long-term strategy for financing cluster activities\n"
     "@li •\tSmall scale of cluster organisations (on average 13 members and mostly SMEs)\n"
     "@li •\tLack of cluster management capacities (skills, financing)\n"
     "@h3 Opportunities\n"
     "@li •\tMoving up the value chain\n"
     "@li •\tFurther internationalisation/integration into global value chains\n"
     "@li •\tInvolving more research institutions in co-operation and cluster activities\n"
     "@li •\tHigh number of cluster organisations with existing trust relationships with their companies\n"
     "@li •\tHigh affinity with “Industry 4.0”\n"
     "@h3 Threats\n"
     "@li •\tSkill shortages due to emigration and ageing population\n"
     "@li •\tProductivity growth not strong enough to keep up with economic growth\n"
     "@li •\tLack of trust among businesses hindering co-operation\n"
     "@li •\tUnderstanding of cluster organisations as a loose set of activities with low commitment\n"),
    (" 3. Proposed regional strategy to\naddress the challenges\n",
     " @h1 3. Proposed regional strategy to address the challenges\n"),
    (" 4. Specific recommendations for\npolicy intervention: Competition to\ncreate “Innovation Partnerships”\n4.1.\n\nDescription\n",
     " @h1 4. Specific recommendations for policy intervention: Competition to create “Innovation Partnerships”\n"
     "@h2 4.1. Description\n"),
    ("\nObjectives of the Innovation Partnerships\n", "\n@h3 Objectives of the Innovation Partnerships\n"),
    ("\nCall for proposals on Innovation clusters, Sächsische Aufbaubank. Available at:\n"
     "https://www.sab.sachsen.de/förderprogramme/sie-möchten-ein-unternehmen-gründen-oder-in-ihrunternehmen-investieren/clusterförderung.jsp?cookieMSG=allowed\n4\n",
     "\n@fn 4 Call for proposals on Innovation clusters, Sächsische Aufbaubank. Available at: "
     "https://www.sab.sachsen.de/förderprogramme/sie-möchten-ein-unternehmen-gründen-oder-in-ihrunternehmen-investieren/clusterförderung.jsp?cookieMSG=allowed\n"),
    ("\nILLUSTRATIVE INNOVATION PARTNERSHIP I:\nTHE FOOD PROCESSING INDUSTRY AND THE CIRCULAR ECONOMY\n",
     "\n@h3 ILLUSTRATIVE INNOVATION PARTNERSHIP I: THE FOOD PROCESSING INDUSTRY AND THE CIRCULAR ECONOMY\n"),
    ("\nILLUSTRATIVE INNOVATION PARTNERSHIP II:\nDIGITALISATION OF INDUSTRY – MANUFACTURING\n",
     "\n@h3 ILLUSTRATIVE INNOVATION PARTNERSHIP II: DIGITALISATION OF INDUSTRY – MANUFACTURING\n"),
    ("\nStrategic goals\n", "\n@h3 Strategic goals\n", 2),
    ("\nWho?\n", "\n@h3 Who?\n", 2),
    ("\n\n5\n6\n\nhttps://linpra.lt/en/about-us/linpra-europoje/\nhttp://eimin.lrv.lt/en/\n",
     "\n\n@fn 5 https://linpra.lt/en/about-us/linpra-europoje/\n@fn 6 http://eimin.lrv.lt/en/\n"),
    ("\nStep 1: Innovation Partnership Competition\n", "\n@h3 Step 1: Innovation Partnership Competition\n"),
    ("\nStep 2: Selection of the Innovation Partnerships\n", "\n@h3 Step 2: Selection of the Innovation Partnerships\n"),
    ("\n\nhttps://mita.lrv.lt/en/\nhttp://lic.lt/\n9 https://linpra.lt/\n10 https://infobalt.lt/en/\n"
     "11 https://investlithuania.com/\n7\n8\n",
     "\n\n@fn 7 https://mita.lrv.lt/en/\n@fn 8 http://lic.lt/\n@fn 9 https://linpra.lt/\n"
     "@fn 10 https://infobalt.lt/en/\n@fn 11 https://investlithuania.com/\n"),
    (" Step 3: Setting up the Innovation Partnerships\n", " @h3 Step 3: Setting up the Innovation Partnerships\n"),
    ("\nStep 4: The Innovation Partnerships delivery\n", "\n@h3 Step 4: The Innovation Partnerships delivery\n"),
    ("\nhttps://www.esinvesticijos.lt/lt/finansavimas/patvirtintos_priemones/inoklaster-lt\n"
     "https://www.interregeurope.eu/clusterfy/\n14 http://eimin.lrv.lt/en/sector-activities/innovation/innovation-support-measures\n"
     "15 https://rio.jrc.ec.europa.eu/en/library/intellect-lt\n12\n",
     "\n@fn 12 https://www.esinvesticijos.lt/lt/finansavimas/patvirtintos_priemones/inoklaster-lt\n"
     "@fn https://www.interregeurope.eu/clusterfy/\n"
     "@fn 14 http://eimin.lrv.lt/en/sector-activities/innovation/innovation-support-measures\n"
     "@fn 15 https://rio.jrc.ec.europa.eu/en/library/intellect-lt\n"),
    ("\nConditions for success\n", "\n@h3 Conditions for success\n"),
    ("\n4.2.\n\nBenefits and Costs\n", "\n@h2 4.2. Benefits and Costs\n"),
    ("\n16\n17\n\nhttps://ec.europa.eu/programmes/horizon2020/en\nhttps://ec.europa.eu/regional_policy/en/funding/erdf/\n",
     "\n@fn 16 https://ec.europa.eu/programmes/horizon2020/en\n@fn 17 https://ec.europa.eu/regional_policy/en/funding/erdf/\n"),
    (" 4.3.\n\nRisks, obstacles and challenges\n", " @h2 4.3. Risks, obstacles and challenges\n"),
    (" 5. Roadmap and action plan with\nactivities, timeframe and actors\n",
     " @h1 5. Roadmap and action plan with activities, timeframe and actors\n"),
    (" European Observatory for Clusters and\nIndustrial Change\n",
     " @h1 European Observatory for Clusters and Industrial Change\n"),
    [("services:\n\n18\n\n•\n", "services:\n\n•\n"),   # footnote number 18 moves to its text
     ("\nEuropean Cluster Collaboration Platform, Official Website. Available at: https://www.clustercollaboration.eu/.\n",
      "\n@fn 18 European Cluster Collaboration Platform, Official Website. Available at: https://www.clustercollaboration.eu/.\n")],
    ("\nPrevious versions for 2014 and 2015 were developed by the European Service Innovation Centre (ESIC), see\n"
     "http://ec.europa.eu/growth/tools-databases/esic/index_en.htm.\n19\n",
     "\n@fn 19 Previous versions for 2014 and 2015 were developed by the European Service Innovation Centre (ESIC), see "
     "http://ec.europa.eu/growth/tools-databases/esic/index_en.htm.\n"),
    (" GETTING IN TOUCH WITH THE EU\nIn person\n", " @h1 GETTING IN TOUCH WITH THE EU\n@h3 In person\n"),
    ("\nOn the phone or by email\n", "\n@h3 On the phone or by email\n"),
    ("\n– by freephone: 00 800 6 7 8 9 10 11 (certain operators may charge for these calls),\n"
     "– at the following standard number: +32 22999696 or\n– by email via: https://europa.eu/european-union/contact_en\n",
     "\n@li –\tby freephone: 00 800 6 7 8 9 10 11 (certain operators may charge for these calls),\n"
     "@li –\tat the following standard number: +32 22999696 or\n"
     "@li –\tby email via: https://europa.eu/european-union/contact_en\n"),
    ("\nFINDING INFORMATION ABOUT THE EU\nOnline\n", "\n@h1 FINDING INFORMATION ABOUT THE EU\n@h3 Online\n"),
    ("\nEU publications\n", "\n@h3 EU publications\n"),
    ("\nEU law and related documents\n", "\n@h3 EU law and related documents\n"),
    ("\nOpen data from the EU\n", "\n@h3 Open data from the EU\n"),
]

TABLE2_START = "Table 2: Action plan\n"
TABLE2_END = "process and supporting it on an ad hoc basis.\n"


def apply_fixups(raw: str, fixups) -> str:
    """Apply exact repairs; a list of repairs (a "move") is word-checked as a whole."""
    def words(t):
        t = re.sub(r"(?m)^ ?@(h\d|fn|cap|li)\s", " ", t).replace("\t", " ")
        return collections.Counter(w for w in t.split() if w != BULLET)

    for group in fixups:
        group = group if isinstance(group, list) else [group]
        old_w, new_w = collections.Counter(), collections.Counter()
        for fx in group:
            old, new = fx[0], fx[1]
            count = fx[2] if len(fx) > 2 else 1
            found = raw.count(old)
            if found != count:
                raise SystemExit(f"seed 004: repair expected {count} match(es), found {found}: {old[:70]!r}")
            old_w.update(words(old))
            new_w.update(words(new))
            raw = raw.replace(old, new)
        if old_w != new_w:
            raise SystemExit(f"seed 004: repair changes words: {group[0][0][:70]!r}")
    return raw


def table2(raw: str) -> str:
    """Table 2 was extracted cell by cell (cells separated by blank lines)."""
    start = raw.index(TABLE2_START) + len(TABLE2_START)
    end = raw.index(TABLE2_END, start) + len(TABLE2_END)
    cells = [" ".join(c.split()) for c in re.split(r"\n\s*\n", raw[start:end].strip("\n"))]
    if len(cells) % 3:
        raise SystemExit("seed 004: Table 2 does not have 3 columns")
    rows = ["@tr " + "\t".join(cells[i:i + 3]) for i in range(0, len(cells), 3)]
    return raw[:start] + "\n".join(rows) + "\n" + raw[end:]


def split_pages_004(raw: str) -> list[list[str]]:
    lines = raw.split("\n")
    pages, cur = [], []
    for i, line in enumerate(lines):
        if line.startswith(" ") and any(l.strip() for l in cur):
            pages.append(cur)
            cur = []
        if FOOTER_RE.match(line):
            # A footer ends a page, unless the next page start follows within a
            # few lines (then those lines, e.g. a figure caption, belong here).
            nxt = [l for l in lines[i + 1:i + 6]]
            soon = False
            for l in nxt:
                if l.startswith(" "):
                    soon = True
                    break
            if not soon:
                pages.append(cur)
                cur = []
            continue
        cur.append(line[1:] if line.startswith(" ") else line)
    if any(l.strip() for l in cur):
        pages.append(cur)
    return pages


def is_special(line: str) -> bool:
    s = line.strip()
    return (not s or s.startswith("@") or s == BULLET or s.startswith(BULLET + " ")
            or re.fullmatch(r"\d+\.", s) is not None
            or re.match(r"^(Figure|Table) \d+:", s) is not None or s.startswith("Source:"))


def split_items(lines: list[str], k: int):
    """Split the text lines of a list whose k markers were extracted separately."""
    if k == 1:
        return [" ".join(lines)]
    if len(lines) == k:
        return lines
    for rule in (r"^[A-Z][^:]{0,80}:\s", r"^[A-Z“\"(]"):
        starts = [i for i, l in enumerate(lines) if re.match(rule, l)]
        if len(starts) == k and starts[0] == 0:
            bounds = starts + [len(lines)]
            return [" ".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]
    return None


SHORT_LINE = 88


def parse_004_page(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        s = lines[i].strip()
        if not s:
            i += 1
            continue
        if s.startswith("@tr "):
            rows = []
            while i < n and lines[i].strip().startswith("@tr "):
                rows.append(lines[i].strip()[4:].split("\t"))
                i += 1
            blocks.append(Block("table", rows=rows))
            continue
        m = re.match(r"^@(h\d|fn|cap|li)\s(.*)$", s)
        if m:
            kind, text = m.groups()
            if kind == "li":
                marker, text = text.split("\t", 1)
                blocks.append(Block("li", text, marker=marker))
            else:
                blocks.append(Block(kind, text))
            i += 1
            continue
        # list whose markers ("•" or "1.") were extracted on lines of their own
        if s == BULLET or re.fullmatch(r"\d+\.", s):
            markers = []
            while i < n and (not lines[i].strip() or lines[i].strip() == BULLET
                             or re.fullmatch(r"\d+\.", lines[i].strip())):
                if lines[i].strip():
                    markers.append(lines[i].strip())
                i += 1
            body = []
            while i < n and lines[i].strip() and not is_special(lines[i]):
                body.append(lines[i].strip())
                i += 1
            items = split_items(body, len(markers))
            if items is None:
                raise SystemExit(f"seed 004: cannot match {len(markers)} list markers to {body[:2]}")
            for mk, it in zip(markers, items):
                blocks.append(Block("li", it, marker=mk))
            continue
        # bullet with its item on the same line (+ wrapped continuation lines)
        if s.startswith(BULLET + " "):
            text = s[2:].strip()
            i += 1
            while (i < n and lines[i].strip() and not is_special(lines[i])
                   and not re.search(r"(\.|;|; and)$", text)):
                text += " " + lines[i].strip()
                i += 1
            blocks.append(Block("li", text, marker=BULLET))
            continue
        # figure / table captions and sources
        if re.match(r"^(Figure|Table) \d+:", s) or s.startswith("Source:"):
            text = s
            i += 1
            while i < n and lines[i].strip()[:1].islower():
                text += " " + lines[i].strip()
                i += 1
            blocks.append(Block("cap", text))
            continue
        # ordinary paragraph: re-flow the wrapped lines
        text = s
        prev = s
        i += 1
        while i < n and lines[i].strip() and not is_special(lines[i]):
            nxt = lines[i].strip()
            if re.search(r"[.:!?]$", prev) and (
                    (len(prev) < SHORT_LINE and not nxt[:1].islower())
                    or re.match(r"^[A-Z][\w ]{2,50}:\s", nxt)):     # "Label: text" paragraph
                break
            text += " " + nxt
            prev = nxt
            i += 1
        blocks.append(Block("p", text))
    return blocks


def parse_004(raw: str) -> list[Page]:
    raw = apply_fixups(raw, FIXUPS_004)
    raw = table2(raw)
    pages = [Page(parse_004_page(p)) for p in split_pages_004(raw)]
    return [p for p in pages if p.blocks]


def seed_words_004(raw: str) -> list[str]:
    lines = [l for l in raw.split("\n") if not FOOTER_RE.match(l)]
    return [w for w in " ".join(lines).split() if w != BULLET]


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------
STYLES = {
    #        font size, line height (mm), bold, space before, space after
    "h1":  (14.0, 6.6, True, 4.0, 2.0),
    "h2":  (12.0, 5.8, True, 3.0, 1.6),
    "h3":  (10.5, 5.0, True, 2.4, 1.0),
    "p":   (10.0, 4.8, False, 0.0, 2.0),
    "li":  (10.0, 4.8, False, 0.0, 1.0),
    "cap": (9.0, 4.3, False, 1.0, 2.0),
    "fn":  (7.5, 3.4, False, 0.0, 0.6),
    "table": (8.5, 3.9, False, 1.0, 2.0),
}
COVER_STYLES = {"h1": (22.0, 10.0, True, 0.0, 6.0), "h2": (16.0, 8.0, True, 0.0, 20.0),
                "p": (11.0, 5.6, True, 0.0, 2.0)}
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 20.0, 20.0, 18.0, 16.0
LIST_INDENT = 6.0
MIN_FIT_SCALE = 0.35


class Renderer:
    def __init__(self, font_dir: Path, meta: dict):
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_margins(MARGIN_L, MARGIN_T, MARGIN_R)
        pdf.set_auto_page_break(False)
        for style, fname in FONT_FILES.items():
            pdf.add_font("DejaVu", style, str(font_dir / fname))
        pdf.set_creation_date(CREATION_DATE)
        pdf.set_title(meta["title"])
        pdf.set_author(meta["publisher"])
        pdf.set_subject(f"{meta['kind']} document ({meta['date']}); doc_id: {meta['doc_id']}")
        pdf.set_keywords(", ".join(meta["topics"]))
        pdf.set_creator("cluster-assistant corpus/build_pdfs.py")
        pdf.set_producer("fpdf2")
        pdf.set_lang("en")
        self.pdf = pdf
        self.bottom = pdf.h - MARGIN_B
        self.limit = self.bottom
        self.text_w = pdf.w - MARGIN_L - MARGIN_R

    # --- inline runs -----------------------------------------------------
    @staticmethod
    def runs(text: str):
        """Markup -> list of (text, style) with style in "", "B", "SUP", "BSUP"."""
        out, bold = [], False
        for part in re.split(r"(\*\*|<sup>.*?</sup>)", text):
            if part == "**":
                bold = not bold
            elif part.startswith("<sup>"):
                out.append((part[5:-6], ("B" if bold else "") + "SUP"))
            elif part:
                out.append((part, "B" if bold else ""))
        return out

    def width(self, s: str, style: str, size: float) -> float:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B" if "B" in style else "", size * (0.7 if "SUP" in style else 1.0))
        return pdf.get_string_width(s)

    def wrap(self, text: str, size: float, width: float, bold: bool = False):
        """Greedy line breaking at spaces only. Returns [(scale, [(text, style)])]."""
        words = []  # each word: list of (text, style) pieces; None = hard break
        cur = []
        for chunk, style in self.runs(text):
            if bold and "B" not in style:
                style = "B" + style
            for tok in re.split(r"(\s+)", chunk):
                if not tok:
                    continue
                if tok.isspace():
                    if cur:
                        words.append(cur)
                        cur = []
                    if "\n" in tok:
                        words.append(None)
                else:
                    cur.append((tok, style))
        if cur:
            words.append(cur)

        space_w = self.width(" ", "", size)
        lines, line, line_w = [], [], 0.0

        def wlen(word):
            return sum(self.width(t, st, size) for t, st in word)

        def flush():
            nonlocal line, line_w
            if line:
                lines.append((1.0, line))
            line, line_w = [], 0.0

        for word in words:
            if word is None:
                flush()
                continue
            w = wlen(word)
            if w > width and line and line_w < 0.15 * width:
                # over-long token (URL) after a short lead such as a footnote
                # number: keep them together and shrink the whole line
                lines.append((max(width / (line_w + space_w + w) * 0.999, MIN_FIT_SCALE), line + [word]))
                line, line_w = [], 0.0
                continue
            if line and line_w + space_w + w > width:
                flush()
            if not line and w > width:            # a single over-long token
                lines.append((max(width / w * 0.999, MIN_FIT_SCALE), [word]))
                continue
            line.append(word)
            line_w += (space_w if len(line) > 1 else 0.0) + w
        flush()

        out = []
        for scale, ws in lines:
            pieces = []
            for k, word in enumerate(ws):
                for j, (t, st) in enumerate(word):
                    if k < len(ws) - 1 and j == len(word) - 1:
                        t += " "
                    if pieces and pieces[-1][1] == st:
                        pieces[-1] = (pieces[-1][0] + t, st)
                    else:
                        pieces.append((t, st))
            out.append((scale, pieces))
        return out

    def draw_line(self, x, y, pieces, size, lh, scale=1.0, align="L", width=None):
        pdf = self.pdf
        total = sum(self.width(t, st, size * scale) for t, st in pieces)
        if align == "C" and width:
            x += max(0.0, (width - total) / 2)
        pdf.set_xy(x, y)
        for t, st in pieces:
            pdf.set_font("DejaVu", "B" if "B" in st else "", size * scale)
            pdf.char_vpos = "SUP" if "SUP" in st else "LINE"
            w = pdf.get_string_width(t)
            pdf.cell(w, lh, t, new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.char_vpos = "LINE"

    # --- blocks ----------------------------------------------------------
    def ensure(self, h):
        if self.pdf.get_y() + h > self.limit:
            self.pdf.add_page()
            self.pdf.set_y(MARGIN_T)

    def paragraph(self, text, kind, x_off=0.0, marker="", align="L", styles=STYLES):
        size, lh, bold, before, after = styles.get(kind, STYLES[kind])
        pdf = self.pdf
        width = self.text_w - x_off
        lines = self.wrap(text, size, width, bold)
        if pdf.get_y() > MARGIN_T + 0.1:
            pdf.set_y(pdf.get_y() + before)
        if kind.startswith("h"):       # keep a heading with two following lines
            self.ensure(lh * len(lines) + 2 * STYLES["p"][1])
        for n, (scale, pieces) in enumerate(lines):
            self.ensure(lh)
            y = pdf.get_y()
            if n == 0 and marker:
                hang = self.width(marker + " ", "", size) + 1.0
                self.draw_line(MARGIN_L + x_off - max(LIST_INDENT, hang), y, [(marker + " ", "")], size, lh)
            self.draw_line(MARGIN_L + x_off, y, pieces, size, lh, scale, align, width)
            pdf.set_y(y + lh)
        pdf.set_y(pdf.get_y() + after)

    def table(self, rows):
        size, lh, _, before, after = STYLES["table"]
        pdf = self.pdf
        fracs = [0.27, 0.17, 0.56] if len(rows[0]) == 3 else [1.0 / len(rows[0])] * len(rows[0])
        pad = 1.5
        widths = [self.text_w * f for f in fracs]
        pdf.set_y(pdf.get_y() + before)
        pdf.set_draw_color(150, 150, 150)
        pdf.set_line_width(0.2)
        for r, row in enumerate(rows):
            wrapped = [self.wrap(c, size, w - 2 * pad, bold=(r == 0)) for c, w in zip(row, widths)]
            row_h = max(len(c) for c in wrapped) * lh + 2 * pad
            self.ensure(row_h)
            y0 = pdf.get_y()
            x = MARGIN_L
            for cell_lines, w in zip(wrapped, widths):
                for k, (scale, pieces) in enumerate(cell_lines):
                    self.draw_line(x + pad, y0 + pad + k * lh, pieces, size, lh, scale)
                x += w
            x = MARGIN_L
            for w in widths:
                pdf.rect(x, y0, w, row_h)
                x += w
            pdf.set_y(y0 + row_h)
        pdf.set_y(pdf.get_y() + after)

    def footnotes_height(self, fns):
        size, lh, _, _, after = STYLES["fn"]
        return sum(len(self.wrap(b.text, size, self.text_w)) * lh + after for b in fns) + 3.0

    def render(self, pages: list[Page]):
        pdf = self.pdf
        for page in pages:
            pdf.add_page()
            fns = [b for b in page.blocks if b.kind == "fn"]
            body = [b for b in page.blocks if b.kind != "fn"]
            fn_h = self.footnotes_height(fns) if fns else 0.0
            self.limit = self.bottom - fn_h
            if page.cover:
                pdf.set_y(80)
            prev = None
            for b in body:
                if prev == "li" and b.kind != "li":
                    pdf.set_y(pdf.get_y() + 1.5)
                prev = b.kind
                if b.kind == "table":
                    self.table(b.rows)
                elif b.kind == "li":
                    hang = max(LIST_INDENT, self.width(b.marker + " ", "", STYLES["li"][0]) + 1.0)
                    indent = LIST_INDENT * b.level + hang
                    self.paragraph(b.text, "li", x_off=indent, marker=b.marker)
                elif page.cover:
                    self.paragraph(b.text, b.kind, align="C", styles=COVER_STYLES)
                else:
                    self.paragraph(b.text, b.kind)
            if fns:
                if pdf.get_y() > self.limit:
                    pdf.add_page()
                self.limit = self.bottom
                y = self.bottom - fn_h
                pdf.set_draw_color(120, 120, 120)
                pdf.set_line_width(0.2)
                pdf.line(MARGIN_L, y + 0.5, MARGIN_L + 50, y + 0.5)
                pdf.set_y(y + 2.5)
                for b in fns:
                    self.paragraph(b.text, "fn")

    def output(self, path: Path):
        self.pdf.output(str(path))


# --------------------------------------------------------------------------
def find_font_dir(explicit: str | None) -> Path:
    cands = [explicit] if explicit else []
    if os.environ.get("CLUSTER_ASSISTANT_FONT_DIR"):
        cands.append(os.environ["CLUSTER_ASSISTANT_FONT_DIR"])
    cands += FONT_DIR_CANDIDATES
    try:
        import matplotlib
        cands.append(str(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"))
    except Exception:
        pass
    for c in cands:
        if c and all((Path(c) / f).is_file() for f in FONT_FILES.values()):
            return Path(c)
    raise SystemExit("DejaVu Sans (DejaVuSans.ttf, DejaVuSans-Bold.ttf) not found; "
                     "install fonts-dejavu-core or pass --font-dir")


def seed_file(seeds: Path, prefix: str) -> Path:
    found = sorted(seeds.glob(f"{prefix}_*.txt"))
    if not found:
        raise SystemExit(f"no seed {prefix}_*.txt in {seeds}")
    return found[0]


def self_check(pdf_path: Path, expected_words: list[str]) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        return "pypdf not installed, read-back check skipped"
    reader = PdfReader(str(pdf_path))
    got = " ".join(p.extract_text() or "" for p in reader.pages).split()
    got = [w for w in got if w != BULLET]
    if collections.Counter(got) != collections.Counter(expected_words):
        missing = collections.Counter(expected_words) - collections.Counter(got)
        extra = collections.Counter(got) - collections.Counter(expected_words)
        raise SystemExit(f"{pdf_path.name}: read-back differs; missing {list(missing)[:10]}, "
                         f"extra {list(extra)[:10]}")
    return f"{len(reader.pages)} pages, {len(got)} words read back"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default=str(DEFAULT_SEEDS), help="directory with the seed texts")
    ap.add_argument("--out", default=str(REPO / "corpus"), help="output directory (default: corpus/)")
    ap.add_argument("--font-dir", default=None, help="directory containing DejaVuSans.ttf")
    args = ap.parse_args(argv)
    seeds, out = Path(args.seeds), Path(args.out)
    font_dir = find_font_dir(args.font_dir)

    for prefix, spec in DOCS.items():
        raw = seed_file(seeds, prefix).read_text(encoding="utf-8")
        if prefix == "003":
            pages, seed_words = parse_003(raw), seed_words_003(raw)
        else:
            pages, seed_words = parse_004(raw), seed_words_004(raw)
        words = [w for w in block_words([b for p in pages for b in p.blocks]) if w != BULLET]
        if collections.Counter(words) != collections.Counter(seed_words):
            missing = collections.Counter(seed_words) - collections.Counter(words)
            extra = collections.Counter(words) - collections.Counter(seed_words)
            raise SystemExit(f"seed {prefix}: words lost {dict(missing)} / added {dict(extra)}")
        meta = spec["meta"]
        r = Renderer(font_dir, meta)
        r.render(pages)
        pdf_path = out / spec["file"]
        r.output(pdf_path)
        with open(out / (spec["file"] + ".meta.yaml"), "w", encoding="utf-8") as fh:
            yaml.safe_dump(meta, fh, sort_keys=False, allow_unicode=True, width=1000)
        print(f"{pdf_path.name}: {len(pages)} logical pages; {self_check(pdf_path, words)}")


if __name__ == "__main__":
    main()
