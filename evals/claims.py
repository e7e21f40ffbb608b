"""The support check on its own: labelled (claim, cited passage, supported?) items from the shipped
corpus (`evals/claims.yaml`) through `support.check_claim`, scored per corruption type.

Items fall in a dev or a held-out half by a hash of their id; the threshold is calibrated on dev only
(`calibrate`) and the report gives both halves, so the held-out figures say how well it generalises."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from cluster_assistant.assistant.answering.support import (
    COVERAGE,
    SentenceVectors,
    Verdict,
    check_claim,
    passage_vectors,
)
from cluster_assistant.assistant.safe_yaml import load_shipped
from cluster_assistant.assistant.settings import shipped

DEFAULT_CLAIMS = shipped("evals", "claims.yaml")
TYPES = ("paraphrase", "number", "name", "negation", "wrong-document")
# The share of each type the check must get right: paraphrases kept, the others caught.
TARGETS = {"paraphrase": 0.90, "number": 0.95, "name": 0.95, "negation": 0.85, "wrong-document": 0.85}


class ClaimsError(ValueError):
    pass


@dataclass
class Claim:
    id: str
    type: str
    supported: bool
    claim: str
    passage: str      # the cited text
    doc_id: str

    @property
    def half(self) -> str:
        """'dev' or 'held-out', fixed by the id (stable across runs and edits of other items)."""
        return "dev" if hashlib.sha1(self.id.encode()).digest()[0] % 2 == 0 else "held-out"


@dataclass
class Scored:
    id: str
    type: str
    half: str
    supported: bool
    reason: str          # why the check rejected it at threshold 0 ("" if only the meaning test could)
    detail: str
    similarity: float
    covered: float       # share of its content terms in the nearest passage sentences
    claim: str

    def accepted(self, threshold: float) -> bool:
        """What `check_claim` decides at `threshold` (the same rule, without embedding again)."""
        return not self.reason and (self.similarity >= threshold or self.covered >= COVERAGE)


def load_claims(path: Path = DEFAULT_CLAIMS) -> list[Claim]:
    try:
        raw = load_shipped(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ClaimsError(f"cannot read claims {path}: {e}") from e
    if not (isinstance(raw, dict) and isinstance(raw.get("passages"), list) and isinstance(raw.get("claims"), list)):
        raise ClaimsError(f"{path}: expected `passages` and `claims` lists")
    try:
        passages = {str(p["id"]): (str(p["text"]), str(p["doc_id"])) for p in raw["passages"]}
    except (KeyError, TypeError) as e:
        raise ClaimsError(f"{path}: a passage lacks a field: {e}") from e
    out: list[Claim] = []
    seen: set[str] = set()
    for n, r in enumerate(raw["claims"], 1):
        try:
            text, doc_id = passages[str(r["passage"])]
            c = Claim(id=str(r["id"]), type=str(r["type"]), supported=bool(r["supported"]), claim=str(r["claim"]),
                      passage=text, doc_id=doc_id)
        except KeyError as e:
            raise ClaimsError(f"{path}: claim {n} lacks a field or names an unknown passage: {e}") from e
        except TypeError as e:
            raise ClaimsError(f"{path}: claim {n} is not a mapping: {e}") from e
        if c.type not in TYPES:
            raise ClaimsError(f"{path}: claim {c.id} has type {c.type!r}; use one of {', '.join(TYPES)}")
        if c.supported != (c.type == "paraphrase"):
            raise ClaimsError(f"{path}: claim {c.id}: only paraphrases are supported")
        if c.id in seen:
            raise ClaimsError(f"{path}: duplicate id {c.id}")
        seen.add(c.id)
        out.append(c)
    return out


def score(claims: Sequence[Claim], embedder: Any) -> list[Scored]:
    """Each claim checked against its passage at threshold 0: the lexical tests decide, and the
    similarity is kept so any threshold can be applied afterwards without embedding again."""
    vectors: dict[str, SentenceVectors] = {}
    out = []
    for c in claims:
        if c.passage not in vectors:  # source sentences embedded as ingest embeds a chunk's units
            vectors[c.passage] = SentenceVectors(embedder, passage_vectors(embedder, c.passage))
        v: Verdict = check_claim(c.claim, [c.passage], "", vectors[c.passage], threshold=-1.0)
        out.append(Scored(id=c.id, type=c.type, half=c.half, supported=c.supported, reason=v.reason,
                          detail=v.detail, similarity=round(v.similarity, 4), covered=round(v.covered, 4),
                          claim=c.claim))
    return out


def rates(scored: Sequence[Scored], threshold: float) -> dict[str, dict[str, float]]:
    """Per type: n, and the share the check got right (paraphrases kept; the others caught)."""
    out: dict[str, dict[str, float]] = {}
    for t in TYPES:
        items = [s for s in scored if s.type == t]
        right = sum(s.accepted(threshold) == s.supported for s in items)
        out[t] = {"n": len(items), "correct": right, "rate": right / len(items) if items else 0.0}
    return out


def calibrate(scored: Sequence[Scored]) -> float:
    """The threshold that best separates supported from unsupported dev items: the largest sum of
    paraphrase acceptance and unsupported recall, in the middle of the range of thresholds that
    reach it (the widest margin on both sides)."""
    dev = [s for s in scored if s.half == "dev"]
    pos = [s for s in dev if s.supported]
    neg = [s for s in dev if not s.supported]

    def j(t: float) -> float:
        return (sum(s.accepted(t) for s in pos) / max(1, len(pos))
                + sum(not s.accepted(t) for s in neg) / max(1, len(neg)))

    sims = sorted({s.similarity for s in dev if not s.reason and s.covered < COVERAGE} | {0.0})
    scores = [j(t) for t in sims]
    best = max(scores)
    tied = [i for i, x in enumerate(scores) if x >= best - 1e-9]
    lo, hi = tied[0], tied[-1]
    # Thresholds between the similarity below the plateau and its top all score the same on dev.
    low = sims[lo - 1] if lo > 0 else sims[lo]
    return round((low + sims[hi]) / 2, 3)


def run(claims: Sequence[Claim], embedder: Any, threshold: float) -> dict[str, Any]:
    scored = score(claims, embedder)
    halves = {h: rates([s for s in scored if s.half == h], threshold) for h in ("dev", "held-out")}
    return {
        "threshold": threshold,
        "calibrated_on_dev": calibrate(scored),
        "all": rates(scored, threshold),
        **halves,
        "targets": TARGETS,
        "failures": [asdict(s) for s in scored if s.accepted(threshold) != s.supported],
    }


def misses(report: dict[str, Any], part: str = "all") -> list[str]:
    """Types below their target in a part of the report ("all", "dev", "held-out")."""
    return [t for t in TYPES if report[part][t]["rate"] < TARGETS[t]]


def summary(report: dict[str, Any]) -> str:
    lines = [f"support check, threshold {report['threshold']:.3f} (dev calibration suggests "
             f"{report['calibrated_on_dev']:.3f})",
             f"  {'type':15} {'target':>6} {'dev':>14} {'held-out':>14} {'all':>14}"]
    for t in TYPES:
        verb = "kept" if t == "paraphrase" else "caught"
        cells = []
        for part in ("dev", "held-out", "all"):
            r = report[part][t]
            cells.append(f"{r['correct']:>3}/{r['n']:<3} {r['rate']:.3f}")
        lines.append(f"  {t:15} {TARGETS[t]:>6.2f} {cells[0]:>14} {cells[1]:>14} {cells[2]:>14}  ({verb})")
    return "\n".join(lines)


def run_cli(settings: Any, out: Path, path: Path | None = None, calibrated: bool = False) -> int:
    """`cluster-assistant eval --claims`: print the table, write `<out>/claims.json`; 1 when a type
    misses its target on either half (the CI gate), else 0."""
    import json

    from cluster_assistant.assistant.embeddings import make_embedder

    claims = load_claims(path or DEFAULT_CLAIMS)
    embedder = make_embedder(settings)
    report = run(claims, embedder, settings.support_threshold)
    if calibrated:  # the threshold the dev half suggests, in place of the configured one
        report = run(claims, embedder, report["calibrated_on_dev"])
    report["claims_file"] = str(path or DEFAULT_CLAIMS)
    print(summary(report))
    out.mkdir(parents=True, exist_ok=True)
    (out / "claims.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out / 'claims.json'}")
    failed = {part: misses(report, part) for part in ("dev", "held-out")}
    if any(failed.values()):
        print("support check below target: " + "; ".join(f"{part}: {', '.join(ts)}" for part, ts in failed.items()
                                                         if ts))
        return 1
    return 0
