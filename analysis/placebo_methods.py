"""Estimator x inference specs of the placebo study, with what each one is (for tables and checks).

Names and descriptions come from the library's one factory
(:func:`sosek_impact.montecarlo.methods_few_treated.few_treated_method`, which
:func:`~sosek_impact.inference.placebo_study.placebo_specs` uses). Its fit (``FewTreatedFit``)
passes neither ``control=`` nor ``eligible=``/``strata=`` to ``few_treated_inference``, and the
study needs both: the primary specification runs the imputation estimator with never-treated
controls (``analysis/specs/border_posts.toml``, Kalimantan sample; the library default is
not-yet-treated), and the restricted re-assignment check re-assigns only among a unit subset. So
every spec's fit is a :class:`StudyFit`, one class for all of them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["SpecInfo", "StudyFit", "restricted_specs", "study_specs"]


@dataclass(frozen=True)
class SpecInfo:
    """What a spec name stands for.

    Attributes
    ----------
    estimator, method, scale
        As in ``few_treated_inference``.
    restricted
        ``None``, or a description of the re-assignment restriction (``eligible=...``).
    """

    estimator: str
    method: str
    scale: str
    restricted: str | None = None


@dataclass(frozen=True)
class StudyFit:
    """``fit(data, seed) -> Estimate``: the simple ATT of ``few_treated_inference`` on a placebo panel.

    Attributes
    ----------
    estimator, method, scale, n_draws, alpha, control
        As in ``few_treated_inference`` (``control=None``: the estimator's default).
    eligible
        ``None``, or the unit ids randomisation inference may re-assign adoption to.
    """

    estimator: str
    method: str
    scale: str
    n_draws: int
    alpha: float
    control: str | None = None
    eligible: tuple[Any, ...] | None = None

    def __call__(self, data, seed: int):
        from sosek_impact.inference.few_treated import few_treated_inference
        from sosek_impact.montecarlo.method import Estimate

        kw = {} if self.eligible is None else {"eligible": list(self.eligible)}
        r = few_treated_inference(data, "y", "unit", "time", "group", estimator=self.estimator, aggregate="simple",
                                  method=self.method, control=self.control, n_draws=self.n_draws, alpha=self.alpha,
                                  seed=seed, scale=self.scale, **kw)
        se = float(r.std_error[0])
        return Estimate(float(r.estimate[0]), float(r.conf_low[0]), float(r.conf_high[0]),
                        se if math.isfinite(se) else math.nan, float(r.p_value[0]))


def _method(estimator: str, method: str, scale: str, n_draws: int, alpha: float, control: str | None,
            eligible: tuple | None = None, label: str | None = None):
    from sosek_impact.montecarlo.methods_few_treated import few_treated_method

    m = few_treated_method(estimator, method, scale, n_draws=n_draws, alpha=alpha)
    fit = StudyFit(estimator, method, scale, int(n_draws), float(alpha), control, eligible)
    if eligible is None:
        return dataclasses.replace(m, fit=fit)
    return dataclasses.replace(m, fit=fit, name=m.name.replace("]", f", eligible={label}]"),
                               inference=m.inference + f", re-assigned among {label} only")


def study_specs(estimators: Sequence[str], methods: Sequence[str], scales: Sequence[str], *, n_draws: int,
                alpha: float, control: str | None = None) -> tuple[list, dict[str, SpecInfo]]:
    """The estimator x method x scale specs and what each name stands for."""
    specs = [_method(e, m, s, n_draws, alpha, control) for e in estimators for m in methods for s in scales]
    info = {sp.name: SpecInfo(sp.fit.estimator, sp.fit.method, sp.fit.scale) for sp in specs}
    return specs, info


def restricted_specs(estimators: Sequence[str], scales: Sequence[str], eligible: Sequence[Any], label: str, *,
                     n_draws: int, alpha: float, control: str | None = None) -> tuple[list, dict[str, SpecInfo]]:
    """Randomisation-inference specs that re-assign adoption only among ``eligible`` units.

    Conley--Taber has no re-assignment (``few_treated_inference`` refuses ``eligible`` for it), so
    only randomisation inference has a restricted version.
    """
    elig = tuple(sorted(eligible))
    specs = [_method(e, "randomization", s, n_draws, alpha, control, elig, label) for e in estimators for s in scales]
    info = {sp.name: SpecInfo(sp.fit.estimator, "randomization", sp.fit.scale, f"eligible={label}") for sp in specs}
    return specs, info
