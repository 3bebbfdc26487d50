"""Seeded random sentences for the speech synthesisers.

Small grammars for English, Spanish, French, German and Italian; every other language gets pronounceable
pseudo-words, which espeak-ng reads with that language's letter-to-sound rules, so it still sounds like the language.
"""

from __future__ import annotations

import numpy as np

_EN = {
    "det": ["the", "a", "every", "this", "that", "my", "your", "our", "one", "some"],
    "adj": ["quiet", "bright", "old", "small", "heavy", "golden", "distant", "careful", "broken", "warm", "green",
            "sudden", "patient", "narrow", "busy", "gentle", "strange", "empty", "clever", "wooden"],
    "noun": ["river", "teacher", "window", "garden", "engine", "letter", "morning", "village", "captain", "bicycle",
             "kitchen", "market", "doctor", "island", "mountain", "station", "painter", "orchestra", "lantern",
             "neighbour", "farmer", "machine", "forest", "library", "harbour", "question", "sister", "storm"],
    "verb": ["watched", "carried", "found", "painted", "followed", "opened", "repaired", "visited", "described",
             "remembered", "measured", "ignored", "discovered", "borrowed", "cleaned", "photographed", "answered"],
    "prep": ["near", "behind", "under", "beside", "across", "inside", "beyond", "before", "after", "without"],
    "adv": ["slowly", "quickly", "again", "yesterday", "today", "quietly", "suddenly", "finally", "twice", "early"],
    "aux": ["will", "should", "could", "might", "must"],
    "base": ["watch", "carry", "find", "paint", "follow", "open", "repair", "visit", "describe", "remember",
             "measure", "clean", "answer", "borrow"],
    "wh": ["why", "when", "where", "how"],
    "num": ["two", "three", "four", "seven", "twelve", "twenty", "forty", "ninety", "a hundred", "several"],
}

_SIMPLE = {  # det, noun, verb (past/3rd person), adjective, preposition, adverb for the other grammars
    "es": {"det": ["el", "la", "un", "una", "mi", "este"],
           "noun": ["río", "maestro", "ventana", "jardín", "carta", "pueblo", "mercado", "montaña", "estación",
                    "bosque", "cocina", "médico", "tormenta", "hermana"],
           "verb": ["mira", "lleva", "encuentra", "pinta", "sigue", "abre", "visita", "recuerda", "limpia", "busca"],
           "adj": ["pequeño", "viejo", "grande", "tranquilo", "verde", "lejano", "nuevo", "oscuro"],
           "prep": ["cerca de", "detrás de", "bajo", "junto a", "dentro de"],
           "adv": ["hoy", "ayer", "despacio", "otra vez", "temprano", "de repente"]},
    "fr": {"det": ["le", "la", "un", "une", "mon", "ce"],
           "noun": ["fleuve", "maître", "fenêtre", "jardin", "lettre", "village", "marché", "montagne", "gare",
                    "forêt", "cuisine", "médecin", "orage", "soeur"],
           "verb": ["regarde", "porte", "trouve", "peint", "suit", "ouvre", "visite", "cherche", "nettoie", "attend"],
           "adj": ["petit", "vieux", "grand", "calme", "vert", "lointain", "nouveau", "sombre"],
           "prep": ["près de", "derrière", "sous", "à côté de", "dans"],
           "adv": ["aujourd'hui", "hier", "lentement", "encore", "tôt", "soudain"]},
    "de": {"det": ["der", "die", "das", "ein", "eine", "mein"],
           "noun": ["Fluss", "Lehrer", "Fenster", "Garten", "Brief", "Dorf", "Markt", "Berg", "Bahnhof", "Wald",
                    "Küche", "Arzt", "Sturm", "Schwester"],
           "verb": ["sieht", "trägt", "findet", "malt", "folgt", "öffnet", "besucht", "sucht", "putzt", "kennt"],
           "adj": ["klein", "alt", "groß", "ruhig", "grün", "fern", "neu", "dunkel"],
           "prep": ["neben", "hinter", "unter", "vor", "in"],
           "adv": ["heute", "gestern", "langsam", "wieder", "früh", "plötzlich"]},
    "it": {"det": ["il", "la", "un", "una", "mio", "questo"],
           "noun": ["fiume", "maestro", "finestra", "giardino", "lettera", "villaggio", "mercato", "montagna",
                    "stazione", "bosco", "cucina", "medico", "tempesta", "sorella"],
           "verb": ["guarda", "porta", "trova", "dipinge", "segue", "apre", "visita", "cerca", "pulisce", "ricorda"],
           "adj": ["piccolo", "vecchio", "grande", "tranquillo", "verde", "lontano", "nuovo", "scuro"],
           "prep": ["vicino a", "dietro", "sotto", "accanto a", "dentro"],
           "adv": ["oggi", "ieri", "lentamente", "ancora", "presto", "improvvisamente"]},
}

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "st", "pl", "kr", "sh"]
_VOWELS = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou"]
_CODAS = ["", "", "", "n", "s", "r", "l", "m", "t", "k"]


