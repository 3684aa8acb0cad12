"""The regency and province registry: codes, names, kinds and aliases.

Built from the committed extracts ``data/raw/regencies.csv`` and ``data/raw/provinces.csv``
and from two curated alias tables beside this module (``regency_aliases.csv``,
``province_aliases.csv``), each alias with the source where it was met and a reason.

Matching rules for a regency name (see :mod:`sosek_impact.harmonise.names`):

1. case, spaces, punctuation and accents are ignored; ``Kab.``/``Kabupaten``/``KAB`` and
   ``Kota``/``Kota Administrasi``/``", Kota"``/``" City"`` set a *kind hint*;
2. a curated alias written exactly as the name (after normalisation) wins;
3. otherwise the name is looked up among today's regencies of the hinted kind; without a hint
   the BPS convention applies (cities are written ``Kota X``): a bare name is a kabupaten,
   and a city only when no kabupaten of that name lies in the given province;
4. if the name fits several regencies (same name in two provinces) the province decides;
   a name still ambiguous, or unknown, is an error listing every offender with its closest
   known names (:class:`~sosek_impact.errors.UnknownRegionError`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import paths
from ..errors import SchemaError, UnknownRegionError
from .names import ParsedName, key, parse_regency_name

_HERE = Path(__file__).parent
NATIONAL_CODE = 0
"""Province code used for national ("Indonesia") rows."""


def _missing(x: object) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and blank strings."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Regency:
    """One regency (kabupaten) or city (kota) of today's BPS vintage."""

    bps_code: int
    name: str
    kind: str
    province_code: int


