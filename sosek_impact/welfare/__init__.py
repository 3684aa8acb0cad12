"""Welfare measurement through Engel's law: Engel curves and income-equivalent effects."""

from .engel import EngelCurve, WelfareEffect, engel_bootstrap, engel_curve, welfare_equivalent

__all__ = ["EngelCurve", "WelfareEffect", "engel_bootstrap", "engel_curve", "welfare_equivalent"]
