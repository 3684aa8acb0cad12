"""BPS WebAPI reader for dynamic tables (optional; the ``api`` extra; never called by default).

The BPS WebAPI (``https://webapi.bps.go.id/v1``) serves a dynamic table as JSON:

- ``var`` (the variable: ``val`` id, ``label``, ``unit``), ``turvar`` (its breakdowns),
  ``vervar`` (the rows, usually regions: ``val`` is the BPS region code, ``label`` the name;
  ``labelvervar`` names the dimension), ``tahun`` (years: ``val`` id, ``label`` "2024"),
  ``turtahun`` (sub-periods);
- ``datacontent``: ``{key: value}`` where the key is the concatenation, as text, of the
  ``val`` of vervar, var, turvar, tahun and turtahun, in that order.

:func:`fetch_dynamic_table` returns the same tidy columns as
:func:`~sosek_impact.io.read_bps_table` plus the codes. The key comes from ``BPS_API_KEY``
(or ``key=``); it is never written to the cache or to the output. Responses are cached on
disk (``SOSEK_IMPACT_CACHE`` or ``~/.cache/sosek_impact/bps_api``), so a study reruns
offline; ``offline=True`` refuses to touch the network. The network call goes through a
``transport`` callable so tests use a fake one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..errors import EmptyFileError, InputError, SchemaError
from .numbers import parse_number

__all__ = ["BASE_URL", "BPSApiError", "default_cache_dir", "fetch_dynamic_table", "parse_dynamic_table"]

BASE_URL = "https://webapi.bps.go.id/v1/api"
Transport = Callable[[str, float], bytes]


class BPSApiError(InputError):
    """The WebAPI refused the request, or its answer is not a dynamic table."""


def default_cache_dir() -> Path:
    """``$SOSEK_IMPACT_CACHE/bps_api`` or ``~/.cache/sosek_impact/bps_api``."""
    root = os.environ.get("SOSEK_IMPACT_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "sosek_impact") / "bps_api"


def _request_path(domain: str, var: int, years: Iterable[int] | None, lang: str) -> str:
    """The URL path without the key (used as the cache key and as ``source_file``)."""
    path = f"{BASE_URL}/list/model/data/lang/{lang}/domain/{domain}/var/{int(var)}"
    if years is not None:
        # BPS year ids are years minus 1900 (2024 -> 124).
        path += "/th/" + ";".join(str(int(y) - 1900) for y in years)
    return path


def _requests_transport(url: str, timeout: float) -> bytes:
    try:
        import requests
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the BPS WebAPI reader needs requests: pip install 'sosek_impact[api]'") from exc
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.content


def fetch_dynamic_table(
    domain: str | int,
    var: int,
    *,
    years: Iterable[int] | None = None,
    lang: str = "ind",
    key: str | None = None,
    cache_dir: str | Path | None = None,
    offline: bool = False,
    refresh: bool = False,
    transport: Transport | None = None,
    timeout: float = 30.0,
) -> pd.DataFrame:
    """Fetch one BPS dynamic table (variable ``var`` in ``domain``) as a tidy long DataFrame.

    Parameters
    ----------
    domain
        BPS domain: ``"0000"`` national, ``"6100"`` Kalimantan Barat, ``"6108"`` a regency.
    var
        Variable id of the dynamic table (from the table's URL or the ``list/model/var`` list).
    years
        Years to ask for (default: all the table has).
    lang
        ``"ind"`` or ``"eng"`` labels.
    key
        WebAPI key; default ``os.environ["BPS_API_KEY"]``. Needed only for a network call.
    cache_dir
        Where responses are kept (see :func:`default_cache_dir`).
    offline
        Use the cache only; a missing entry raises :class:`BPSApiError`.
    refresh
        Ignore a cached response and ask again.
    transport
        ``transport(url, timeout) -> bytes``; default uses ``requests``.
    timeout
        Seconds.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`~sosek_impact.io.OUTPUT_COLUMNS` (``source_file`` is the request
        URL without the key, ``source_row`` the 1-based position of the value in the table's
        row order) plus ``region_code`` (the vervar ``val``), ``var_code``, ``unit``,
        ``breakdown`` (turvar label) and ``period`` (turtahun label).
    """
    domain = f"{int(domain):04d}" if str(domain).isdigit() else str(domain)
    source = _request_path(domain, var, years, lang)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = cache / (hashlib.sha256(source.encode()).hexdigest()[:32] + ".json")
    if entry.is_file() and not refresh:
        payload = entry.read_bytes()
    elif offline:
        raise BPSApiError("offline=True and the response is not cached", file=str(entry), value=source)
    else:
        key = key if key is not None else os.environ.get("BPS_API_KEY")
        if not key:
            raise BPSApiError("no WebAPI key: set BPS_API_KEY or pass key=", value=source)
        payload = (transport or _requests_transport)(f"{source}/key/{key}/", timeout)
        parsed = _load(payload, source)  # do not cache an error answer
        parse_dynamic_table(parsed, source=source)
        write_text(entry, payload.decode("utf-8"))
    return parse_dynamic_table(_load(payload, source), source=source)


def _load(payload: bytes, source: str) -> dict[str, Any]:
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BPSApiError(f"the answer is not JSON ({exc})", file=source) from None
    if not isinstance(data, dict):
        raise BPSApiError("the answer is not a JSON object", file=source)
    if str(data.get("status", "")).upper() != "OK":
        raise BPSApiError(f"the WebAPI answered {data.get('status')!r}: {data.get('message', '')}", file=source)
    return data


def _entries(data: dict[str, Any], name: str, source: str, *, optional: bool = False) -> list[dict[str, Any]]:
    entries = data.get(name)
    if entries in (None, []) and optional:
        return [{"val": 0, "label": ""}]
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) and "val" in e for e in entries):
        raise SchemaError(f"the answer has no usable {name!r} list", file=source, column=name)
    return entries


def parse_dynamic_table(data: dict[str, Any], *, source: str = "bps-webapi") -> pd.DataFrame:
    """Turn a WebAPI ``list/model/data`` answer (already decoded JSON) into tidy rows.

    Raises
    ------
    BPSApiError
        ``status`` is not OK.
    EmptyFileError
        ``data-availability`` says the table holds no data.
    SchemaError
        A dimension list is missing, or a ``datacontent`` key matches no combination of
        the dimensions (the layout is not the one this reader knows).
    """
    if str(data.get("status", "OK")).upper() != "OK":
        raise BPSApiError(f"the WebAPI answered {data.get('status')!r}", file=source)
    if str(data.get("data-availability", "available")) != "available":
        raise EmptyFileError(f"no data: data-availability is {data.get('data-availability')!r}", file=source)
    variables = _entries(data, "var", source)
    vervars = _entries(data, "vervar", source)
    turvars = _entries(data, "turvar", source, optional=True)
    years = _entries(data, "tahun", source)
    turtahun = _entries(data, "turtahun", source, optional=True)
    content = data.get("datacontent")
    if not isinstance(content, dict):
        raise SchemaError("the answer has no 'datacontent' object", file=source, column="datacontent")
    rows = []
    used: set[str] = set()
    for r, vv in enumerate(vervars, start=1):
        for v in variables:
            for tv in turvars:
                for th in years:
                    for tt in turtahun:
                        cell_key = f"{vv['val']}{v['val']}{tv['val']}{th['val']}{tt['val']}"
                        if cell_key not in content:
                            continue
                        if cell_key in used:
                            raise SchemaError("two dimension combinations give the same datacontent key",
                                              file=source, column="datacontent", value=cell_key)
                        used.add(cell_key)
                        raw = content[cell_key]
                        value, flag = parse_number(raw, ".", file=source, row=r,
                                                   column=str(th.get("label", th["val"])))
                        label = str(vv.get("label", "")).strip()
                        year_label = str(th.get("label", "")).strip()
                        rows.append({
                            "region": label,
                            "province_block": None,
                            "is_province": _is_province_code(vv["val"]),
                            "is_national": label.upper() == "INDONESIA" or str(vv["val"]) in {"9999", "0"},
                            "year": int(year_label) if year_label.isdigit() else None,
                            "variable": str(v.get("label", v["val"])),
                            "value": value,
                            "flag": flag,
                            "raw": "" if raw is None else str(raw),
                            "source_file": source,
                            "source_row": r,
                            "source_column": year_label,
                            "region_code": vv["val"],
                            "var_code": v["val"],
                            "unit": v.get("unit"),
                            "breakdown": str(tv.get("label", "")),
                            "period": str(tt.get("label", "")),
                        })
    unused = sorted(set(content) - used)
    if unused:
        raise SchemaError("datacontent keys that match no vervar/var/turvar/tahun/turtahun combination",
                          file=source, column="datacontent", value=unused[:5])
    out = pd.DataFrame(rows)
    if out.empty:
        raise EmptyFileError("the table holds no values", file=source)
    out["year"] = pd.array(out["year"], dtype="Int64")
    out["value"] = out["value"].astype(np.float64)
    out["source_row"] = out["source_row"].astype(np.int64)
    return out


def _is_province_code(val: Any) -> bool:
    text = str(val)
    return text.isdigit() and len(text) == 4 and text.endswith("00") and text != "0000"