@dataclass
class RegionRegistry:
    """Regencies, provinces and their aliases, with name resolution.

    Use :func:`default_registry` for the registry built from the project's extracts.
    """

    regencies: pd.DataFrame
    provinces: pd.DataFrame
    regency_aliases: pd.DataFrame
    province_aliases: pd.DataFrame
    province_splits: pd.DataFrame | None = None
    _ancestors: dict[int, set[int]] = field(init=False, repr=False)
    _by_key: dict[str, list[Regency]] = field(init=False, repr=False)
    _alias: dict[str, int] = field(init=False, repr=False)
    _province_key: dict[str, int] = field(init=False, repr=False)
    _by_code: dict[int, Regency] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._parsed_names: list[tuple[str, ParsedName]] | None = None
        self._by_code = {}
        self._by_key = {}
        for r in self.regencies.itertuples(index=False):
            reg = Regency(int(r.bps_code), str(r.name), str(r.kind), int(r.province_code))
            self._by_code[reg.bps_code] = reg
            self._by_key.setdefault(parse_regency_name(reg.name).key, []).append(reg)
        self._alias = {}
        for i, a in enumerate(self.regency_aliases.itertuples(index=False), start=2):
            code = int(a.bps_code)
            if code not in self._by_code or self._by_code[code].name != a.name:
                raise SchemaError(
                    "alias points to a code whose registry name differs",
                    file=_HERE / "regency_aliases.csv", row=i, column="bps_code", value=code,
                )
            self._alias[parse_regency_name(a.alias).full_key] = code

        parent = {}
        if self.province_splits is not None:
            parent = dict(zip(self.province_splits["province_code"].astype(int), self.province_splits["parent_province_code"].astype(int)))
        self._ancestors = {}
        for code in self.provinces["province_code"].astype(int):
            chain, c = {code}, code
            while c in parent and parent[c] not in chain:
                c = parent[c]
                chain.add(c)
            self._ancestors[code] = chain
        self._province_key = {}
        for p in self.provinces.itertuples(index=False):
            self._province_key[key(p.province)] = int(p.province_code)
            self._province_key[key(p.province_en)] = int(p.province_code)
        for a in self.province_aliases.itertuples(index=False):
            self._province_key[key(a.alias)] = int(a.province_code)

    def in_province(self, reg: Regency, province_code: int) -> bool:
        """Whether a regency lies in a province today or in the province it was carved from.

        A source of an older vintage may list a regency under the province it belonged to
        then (Nunukan under Kalimantan Timur before 2012, Merauke under Papua before 2022).
        """
        return province_code in self._ancestors.get(reg.province_code, {reg.province_code})

    # -- look-ups -------------------------------------------------------------------------
    def regency(self, bps_code: int) -> Regency:
        """The regency of a code (raises :class:`UnknownRegionError` if unknown)."""
        try:
            return self._by_code[int(bps_code)]
        except (KeyError, ValueError, TypeError):
            raise UnknownRegionError(
                "unknown regency code", offenders={str(bps_code): self._closest_codes(bps_code)}
            ) from None

    def known_regency_names(self) -> list[str]:
        """Registry names and aliases (used for suggestions)."""
        return sorted({*self.regencies["name"].astype(str), *self.regency_aliases["alias"].astype(str)})

    def _parsed_known_names(self) -> list[tuple[str, ParsedName]]:
        """Known names with their parsed keys, parsed once per registry (an error may list hundreds)."""
        if self._parsed_names is None:
            self._parsed_names = [(x, parse_regency_name(x)) for x in self.known_regency_names()]
        return self._parsed_names

    def _closest_names(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` known names closest to ``name``, ranked on the name without its prefix.

        The bare name decides ("Kab. Sambbas" -> Sambas), so that a shared prefix such as "Kota"
        does not crowd out the obvious match; the full key (prefix included) breaks ties.
        """
        target = parse_regency_name(name)
        scored: dict[str, float] = {}
        for x, parsed in self._parsed_known_names():
            core = difflib.SequenceMatcher(None, target.key, parsed.key).ratio()
            full = difflib.SequenceMatcher(None, target.full_key, parsed.full_key).ratio()
            if max(core, full) >= 0.5:
                scored[x] = max(scored.get(x, 0.0), core + 0.01 * full)
        best = sorted(scored, key=lambda x: (-scored[x], x))[:n]
        return [f"{x} ({self._code_of_name(x)})" for x in best]

    def _code_of_name(self, name: str) -> str:
        code = self._alias.get(parse_regency_name(name).full_key)
        if code is None:
            match = self.regencies.loc[self.regencies["name"] == name, "bps_code"]
            code = int(match.iloc[0]) if len(match) else None
        return "" if code is None else str(code)

    def _closest_codes(self, code: object, n: int = 3) -> list[str]:
        text = str(code)
        hits = difflib.get_close_matches(text, [str(c) for c in self._by_code], n=n, cutoff=0.5)
        return [f"{h} ({self._by_code[int(h)].name})" for h in hits]

    def province_code(self, name: object) -> int | None:
        """Province code of a name (Indonesian, English, alias) or of a code; ``None`` if unknown."""
        if isinstance(name, (int,)) or (isinstance(name, str) and name.strip().isdigit()):
            code = int(name)
            return code if code in set(self.provinces["province_code"]) else None
        return self._province_key.get(key(str(name)))

    def candidates(self, name: str) -> list[Regency]:
        """Regencies a name may denote, before the province is used."""
        parsed = parse_regency_name(name)
        alias = self._alias.get(parsed.full_key)
        if alias is None and parsed.kind == "kabupaten":
            alias = self._alias.get(parsed.key)
        if alias is not None:
            return [self._by_code[alias]]
        found = self._by_key.get(parsed.key, [])
        if parsed.kind is not None:
            hinted = [r for r in found if r.kind == parsed.kind]
            if hinted:
                return hinted
            # "Kota Baru" is written as a city but names the kabupaten Kotabaru.
            return [r for r in self._by_key.get(parsed.full_key, []) if r.kind == "kabupaten"]
        return list(found)

    # -- resolution ------------------------------------------------------------------------
    def resolve_regencies(
        self,
        names: Iterable[object],
        provinces: Iterable[object] | object | None = None,
        *,
        file: str | Path | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
    ) -> pd.Series:
        """BPS codes of regency names (or codes), see :func:`resolve_regencies`."""
        names = list(names)
        rows = None if rows is None else list(rows)
        if provinces is None or isinstance(provinces, (str, int)):
            provs = [provinces] * len(names)
        else:
            provs = list(provinces)
            if len(provs) != len(names):
                raise ValueError("names and provinces differ in length")
        prov_codes: dict[object, int | None] = {}
        bad_provinces: dict[str, list[str]] = {}
        for p in provs:
            if _missing(p) or p in prov_codes:
                continue
            prov_codes[p] = self.province_code(p)
            if prov_codes[p] is None:
                bad_provinces[str(p)] = self._closest_provinces(str(p))
        if bad_provinces:
            raise UnknownRegionError("unknown province", offenders=bad_provinces, file=file, column=column)
        out: list[int] = []
        offenders: dict[str, list[str]] = {}
        first_row: int | None = None
        for i, (name, prov) in enumerate(zip(names, provs)):
            pcode = None if _missing(prov) else prov_codes.get(prov)
            code = self._resolve_one(name, pcode)
            if isinstance(code, list):
                label = str(name) if pcode is None else f"{name} [province {pcode}]"
                offenders.setdefault(label, code)
                if first_row is None and rows is not None:
                    first_row = rows[i]
                out.append(-1)
            else:
                out.append(code)
        if offenders:
            raise UnknownRegionError(
                f"{len(offenders)} regency name(s) or code(s) not resolved",
                offenders=offenders, file=file, column=column, row=first_row,
            )
        return pd.Series(out, dtype="int64", name="bps_code")

    def _resolve_one(self, name: object, province_code: int | None) -> int | list[str]:
        if _missing(name):
            return ["(missing name)"]
        if isinstance(name, (int,)) or str(name).strip().isdigit():
            code = int(str(name).strip())
            if code in self._by_code and (province_code is None or self.in_province(self._by_code[code], province_code)):
                return code
            return self._closest_codes(code)
        found = self.candidates(str(name))
        if province_code is not None:
            found = [r for r in found if self.in_province(r, province_code)]
        if len(found) > 1 and parse_regency_name(str(name)).kind is None:
            # BPS convention: a bare name is the kabupaten, cities are written "Kota X".
            found = [r for r in found if r.kind == "kabupaten"] or found
        if len(found) == 1:
            return found[0].bps_code
        if len(found) > 1:
            return [f"ambiguous: {r.name} ({r.bps_code}, province {r.province_code})" for r in found]
        return self._closest_names(str(name))

    def _closest_provinces(self, name: str, n: int = 3) -> list[str]:
        hits = difflib.get_close_matches(key(name), list(self._province_key), n=n, cutoff=0.5)
        label = dict(zip(self.provinces["province_code"], self.provinces["province"]))
        return [f"{label.get(self._province_key[h], h)} ({self._province_key[h]})" for h in hits]

    def resolve_provinces(
        self, names: Iterable[object], *, file: str | Path | None = None, column: str | None = None,
        national: bool = False,
    ) -> pd.Series:
        """Province codes of names (see :func:`resolve_provinces`)."""
        out: list[int] = []
        offenders: dict[str, list[str]] = {}
        for name in names:
            if national and key(str(name)) == "indonesia":
                out.append(NATIONAL_CODE)
                continue
            code = None if _missing(name) else self.province_code(name)
            if code is None:
                offenders[str(name)] = self._closest_provinces(str(name))
                out.append(-1)
            else:
                out.append(code)
        if offenders:
            raise UnknownRegionError(
                f"{len(offenders)} province name(s) not resolved", offenders=offenders, file=file, column=column
            )
        return pd.Series(out, dtype="int64", name="province_code")


def load_registry(raw: str | Path | None = None) -> RegionRegistry:
    """Build a :class:`RegionRegistry` from ``raw/regencies.csv``, ``raw/provinces.csv`` and the alias tables."""
    raw = Path(raw) if raw is not None else paths.raw_dir()
    return RegionRegistry(
        regencies=pd.read_csv(raw / "regencies.csv"),
        provinces=pd.read_csv(raw / "provinces.csv"),
        regency_aliases=pd.read_csv(_HERE / "regency_aliases.csv", dtype=str),
        province_aliases=pd.read_csv(_HERE / "province_aliases.csv", dtype=str),
        province_splits=pd.read_csv(_HERE / "province_splits.csv"),
    )


@lru_cache(maxsize=1)
def default_registry() -> RegionRegistry:
    """The registry of the committed extracts (cached)."""
    return load_registry()


def resolve_regencies(
    names: Iterable[object],
    provinces: Iterable[object] | object | None = None,
    *,
    file: str | Path | None = None,
    column: str | None = None,
    rows: Sequence[int] | None = None,
    registry: RegionRegistry | None = None,
) -> pd.Series:
    """Resolve regency names (or BPS codes) to BPS codes of today's vintage.

    Parameters
    ----------
    names
        Names as written by any source (``"KAB. SAMBAS"``, ``"Kota Baru"``, ``"Toba Samosir"``)
        or 4-digit BPS codes.
    provinces
        Province of each name (name in Indonesian or English, alias or code), or one
        province for all; used to settle names shared by regencies of several provinces.
    file, column, rows
        Where the names come from, reported in the error (``rows``: 1-based line of each name).
    registry
        Registry to use; default :func:`default_registry`.

    Returns
    -------
    pandas.Series
        ``int64`` BPS codes, in the order of ``names``.

    Raises
    ------
    UnknownRegionError
        Listing *every* unknown or ambiguous name with its closest known names; nothing is
        dropped silently.
    """
    reg = registry or default_registry()
    return reg.resolve_regencies(names, provinces, file=file, column=column, rows=rows)


def resolve_provinces(
    names: Iterable[object],
    *,
    file: str | Path | None = None,
    column: str | None = None,
    national: bool = False,
    registry: RegionRegistry | None = None,
) -> pd.Series:
    """Resolve province names (Indonesian, English, upper case, DAPOER spellings) to codes.

    ``national=True`` maps ``"Indonesia"`` to code 0. Unknown names raise
    :class:`~sosek_impact.errors.UnknownRegionError` listing every offender.
    """
    reg = registry or default_registry()
    return reg.resolve_provinces(names, file=file, column=column, national=national)
