"""Figures of synthetic control and synthetic DiD: names in the legend, whole-year ticks, outcome label."""

from __future__ import annotations

import numpy as np
import pytest

from sosek_impact.estimators.synth_plot import display_name
from sosek_impact.estimators.synthetic_control import synthetic_control, synthetic_control_multi
from sosek_impact.estimators.synthetic_did import synthetic_did


@pytest.fixture(scope="module")
def coded(prop99):
    # regency-like integer codes with a name column, as in the study (6105 -> a regency name)
    codes = {s: 6100 + i for i, s in enumerate(sorted(prop99.State.unique()))}
    return prop99.assign(code=prop99.State.map(codes)), {c: s for s, c in codes.items()}, codes


def _legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def _ticks_are_whole(fig) -> bool:
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if fig.axes[0].get_xlim()[0] <= t <= fig.axes[0].get_xlim()[1]]
    return len(ticks) >= 3 and all(float(t).is_integer() for t in ticks)


def test_path_plot_uses_names_whole_years_and_outcome_label(coded):
    df, names, codes = coded
    ca = codes["California"]
    res = synthetic_control(df, "PacksPerCapita", "code", "Year", ca, 1989, v="equal", leave_one_out=True,
                            unit_names=names)
    for fig in (res.plot(), res.plot_path(), res.plot_placebos(), res.plot_leave_one_out()):
        assert "California" in _legend(fig) and str(ca) not in _legend(fig)
        assert _ticks_are_whole(fig)
        assert "PacksPerCapita" in fig.axes[0].get_ylabel()
        assert fig.axes[0].get_xlabel() == "Year"
    # the same through a name column, and overridden at plot time
    by_col = synthetic_control(df, "PacksPerCapita", "code", "Year", ca, 1989, v="equal", placebo=False,
                               leave_one_out=False, unit_names="State")
    assert by_col.unit_name == "California" and "California" in _legend(by_col.plot())
    assert "Golden State" in _legend(by_col.plot(unit_names={ca: "Golden State"}))
    # without names the code is shown (never a made-up label)
    bare = synthetic_control(df, "PacksPerCapita", "code", "Year", ca, 1989, v="equal", placebo=False, leave_one_out=False)
    assert str(ca) in _legend(bare.plot())


def test_multi_and_sdid_plots(coded, prop99):
    df, names, codes = coded
    m = synthetic_control_multi(df, "PacksPerCapita", "code", "Year", {codes["California"]: 1989, codes["Nevada"]: 1989},
                                v="equal", placebo=False, leave_one_out=False)
    fig = m.plot(unit_names=names)
    assert [ax.get_title() for ax in fig.axes] == ["California", "Nevada"]
    assert _ticks_are_whole(fig)
    sd = synthetic_did(prop99, "PacksPerCapita", "State", "Year", "treated", se="none", leave_one_out=False)
    f2 = sd.plot()
    assert "California" in _legend(f2) and f2.axes[0].get_ylabel() == "PacksPerCapita" and _ticks_are_whole(f2)


def test_display_name_rules():
    assert display_name(6105, {6105: "Sambas"}) == "Sambas"
    assert display_name(np.int64(6105), {"6105": "Sambas"}) == "Sambas"
    assert display_name(6105.0, {6105: "Sambas"}) == "Sambas"
    assert display_name(6105, {6106: "Bengkayang"}) == "6105"
    assert display_name(6105, None) == "6105"
