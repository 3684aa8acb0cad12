"""The geodesy helpers against published WGS84 constants and an independent numerical integration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from sosek_impact.extracts.geodesy import (A, AUTHALIC_RADIUS_KM, F, from_equal_area, geodesic_km, local_km,
                                           local_lonlat, to_equal_area)

E2 = F * (2 - F)


def _cell_area_numeric(lon0, lon1, lat0, lat1):
    """Area of a lon/lat cell on the ellipsoid: integral of M(phi) N(phi) cos(phi) dphi dlambda."""
    def band(phi):
        w = 1 - E2 * np.sin(phi) ** 2
        m = A * (1 - E2) / w**1.5
        n = A / np.sqrt(w)
        return m * n * np.cos(phi)

    val, _ = integrate.quad(band, np.radians(lat0), np.radians(lat1), epsabs=0, epsrel=1e-13)
    return val * np.radians(lon1 - lon0)


def test_published_wgs84_constants():
    # quarter meridian 10,001.965729 km; equatorial degree 111.319491 km; surface 510,065,621.724 km2
    assert geodesic_km(0, 0, 0, 90) == pytest.approx(10001.965729, abs=1e-6)
    assert geodesic_km(0, 0, 1, 0) == pytest.approx(111.319491, abs=1e-6)
    assert 4 * np.pi * AUTHALIC_RADIUS_KM**2 == pytest.approx(510_065_621.724, abs=0.01)


@pytest.mark.parametrize(("lat0", "lat1"), [(0.0, 1.0), (1.0, 1.1), (-8.0, -7.0), (4.0, 4.5), (50.0, 60.0)])
def test_equal_area_matches_ellipsoid_integral(lat0, lat1):
    x0, y0 = to_equal_area(109.0, lat0)
    x1, y1 = to_equal_area(110.0, lat1)
    assert (x1 - x0) * (y1 - y0) == pytest.approx(_cell_area_numeric(109.0, 110.0, lat0, lat1), rel=1e-9)


def test_inverse_round_trip():
    lon = np.array([95.0, 109.3, 141.0, 0.0])
    lat = np.array([6.0, -0.03, -11.0, 89.0])
    back = from_equal_area(*to_equal_area(lon, lat))
    np.testing.assert_allclose(back[0], lon, atol=1e-10)
    np.testing.assert_allclose(back[1], lat, atol=1e-9)
    np.testing.assert_allclose(local_lonlat(*local_km(lon, lat, 2.5), 2.5), (lon, lat), atol=1e-12)


@pytest.mark.parametrize("azimuth", [0.0, 45.0, 90.0, 135.0])
def test_short_distance_matches_local_metric(azimuth):
    # 1 km step: ds^2 = (M dphi)^2 + (N cos(phi) dlambda)^2 holds to second order
    phi = np.radians(1.3)
    w = 1 - E2 * np.sin(phi) ** 2
    m, n = A * (1 - E2) / w**1.5, A / np.sqrt(w)
    az = np.radians(azimuth)
    dlat = np.degrees(np.cos(az) * 1.0 / m)
    dlon = np.degrees(np.sin(az) * 1.0 / (n * np.cos(phi)))
    assert geodesic_km(110.0, 1.3, 110.0 + dlon, 1.3 + dlat) == pytest.approx(1.0, abs=1e-5)


def test_symmetric_and_zero():
    assert geodesic_km(109.3, -0.03, 110.35, 0.99) == pytest.approx(geodesic_km(110.35, 0.99, 109.3, -0.03), abs=1e-9)
    assert geodesic_km(109.3, -0.03, 109.3, -0.03) == 0.0
