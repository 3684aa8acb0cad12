"""Geodesy on the WGS84 ellipsoid with numpy only: equal-area coordinates, geodesic distances.

Used by the geography extract (``sosek_impact.extracts.geography``); no GIS library needed.

- :func:`to_equal_area` / :func:`from_equal_area`: the cylindrical equal-area projection of the
  WGS84 ellipsoid through its authalic sphere (x = R_q * lon, y = R_q * sin(authalic latitude)). The area
  of a figure in these coordinates equals its area on the ellipsoid (exactly for the figure whose
  edges are straight in the projection; the source polygons' vertices are a few hundred metres apart,
  so the difference from geodesic edges is far below the areas' printed precision).
- :func:`geodesic_km`: Vincenty's (1975) inverse formula, millimetre accuracy for points that are not
  nearly antipodal (all pairs in this study are within 6,000 km of each other).
- :func:`local_km` / :func:`local_lonlat`: a plate carrée in kilometres scaled at a reference
  latitude, used only to *find* nearest points and to buffer by a tolerance in km; the reported
  distances are then measured with :func:`geodesic_km`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["A", "F", "AUTHALIC_RADIUS_KM", "to_equal_area", "from_equal_area", "geodesic_km", "local_km", "local_lonlat"]

A = 6378.137  #: WGS84 semi-major axis, km
F = 1 / 298.257223563  #: WGS84 flattening
_E2 = F * (2 - F)
_E = np.sqrt(_E2)
_B = A * (1 - F)


def _q(phi: np.ndarray) -> np.ndarray:
    s = np.sin(phi)
    return (1 - _E2) * (s / (1 - _E2 * s * s) - np.log((1 - _E * s) / (1 + _E * s)) / (2 * _E))


_QP = float(_q(np.array(np.pi / 2)))
#: Radius of the sphere with the ellipsoid's surface area (6371.0072 km).
AUTHALIC_RADIUS_KM = A * np.sqrt(_QP / 2)


def to_equal_area(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cylindrical equal-area coordinates (km) of geodetic longitude/latitude in degrees."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return AUTHALIC_RADIUS_KM * np.radians(lon), AUTHALIC_RADIUS_KM * _q(np.radians(lat)) / _QP


def from_equal_area(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_equal_area`: longitude/latitude in degrees.

    The geodetic latitude is found from the authalic latitude by Newton's method on the forward
    formula (converges to 1e-12 rad in a few steps), not by a truncated series.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    target = np.clip(y / AUTHALIC_RADIUS_KM, -1.0, 1.0) * _QP
    phi = np.arcsin(np.clip(y / AUTHALIC_RADIUS_KM, -1.0, 1.0))
    for _ in range(20):
        s = np.sin(phi)
        # dq/dphi = 2 (1 - e2) cos(phi) / (1 - e2 sin^2 phi)^2
        step = (_q(phi) - target) * (1 - _E2 * s * s) ** 2 / (2 * (1 - _E2) * np.cos(phi))
        phi = phi - step
        if np.all(np.abs(step) < 1e-13):
            break
    return np.degrees(x / AUTHALIC_RADIUS_KM), np.degrees(phi)


def geodesic_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Ellipsoidal (WGS84) distance in km between points given in degrees (Vincenty's inverse formula).

    Arguments broadcast against each other. Nearly antipodal pairs (where the iteration may not
    converge) raise ``ValueError`` rather than return a wrong number.
    """
    L = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    U1 = np.arctan((1 - F) * np.tan(np.radians(np.asarray(lat1, dtype=float))))
    U2 = np.arctan((1 - F) * np.tan(np.radians(np.asarray(lat2, dtype=float))))
    U1, U2, L = np.broadcast_arrays(U1, U2, L)
    sinU1, cosU1, sinU2, cosU2 = np.sin(U1), np.cos(U1), np.sin(U2), np.cos(U2)
    lam = L.copy()
    for _ in range(200):
        sin_lam, cos_lam = np.sin(lam), np.cos(lam)
        sin_sigma = np.hypot(cosU2 * sin_lam, cosU1 * sinU2 - sinU1 * cosU2 * cos_lam)
        cos_sigma = sinU1 * sinU2 + cosU1 * cosU2 * cos_lam
        sigma = np.arctan2(sin_sigma, cos_sigma)
        with np.errstate(invalid="ignore", divide="ignore"):
            sin_alpha = np.where(sin_sigma == 0, 0.0, cosU1 * cosU2 * sin_lam / sin_sigma)
            cos2_alpha = 1 - sin_alpha**2
            cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_sigma - 2 * sinU1 * sinU2 / cos2_alpha)
        C = F / 16 * cos2_alpha * (4 + F * (4 - 3 * cos2_alpha))
        lam_new = L + (1 - C) * F * sin_alpha * (sigma + C * sin_sigma * (cos_2sm + C * cos_sigma * (-1 + 2 * cos_2sm**2)))
        done = np.abs(lam_new - lam) < 1e-12
        lam = lam_new
        if np.all(done):
            break
    else:
        raise ValueError("Vincenty's formula did not converge (nearly antipodal points)")
    u2 = cos2_alpha * (A**2 - _B**2) / _B**2
    k1 = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    big_a = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    d_sigma = k1 * sin_sigma * (cos_2sm + k1 / 4 * (cos_sigma * (-1 + 2 * cos_2sm**2)
                                                  - k1 / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)))
    return _B * big_a * (sigma - d_sigma)


def local_km(lon, lat, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Plate carrée in km scaled at ``lat0`` (degrees), on the authalic sphere."""
    r = AUTHALIC_RADIUS_KM
    return r * np.radians(np.asarray(lon, dtype=float)) * np.cos(np.radians(lat0)), r * np.radians(np.asarray(lat, dtype=float))


def local_lonlat(x, y, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`local_km`."""
    r = AUTHALIC_RADIUS_KM
    return np.degrees(np.asarray(x, dtype=float) / (r * np.cos(np.radians(lat0)))), np.degrees(np.asarray(y, dtype=float) / r)
