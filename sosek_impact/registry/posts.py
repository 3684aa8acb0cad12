"""Border posts (PLBN) of Kalimantan with their coordinates, sources and confidence.

Reads ``data/raw/registry_border_posts.csv`` (made by ``sosek-impact extract`` from the project's table
``sosek_impact/extracts/border_posts.csv``). A coordinate marked ``unverified`` is a proxy whose note
says what the point is (e.g. the Malaysian district opposite): it is left out, with a warning, unless
asked for.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .tables import filter_confidence, read_table

__all__ = ["border_posts"]


def border_posts(*, min_confidence: str = "medium", root: Path | None = None) -> pd.DataFrame:
    """The border posts: ``post_id, name, kind`` (land/sea), ``bps_code, kecamatan, lon, lat, source, note, confidence``.

    Parameters
    ----------
    min_confidence
        ``"medium"`` (default) keeps posts at a cited location; ``"unverified"`` adds the proxies.
    root
        Folder of the registry extracts; default :func:`sosek_impact.paths.raw_dir`.
    """
    df = read_table("border_posts", root)
    df["lon"] = pd.to_numeric(df["lon"], errors="raise")
    df["lat"] = pd.to_numeric(df["lat"], errors="raise")
    return filter_confidence(df, min_confidence, what="border_posts", id_column="post_id")