def _pick(rng: np.random.Generator, words: list[str]) -> str:
    return words[int(rng.integers(len(words)))]


def _english(rng: np.random.Generator) -> str:
    w = _EN

    def np_() -> str:
        det = _pick(rng, w["det"])
        adj = _pick(rng, w["adj"]) + " " if rng.random() < 0.6 else ""
        return f"{det} {adj}{_pick(rng, w['noun'])}"

    form = int(rng.integers(5))
    if form == 0:
        s = f"{np_()} {_pick(rng, w['verb'])} {np_()} {_pick(rng, w['prep'])} {np_()}"
    elif form == 1:
        s = f"{_pick(rng, w['wh'])} {_pick(rng, w['aux'])} {np_()} {_pick(rng, w['base'])} {np_()}?"
    elif form == 2:
        s = f"{_pick(rng, w['adv'])}, {np_()} {_pick(rng, w['verb'])} {_pick(rng, w['num'])} {_pick(rng, w['noun'])}s"
    elif form == 3:
        s = f"{np_()} {_pick(rng, w['aux'])} {_pick(rng, w['base'])} {np_()}, and {np_()} {_pick(rng, w['verb'])} it"
    else:
        s = f"{np_()} {_pick(rng, w['verb'])} {np_()} {_pick(rng, w['adv'])}"
    s = s[0].upper() + s[1:]
    return s if s.endswith("?") else s + "."


def _simple(rng: np.random.Generator, w: dict[str, list[str]]) -> str:
    subject = f"{_pick(rng, w['det'])} {_pick(rng, w['noun'])}"
    obj = f"{_pick(rng, w['det'])} {_pick(rng, w['noun'])} {_pick(rng, w['adj'])}"
    place = f"{_pick(rng, w['prep'])} {_pick(rng, w['det'])} {_pick(rng, w['noun'])}"
    parts = [subject, _pick(rng, w["verb"]), obj]
    if rng.random() < 0.6:
        parts.append(place)
    if rng.random() < 0.5:
        parts.append(_pick(rng, w["adv"]))
    s = " ".join(parts)
    return s[0].upper() + s[1:] + ("?" if rng.random() < 0.2 else ".")


def _pseudo(rng: np.random.Generator) -> str:
    words = []
    for _ in range(int(rng.integers(5, 11))):
        syllables = int(rng.integers(1, 4))
        words.append("".join(_pick(rng, _ONSETS) + _pick(rng, _VOWELS) + _pick(rng, _CODAS) for _ in range(syllables)))
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


def grammar_language(lang: str) -> str | None:
    """The grammar used for an espeak/festival language code, or None for pseudo-words."""
    base = lang.split("-")[0].lower()
    if base == "en":
        return "en"
    return base if base in _SIMPLE else None


def random_sentence(rng: np.random.Generator, lang: str) -> str:
    """One sentence (or two, sometimes) for `lang`, drawn from `rng`."""
    grammar = grammar_language(lang)
    def one() -> str:
        if grammar == "en":
            return _english(rng)
        if grammar is not None:
            return _simple(rng, _SIMPLE[grammar])
        return _pseudo(rng)
    text = one()
    if rng.random() < 0.3:
        text += " " + one()
    return text
