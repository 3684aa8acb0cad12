"""The cross-border comparison (analysis/cross_border.py), its conversion registry and the C15/C22 rules.

Hand-made input: two regencies (6101 Sambas, West Kalimantan; 6504 Nunukan, North Kalimantan) and
three districts opposite (Lundu, Sarawak; Tenom and Kalabakan, Sabah; Kalabakan without a 2019
row), with round conversions so that every expected number is computed by hand in the comments.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

from sosek_impact.errors import DuplicateKeyError, NumberFormatError, SchemaError, ValueRangeError

HEADER = ("conversion_id,kind,country,region,year,value,unit,indicator,publisher,source,table,value_published,"
          "retrieval_note,confidence\n")


def _row(cid, kind, country, region, year, value, published, note="n", conf="medium", unit="u"):
    src, pub = ("https://example.org/t", "P") if value else ("", "")
    return f"{cid},{kind},{country},{region},{year},\"{value}\",{unit},ind,{pub},{src},tab,\"{published}\",{note},{conf}\n"


FIXTURE_ROWS = [
    _row("fx_mys_2019", "exchange_rate", "Malaysia", "Malaysia", 2019, "4.0", "4.00"),
    _row("fx_idn_2019", "exchange_rate", "Indonesia", "Indonesia", 2019, "10000", "10,000.00", conf="high"),
    _row("ppp_idn_2019", "ppp_private_consumption", "Indonesia", "Indonesia", 2019, "5000.5", "5.000,5"),
    _row("ppp_mys_2019", "ppp_private_consumption", "Malaysia", "Malaysia", 2019, "", "", note="NOT FOUND", conf="unverified"),
    _row("hhsize_sabah_2020", "household_size", "Malaysia", "Sabah", 2020, "4.0", "4.0"),
    _row("hhsize_sarawak_2020", "household_size", "Malaysia", "Sarawak", 2020, "", "", note="NOT FOUND", conf="unverified"),
    _row("hhsize_terengganu_2020", "household_size", "Malaysia", "Terengganu", 2020, "5.0", "5.0"),  # Sarawak's bound
]


def _write(tmp_path, rows, name="conversions.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _registry(tmp_path, rows=FIXTURE_ROWS):
    """Run the extractor on a fixture table and write its output where the registry reader looks."""
    from sosek_impact.atomic import write_csv
    from sosek_impact.extracts.conversions import read_conversions
    from sosek_impact.registry import conversions

    write_csv(read_conversions(_write(tmp_path, rows)), tmp_path / "registry_conversions.csv")
    return conversions(root=tmp_path)


@pytest.fixture()
def spec():
    from _common import load_spec

    return load_spec("analysis/specs/cross_border.toml")


@pytest.fixture()
def inputs():
    pairs = pd.DataFrame({"bps_code": [6101, 6504, 6504], "state": ["Sarawak", "Sabah", "Sabah"],
                          "district": ["Lundu", "Tenom", "Kalabakan"], "shape_name": ["Lundu", "Tenom", "Kalabakan"],
                          "shared_border_km": [100.0, 50.0, 25.0]})
    hies = pd.DataFrame({"state": ["Sarawak", "Sabah", "Sabah", "Sarawak"], "district": ["Lundu", "Tenom", "Kalabakan", "Lundu"],
                         "year": [2019, 2019, 2022, 2022], "income_mean": [4000.0, 3200.0, 3000.0, 4500.0],
                         "income_median": [3000.0, 2400.0, 2500.0, 3500.0], "poverty_absolute": [10.0, 20.0, 30.0, 8.0],
                         "poverty_relative": [15.0, 12.0, 11.0, 14.0]})
    panel = pd.DataFrame({"bps_code": [6101, 6504, 6101], "year": [2019, 2019, 2022], "regency": ["Sambas", "Nunukan", "Sambas"],
                          "expenditure_pc_month": [1_000_000.0, 1_600_000.0, float("nan")], "poverty_rate": [8.0, 6.0, 7.0]})
    return pairs, hies, panel


def _run(tmp_path, inputs, spec, rows=FIXTURE_ROWS):
    from cross_border import claim_summaries, compare, factors

    pairs, hies, panel = inputs
    fac = factors(_registry(tmp_path, rows), spec, sorted(pairs["state"].unique()))
    out = compare(pairs, hies, panel, fac, spec).set_index("district")
    return out, fac, claim_summaries(out.reset_index(), spec, [6101, 6504])


# ---------------------------------------------------------------------------- the extractor


def test_extractor_reads_the_fixture_and_keeps_missing_factors_missing(tmp_path):
    from sosek_impact.extracts.conversions import read_conversions

    df = read_conversions(_write(tmp_path, FIXTURE_ROWS))
    assert list(df["source_row"]) == list(range(2, 2 + len(FIXTURE_ROWS)))
    assert set(df["source_id"]) == {"conversions"}
    assert df.set_index("conversion_id").at["hhsize_sarawak_2020", "value"] == ""


@pytest.mark.parametrize(("bad", "error", "column"), [
    (_row("x", "exchange_rate", "M", "M", 2019, "4.14", "4.41"), ValueRangeError, "value"),      # typed != published
    (_row("x", "exchange_rate", "M", "M", 2019, "4,14", "4,14"), NumberFormatError, "value"),    # not a plain number
    (_row("x", "household_size", "M", "M", 2020, "47", "47"), ValueRangeError, "value"),         # 4.7 typed as 47
    (_row("x", "household_size", "M", "M", 2020, "", "", note=""), SchemaError, "retrieval_note"),  # missing, no reason
    (_row("x", "exchange_rate", "M", "M", 2019, "", "4.1"), SchemaError, "value"),               # published, no value
    (_row("x", "fx", "M", "M", 2019, "4.1", "4.1"), ValueRangeError, "kind"),
    (_row("x", "exchange_rate", "M", "M", 2019, "4.1", "4.1", conf="sure"), ValueRangeError, "confidence"),
    (_row("fx_mys_2019", "exchange_rate", "M", "M", 2019, "4.1", "4.1"), DuplicateKeyError, "conversion_id"),
])
def test_extractor_names_file_row_and_column_of_bad_input(tmp_path, bad, error, column):
    from sosek_impact.extracts.conversions import read_conversions

    path = _write(tmp_path, [FIXTURE_ROWS[0], bad])
    with pytest.raises(error) as exc:
        read_conversions(path)
    assert exc.value.row == 3 and exc.value.column == column and exc.value.file == str(path)


def test_published_text_in_any_number_format_matches_the_value(tmp_path):
    from sosek_impact.extracts.conversions import read_conversions

    rows = [_row("a", "exchange_rate", "I", "I", 2019, "14147.67", "14,147.67"),
            _row("b", "exchange_rate", "I", "I", 2007, "9141.00", "9,141.00"),
            _row("c", "exchange_rate", "I", "I", 2006, "9141", "9.141,00"),
            _row("d", "ppp_private_consumption", "I", "I", 2019, "5391.8", "5.391,8")]
    assert len(read_conversions(_write(tmp_path, rows))) == 4


def test_committed_table_passes_its_checks():
    from sosek_impact.extracts.conversions import read_conversions

    df = read_conversions().set_index("conversion_id")
    assert df.at["fx_idn_2019", "value"] == "14147.67" and df.at["fx_idn_2007", "value"] == "9141.00"
    assert df.at["hhsize_sabah_2020", "value"] == "4.7"


def test_registry_reader_keeps_not_found_rows_and_warns_about_unverified_values(tmp_path):
    from sosek_impact.registry import UnverifiedRowsWarning, conversion_value

    table = _registry(tmp_path)
    assert math.isnan(table.set_index("conversion_id").at["hhsize_sarawak_2020", "value"])
    assert conversion_value(table, "household_size", "Sarawak", 2020)["status"] == "not found"
    assert conversion_value(table, "household_size", "Johor", 2020)["status"] == "no row"
    sabah = conversion_value(table, "household_size", "Sabah", 2020)
    assert (sabah["value"], sabah["status"], sabah["id"]) == (4.0, "sourced", "hhsize_sabah_2020")
    rows = [*FIXTURE_ROWS, _row("guess", "household_size", "Malaysia", "Johor", 2020, "3.9", "3.9", conf="unverified")]
    with pytest.warns(UnverifiedRowsWarning, match="guess"):
        t2 = _registry(tmp_path, rows)
    assert "guess" not in set(t2["conversion_id"])


# ---------------------------------------------------------------------------- the comparison


def test_conversions_by_hand(tmp_path, inputs, spec):
    out, fac, _ = _run(tmp_path, inputs, spec)
    tenom, lundu, kal = out.loc["Tenom"], out.loc["Lundu"], out.loc["Kalabakan"]
    # Tenom (Sabah, household size 4.0): 3200 RM / 4.0 = 800 RM per person; / 4.0 MYR per US$ = US$200;
    # Nunukan 1,600,000 IDR / 10,000 IDR per US$ = US$160; ratio 200 / 160 = 1.25 (< margin 1.5)
    assert tenom["mys_pc_income_mean_rm"] == pytest.approx(800.0)
    assert tenom["mys_pc_income_mean_usd"] == pytest.approx(200.0)
    assert tenom["mys_pc_income_median_usd"] == pytest.approx(150.0)    # 2400 / 4 / 4
    assert tenom["idn_expenditure_pc_usd"] == pytest.approx(160.0)
    assert tenom["ratio_usd"] == pytest.approx(1.25)
    assert tenom["ratio_usd_median"] == pytest.approx(150.0 / 160.0)
    assert pd.isna(tenom["ratio_usd_bound"])        # Sabah has its own household size: no bound in the spec
    assert "no household-size bound for Sabah" in tenom["status_bound"]
    assert tenom["pair_reading"] == "within margin" and tenom["status_usd"] == "comparable at exchange rates"
    # Lundu (Sarawak): no household size -> no per-capita figure; bound 4000 / 5.0 / 4.0 = US$200 vs
    # Sambas 1,000,000 / 10,000 = US$100: ratio at least 2.0
    assert pd.isna(lundu["mys_pc_income_mean_usd"]) and pd.isna(lundu["ratio_usd"])
    assert "hhsize_sarawak_2020 (not found)" in lundu["status_usd"]
    assert lundu["mys_pc_income_mean_usd_bound"] == pytest.approx(200.0)
    assert lundu["ratio_usd_bound"] == pytest.approx(2.0)
    assert lundu["ratio_usd_bound_median"] == pytest.approx(3000 / 5.0 / 4.0 / 100.0)   # 1.5
    assert lundu["pair_reading"] == "malaysia higher (bound)"
    # Kalabakan: no 2019 row -> nothing computed, and it says why
    assert pd.isna(kal["mys_income_mean"]) and pd.isna(kal["ratio_usd_bound"])
    assert kal["pair_reading"] == "not comparable" and "no HIES 2019 value for Kalabakan" in kal["status_usd"]
    # PPP: Indonesia's factor sourced (1,600,000 / 5000.5), Malaysia's not found -> no PPP ratio
    assert tenom["idn_expenditure_pc_ppp"] == pytest.approx(1_600_000 / 5000.5)
    assert pd.isna(tenom["ratio_ppp"]) and "ppp_mys_2019 (not found)" in tenom["status_ppp"]
    # poverty side by side, never divided
    assert tenom["mys_poverty_absolute"] == 20.0 and tenom["idn_poverty_rate"] == 6.0
    assert "not comparable" in tenom["poverty_note"]


def test_claim_summaries_by_hand(tmp_path, inputs, spec):
    _, _, s = _run(tmp_path, inputs, spec)
    c15, c22 = s["c15"], s["c22"]
    assert c15["readings"] == {"within margin": 1, "malaysia higher (bound)": 1, "not comparable": 1}
    assert c15["n_pairs_evaluable"] == 2 and c15["regency_share"] == 1.0
    assert c22["regencies"] == [6101] and c22["districts"] == ["Lundu"]
    assert c22["ratio_usd"] is None and c22["ratio_usd_bound"] == pytest.approx(2.0)
    assert c22["seed_ratio"] == pytest.approx(4000 / 700)


def test_missing_exchange_rate_gives_not_comparable_never_a_number(tmp_path, inputs, spec):
    from claims_cross_border import c15_neighbour_welfare, c22_kalbar_sarawak_income

    rows = [r for r in FIXTURE_ROWS if not r.startswith("fx_mys_2019")]
    rows.append(_row("fx_mys_2019", "exchange_rate", "Malaysia", "Malaysia", 2019, "", "", note="NOT FOUND", conf="unverified"))
    out, _, s = _run(tmp_path, inputs, spec, rows)
    for col in ("mys_pc_income_mean_usd", "mys_pc_income_mean_usd_bound", "ratio_usd", "ratio_usd_bound"):
        assert out[col].isna().all(), col
    assert (out["pair_reading"] == "not comparable").all()
    assert all("fx_mys_2019 (not found)" in x for x in out.loc[["Tenom", "Lundu"], "status_usd"])
    assert out.loc["Tenom", "mys_pc_income_mean_rm"] == pytest.approx(800.0)   # ringgit figure still shown
    res = {**s, "pairs": [], "conversions_used": []}
    assert c15_neighbour_welfare(res)["label"] == "not testable"
    assert c22_kalbar_sarawak_income(res)["label"] == "not testable"


def test_pair_reading_bound_can_only_show_the_malaysian_side_higher():
    from cross_border import pair_reading

    assert pair_reading(2.0, None, 1.5) == "malaysia higher"
    assert pair_reading(0.5, None, 1.5) == "kalimantan higher"
    assert pair_reading(1.2, 0.1, 1.5) == "within margin"
    assert pair_reading(None, 0.1, 1.5) == "within margin (bound)"     # a low bound proves nothing
    assert pair_reading(None, 1.6, 1.5) == "malaysia higher (bound)"
    assert pair_reading(None, None, 1.5) == "not comparable"


# ---------------------------------------------------------------------------- the verdicts


def _c15(readings, share=1.0, sourced=(2.0, 3.0, 2), bound=(2.1, 4.0, 3)):
    n = sum(v for k, v in readings.items() if k != "not comparable")
    return {"c15": {"year": 2019, "margin": 1.5, "n_pairs": n, "n_pairs_evaluable": n, "readings": readings,
                    "n_border_regencies": 8, "regencies_covered": list(range(int(8 * share))), "regency_share": share,
                    "min_regency_share": 0.5, "not_comparable": [],
                    "ratio_usd": dict(zip(("min", "max", "n"), sourced)), "ratio_usd_bound": dict(zip(("min", "max", "n"), bound))},
            "notes": {"levels": "levels, not effects"}, "ppp": "not comparable at PPP", "pairs": [],
            "household_size_bound": {"Sarawak": "hh_t"},
            "conversions_used": [{"kind": "household_size", "region": "Terengganu", "value": 4.1, "id": "hh_t"}]}


@pytest.mark.parametrize(("readings", "share", "label"), [
    ({"malaysia higher": 2, "malaysia higher (bound)": 3}, 1.0, "supported"),
    ({"kalimantan higher": 4}, 1.0, "contradicted"),
    ({"malaysia higher": 2, "kalimantan higher": 1}, 1.0, "mixed"),
    ({"malaysia higher": 2, "within margin": 1}, 1.0, "inconclusive"),
    ({"malaysia higher": 1}, 0.25, "inconclusive"),
    ({"not comparable": 3}, 0.0, "not testable"),
])
def test_c15_every_label_reachable(readings, share, label):
    from claims_cross_border import LABELS, c15_neighbour_welfare

    out = c15_neighbour_welfare(_c15(readings, share))
    assert out["label"] == label and out["label"] in LABELS
    if label != "not testable":
        assert "2.00-3.00" in out["evidence"] and "2.10-4.00" in out["evidence"] and "4.1 persons for Sarawak, hh_t" in out["evidence"]


def test_c15_without_results_is_not_testable():
    from claims_cross_border import c15_neighbour_welfare

    assert c15_neighbour_welfare({})["label"] == "not testable"


def _c22(ratio=None, bound=None, mys=None, mys_b=None):
    return {"c22": {"seed_year": 2007, "seed_indonesia_usd": 700.0, "seed_malaysia_usd": 4000.0, "seed_ratio": 4000 / 700,
                    "similar_factor": 2.0, "year": 2019, "regencies": [6101, 6102], "districts": ["Bau", "Lundu"],
                    "idn_expenditure_pc_usd_mean": 68.97, "mys_pc_usd_mean": mys, "mys_pc_usd_bound_mean": mys_b,
                    "ratio_usd": ratio, "ratio_usd_bound": bound,
                    "missing": [] if ratio is not None else ["not comparable: hh (not found)"]},
            "notes": {}, "ppp": "not comparable at PPP"}


@pytest.mark.parametrize(("res", "label", "phrases"), [
    (_c22(ratio=4.0, mys=275.88), "inconclusive", ["= 5.71", "US$275.88", "= 4.00", "of similar size"]),
    (_c22(ratio=20.0, mys=1379.4), "inconclusive", ["= 20.00", "not of similar size"]),
    (_c22(bound=3.27, mys_b=225.63), "inconclusive", ["at least 3.27", "US$225.63", "consistent with this bound"]),
    (_c22(bound=6.5, mys_b=448.3), "inconclusive", ["at least 6.50", "the bound alone exceeds"]),
    (_c22(), "not testable", ["= 5.71", "hh (not found)"]),
])
def test_c22_labels_and_quoted_numbers(res, label, phrases):
    from claims_cross_border import c22_kalbar_sarawak_income

    out = c22_kalbar_sarawak_income(res)
    assert out["label"] == label
    for p in phrases:
        assert p in out["evidence"], p
    assert "2007 levels themselves cannot be checked" in out["why"]


def test_verdicts_on_the_committed_results_quote_their_numbers():
    import json

    from _common import RESULTS
    from claims_cross_border import c15_neighbour_welfare, c22_kalbar_sarawak_income

    path = RESULTS / "cross_border.json"
    if not path.exists():
        pytest.skip("cross_border results not built")
    res = json.loads(path.read_text(encoding="utf-8"))
    c15 = c15_neighbour_welfare(res)
    assert f"{res['c15']['ratio_usd']['min']:,.2f}" in c15["evidence"]
    c22 = c22_kalbar_sarawak_income(res)
    assert f"{res['c22']['seed_ratio']:,.2f}" in c22["evidence"]


# ---------------------------------------------------------------------------- an outside check of the inputs


def test_hies_extract_matches_dosm_figures_quoted_in_the_press():
    """DOSM's HIES 2019 Sarawak report as quoted by Malay Mail (23 Sep 2020): mean household income
    Kuching RM7,376, Miri RM7,235, Bintulu RM8,324
    (https://www.malaymail.com/news/malaysia/2020/09/23/household-income-in-sarawak-on-the-up-latest-survey-finds/1905741)."""
    from sosek_impact.geography import load_mys_hies

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = load_mys_hies(wide=True).set_index(["state", "district", "year"])
    assert h.at[("Sarawak", "Kuching", 2019), "income_mean"] == 7376
    assert h.at[("Sarawak", "Miri", 2019), "income_mean"] == 7235
    assert h.at[("Sarawak", "Bintulu", 2019), "income_mean"] == 8324


def test_levels_by_year_keep_each_side_in_its_own_units(inputs, spec):
    from cross_border import levels_by_year, levels_table

    pairs, hies, panel = inputs
    lv = levels_by_year(pairs, hies, panel, spec)
    lundu = lv.loc[lv["district"] == "Lundu"].set_index("year")
    assert lundu.at[2022, "income_mean"] == 4500.0 and lundu.at[2022, "poverty_rate"] == 7.0
    assert lundu.at[2022, "expenditure_pc_month"] is None          # missing stays missing
    kal = lv.loc[lv["district"] == "Kalabakan"].set_index("year")
    assert list(kal.index) == [2022] and kal.at[2022, "poverty_rate"] is None   # no 2022 panel row for 6504
    t = levels_table(lv, panel, spec)
    assert list(t["regency"].unique()) == ["Sambas", "Nunukan"] and len(t) == len(lv)
