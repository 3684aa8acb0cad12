"""Normalisation of regency and province names for matching.

Matching is case-, space- and punctuation-insensitive: ``"KAB. KAPUAS HULU"``,
``"Kabupaten Kapuas  Hulu"`` and ``"kapuas-hulu"`` all reduce to the key ``"kapuashulu"``.
The administrative prefix (``Kab.``, ``Kabupaten``, ``Kota``, ``Kota Administrasi``) or
suffix (``", Kota"``, ``" City"``, ``" Regency"``) is split off as a *kind hint*.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_ABBREVIATIONS = {"kep": "kepulauan", "kab": "kabupaten", "adm": "administrasi", "kepl": "kepulauan"}
_KABUPATEN_WORDS = {"kabupaten", "regency"}
_KOTA_WORDS = {"kota", "city"}


class ParsedName(NamedTuple):
    """A name split into a kind hint and a matching key."""

    kind: str | None
    """``"kabupaten"``, ``"kota"`` or ``None`` when the name carries no prefix or suffix."""
    key: str
    """Letters and digits of the name without the prefix/suffix, lower case, no spaces."""
    full_key: str
    """``kind`` word + ``key`` (``"kotabaru"`` for ``"Kota Baru"`` and ``"Baru, Kota"``)."""


def words(name: str) -> list[str]:
    """Lower-case ASCII words of ``name`` with common abbreviations expanded."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return [_ABBREVIATIONS.get(w, w) for w in text.split()]


def key(name: str) -> str:
    """Matching key of a name as written (no prefix stripping)."""
    return "".join(words(name))


def parse_regency_name(name: str) -> ParsedName:
    """Split a regency/city name into kind hint and key.

    Examples
    --------
    >>> parse_regency_name("KAB. KAPUAS HULU")
    ParsedName(kind='kabupaten', key='kapuashulu', full_key='kabupatenkapuashulu')
    >>> parse_regency_name("Lima Puluh Kota").kind is None
    True
    >>> parse_regency_name("Tual, Kota").kind
    'kota'
    """
    raw = str(name).strip()
    kind: str | None = None
    suffix = re.search(r",\s*(kota|kab\.?|kabupaten)\s*$|\s(city|regency)\s*$", raw, flags=re.IGNORECASE)
    if suffix:
        word = (suffix.group(1) or suffix.group(2)).lower()
        kind = "kota" if word in ("kota", "city") else "kabupaten"
        raw = raw[: suffix.start()]
    w = words(raw)
    if kind is not None:
        pass
    elif len(w) > 1 and w[0] in _KABUPATEN_WORDS:
        kind, w = "kabupaten", w[1:]
        if len(w) > 1 and w[0] == "administrasi":
            w = w[1:]
    elif len(w) > 1 and w[0] in _KOTA_WORDS:
        kind, w = "kota", w[1:]
        if len(w) > 1 and w[0] == "administrasi":
            w = w[1:]
    elif len(w) > 1 and w[0] == "administrasi":
        w = w[1:]
    core = "".join(w)
    return ParsedName(kind, core, (kind or "") + core)
