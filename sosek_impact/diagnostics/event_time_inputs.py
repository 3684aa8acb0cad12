"""Event-time coefficients and their covariance from any event-time result of the package.

One adapter for the pre-trend power analysis (:mod:`.pretrends_power`) and Honest DiD
(:func:`sosek_impact.inference.honest_did`): it reads a result through the results protocol —
``tidy()`` rows with an ``event_time``, and the covariance of those rows — so that it works for
the TWFE event study (:func:`~sosek_impact.estimators.event_study`, covariance ``cov`` labelled by
term), Sun–Abraham (``vcov`` aligned with its event-time rows), and the dynamic aggregate of
``att_gt`` (``vcov`` aligned with its rows; universal base period only).

What is refused, with the reason:

- a result without a covariance of its event-time estimates (the imputation estimator of
  Borusyak, Jaravel and Spiess stores standard errors only, and its pre-trend coefficients come
  from a separate regression of the untreated observations, so no joint covariance of pre- and
  post-period estimates exists);
- an ``att_gt`` dynamic aggregate with the varying base period: its pre-period estimates are
  one-period changes, not deviations from a common reference period, which the pre-trend power
  analysis and Honest DiD both assume (R ``HonestDiD::honest_did`` refuses it too);
- missing or non-finite coefficients or covariances (nothing is filled in).

The reference period (coefficient normalised to zero) is ``ref`` of an event study,
``settings["ref_period"]`` of Sun–Abraham, ``reference`` of the dynamic aggregate; a reference
row in the table (estimate 0, no variance) is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sosek_impact._callable_module import make_module_callable
from sosek_impact.errors import InputError

__all__ = ["EventTimeInputs", "event_time_inputs"]


@dataclass(frozen=True)
class EventTimeInputs:
    """Event-study coefficients, reference period left out, sorted by event time.

    Attributes
    ----------
    event_times
        Integer event times (without ``ref``).
    betas
        Coefficients.
    sigma
        Their covariance.
    ref
        Reference event time (coefficient normalised to zero).
    source
        Class name of the result read, or ``"arrays"``.
    """

    event_times: np.ndarray
    betas: np.ndarray
    sigma: np.ndarray
    ref: int
    source: str = "arrays"

    @property
    def pre(self) -> np.ndarray:
        """Mask of the pre-period coefficients (event time < ``ref``)."""
        return self.event_times < self.ref

    @property
    def post(self) -> np.ndarray:
        """Mask of the post-period coefficients (event time >= 0)."""
        return self.event_times >= 0

    @classmethod
    def from_arrays(cls, betas: Sequence[float], sigma: Any, event_times: Sequence[int], ref: int = -1) -> EventTimeInputs:
        """Check and sort raw inputs (``event_times`` without the reference period)."""
        b = np.asarray(betas, dtype=float).ravel()
        s = np.asarray(sigma, dtype=float)
        e = np.asarray(event_times)
        if e.size != b.size:
            raise InputError(f"event_times has {e.size} entries but betas {b.size}", column="event_times", value=e.size)
        if not np.all(np.asarray(e, dtype=float) == np.round(np.asarray(e, dtype=float))):
            raise InputError("event times must be whole numbers", column="event_times", value=list(e))
        e = np.asarray(e, dtype=float).astype(np.int64)
        if s.shape != (b.size, b.size):
            raise InputError(f"sigma must be {b.size} x {b.size}", column="sigma", value=s.shape)
        if len(set(e.tolist())) != e.size or int(ref) in set(e.tolist()):
            raise InputError("event times must be distinct and exclude the reference period", column="event_times",
                             value=list(e))
        bad = np.flatnonzero(~np.isfinite(b))
        if bad.size:
            raise InputError("coefficient missing or not finite", column="betas", value=f"e={e[bad[0]]}")
        bad = np.argwhere(~np.isfinite(s))
        if bad.size:
            raise InputError("covariance missing or not finite", column="sigma",
                             value=f"(e={e[bad[0][0]]}, e={e[bad[0][1]]})")
        if not np.allclose(s, s.T, atol=1e-12 * max(1.0, np.abs(s).max())):
            raise InputError("sigma must be symmetric", column="sigma")
        order = np.argsort(e, kind="mergesort")
        return cls(e[order], b[order], 0.5 * (s + s.T)[np.ix_(order, order)], int(ref))


def _reference(result: Any) -> int | None:
    name = type(result).__name__
    if getattr(result, "kind", "dynamic") != "dynamic":
        raise InputError(f"{name} of kind {result.kind!r} is not an event study; use aggregate('dynamic')",
                         column="kind", value=result.kind)
    for attr in ("ref", "reference"):
        v = getattr(result, attr, None)
        if v is not None:
            return int(v)
    settings = getattr(result, "settings", None) or {}
    if settings.get("ref_period") is not None:
        return int(settings["ref_period"])
    if hasattr(result, "kind"):  # att_gt aggregate without a reference: varying base period
        raise InputError(
            f"{name}: the dynamic aggregate of att_gt with base_period='varying' has no common reference period "
            "(its pre-period estimates are one-period changes); refit att_gt with base_period='universal'",
            column="reference",
        )
    raise InputError(f"{name} has no reference period (attributes ref / reference / settings['ref_period'])",
                     column="ref")


def event_time_inputs(result: Any) -> EventTimeInputs:
    """Event-time coefficients, covariance and reference period of a result object.

    Parameters
    ----------
    result
        An event-time result of the package (see the module docstring), or an
        :class:`EventTimeInputs` (returned as it is).

    Returns
    -------
    EventTimeInputs

    Raises
    ------
    InputError
        The result has no event-time rows, no covariance of them, no common reference period, or
        missing values.
    """
    if isinstance(result, EventTimeInputs):
        return result
    name = type(result).__name__
    if not hasattr(result, "tidy"):
        raise InputError(f"{name} does not follow the results protocol (no tidy())", column="result")
    vcov = getattr(result, "vcov", None)
    cov = getattr(result, "cov", None) if vcov is None else None
    if vcov is None and not isinstance(cov, pd.DataFrame):
        raise InputError(
            f"{name} stores no covariance of its event-time estimates (standard errors alone do not determine "
            "the joint distribution the pre-test and Honest DiD need); use an event study, Sun-Abraham or "
            "att_gt(..., base_period='universal').aggregate('dynamic'), or pass betas and sigma",
            column="vcov",
        )
    ref = _reference(result)
    tidy = result.tidy()
    if "event_time" not in tidy.columns:
        raise InputError(f"{name}.tidy() has no event_time column: not an event-time result", column="event_time")
    rows = tidy["event_time"].notna().to_numpy()
    t = tidy.loc[rows].reset_index(drop=True)
    e = t["event_time"].astype("int64").to_numpy()
    if vcov is not None:
        if np.shape(vcov) != (len(t), len(t)):
            raise InputError(f"{name}.vcov is {np.shape(vcov)} but there are {len(t)} event-time rows",
                             column="vcov", value=np.shape(vcov))
        sigma = np.asarray(vcov, dtype=float)
    else:
        missing = [term for term in t["term"] if term not in cov.index]
        if missing:
            raise InputError(f"{name}.cov lacks the event-time term", column="cov", value=missing[0])
        sigma = cov.loc[t["term"], t["term"]].to_numpy(dtype=float)
    keep = e != ref
    if (~keep).any() and not np.allclose(t.loc[~keep, "estimate"].to_numpy(dtype=float), 0.0):
        raise InputError(f"{name}: the reference event time {ref} has a non-zero estimate", column="estimate",
                         value=float(t.loc[~keep, "estimate"].iloc[0]))
    inputs = EventTimeInputs.from_arrays(t.loc[keep, "estimate"].to_numpy(dtype=float), sigma[np.ix_(keep, keep)],
                                         e[keep], ref)
    return EventTimeInputs(inputs.event_times, inputs.betas, inputs.sigma, inputs.ref, name)


make_module_callable(__name__)  # `from sosek_impact.diagnostics import event_time_inputs` is the function either way
