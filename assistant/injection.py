"""Sentences in documents that speak to the assistant (or through it to its user) as instructions,
or that ask for credentials, bank details or PINs. Such a sentence is never an answer unit: a
document ingested from a shared folder (or, soon, a URL) must not decide what the assistant tells
people. Ingest reports the documents holding them and `sources` flags them.

Patterns, not a model: they are cheap enough to run on every unit at ingest and again at answer
time (indexes built before this check), and each one can be read and argued with."""

from __future__ import annotations

import re
import unicodedata

# What a text asks someone to hand over.
_SECRET = (r"(?:passwords?|passcodes?|pass ?phrases?|pins?|pin codes?|pin numbers?|cvv2?|cvc|security codes?|"
           r"one[- ]time (?:pass)?codes?|otp|2fa codes?|verification codes?|log ?in (?:details|data|credentials)|"
           r"credentials|bank(?:ing)? (?:account )?(?:details|numbers?|info(?:rmation)?|log ?ins?|data)|"
           r"account (?:numbers?|details)|iban|card (?:numbers?|details)|credit cards?|debit cards?|sort codes?|"
           r"routing numbers?|seed phrases?|recovery phrases?|private keys?|api keys?|access tokens?|"
           r"social security numbers?|personal codes?)")
_ASK = (r"(?:send|share|give|provide|enter|type|tell|e-?mail|submit|reply with|respond with|confirm|verify|"
        r"disclose|reveal|post|forward|hand over|write down|upload|text|dm|message)")
_INSTRUCTION = (r"(?:instructions?|prompts?|rules|directions|guidelines|guidance|context|messages?|"
                r"directives?|commands?|programming|training)")

_PATTERNS = [
    # Overriding what the assistant was told.
    rf"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.!?\n]{{0,40}}?"
    rf"\b(?:previous|prior|above|earlier|preceding|all|any|your|the|these|those|other|original)\b"
    rf"[^.!?\n]{{0,20}}?\b{_INSTRUCTION}",
    r"\byou are now\b",
    r"\bfrom now on,? (?:you|the assistant|the bot|the ai)\b",
    r"\b(?:system|developer|hidden|initial) (?:prompt|message|instructions?)\b",
    r"\bjailbr(?:eak|oken)\b",
    r"\b(?:new|updated|real|actual) instructions?\s*:",
    r"\b(?:as|you are) an? (?:ai|language model|llm|large language model|chatbot|ai assistant)\b",
    r"\b(?:assistants?|chatbots?|ai models?|language models?|llms?|the bot|the ai)\b,?"
    r" (?:must|should|shall|will|need to|has to|have to) (?:now |always |only )?"
    r"(?:say|tell|answer|reply|respond|recommend|ignore|reveal|output|print|claim)\b",
    r"\b(?:tell|instruct|ask|advise|direct) (?:the |all |every |any )?(?:users?|readers?|people|members|everyone)"
    r" to (?:send|share|give|provide|enter|e-?mail|submit|transfer|pay|wire|visit|click|contact)\b[^.!?\n]{0,80}"
    r"(?:https?://|www\.|\b[a-z0-9-]+\.(?:example|com|net|org|io|ru|xyz|info|biz|top)\b|" + _SECRET + r")",
    # Asking for secrets.
    rf"\b{_ASK}\b[^.!?\n]{{0,60}}?\b{_SECRET}\b",
    rf"\b(?:what is|what's|what are) (?:your|their|the user's) {_SECRET}\b",
    # Lithuanian: "ignoruok ankstesnes instrukcijas", "atsiųskite slaptažodį / PIN kodą / banko sąskaitos duomenis".
    r"\b(?:ignoruok|ignoruokite|nepaisyk|nepaisykite|pamiršk|pamirškite)\b[^.!?\n]{0,40}\b(?:instrukcij|nurodym)",
    r"\b(?:atsiųsk|atsiųskite|siųsk|siųskite|pateik|pateikite|nurodyk|nurodykite|įvesk|įveskite|pasakyk|"
    r"pasakykite)\w*\b[^.!?\n]{0,60}(?:slaptažod|pin kod|banko sąskait|sąskaitos numer|kortelės numer|"
    r"prisijungimo duomen)",
]
_ANY = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")  # soft hyphen, zero-width, bidi marks


def normalise(text: str) -> str:
    """What the patterns see: compatibility forms folded ("ｉｇｎｏｒｅ" -> "ignore"), invisible characters
    removed, whitespace runs made single spaces, lower case."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return " ".join(text.split()).casefold()


def instruction_like(text: str) -> bool:
    """Does this sentence address the assistant or its user as an instruction, or ask for a secret?"""
    return _ANY.search(normalise(text)) is not None
