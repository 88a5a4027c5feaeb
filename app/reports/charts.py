"""The reports' charts, drawn on the server as SVG: no chart library, no script, nothing from a CDN.

A chart is sized for a phone (360 user units wide, so its text reads at about its own size there)
and scales up to twice that on a wide screen. Colours come from CSS classes (static/css/reports.css),
so light and dark themes and forced colours apply. Each chart carries a title and a description for
screen readers, and the page puts the same numbers in a table beside it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 360, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 24  # room for the axis labels
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass
class Series:
    name: str
    css: str  # the class that colours it
    values: list[int]
    points: str = ""  # a polyline's points
    bars: list[tuple[float, float, float, float]] = field(default_factory=list)  # x, y, width, height


@dataclass
class Chart:
    key: str  # for ids: chart-<key>-title / -desc
    title: str
    description: str
    kind: str  # "bars" or "lines"
    series: list[Series]
    y_ticks: list[tuple[float, str]]  # y position, label
    x_ticks: list[tuple[float, str, str]]  # x position, label, text-anchor
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    baseline: int = TOP + PLOT_H


def _nice_max(value: int) -> int:
    """The axis's top: the next 1, 2 or 5 times a power of ten at or above `value` (at least 2)."""
    if value <= 2:
        return 2
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _y(value: int, top: int) -> float:
    return round(TOP + PLOT_H - PLOT_H * value / top, 1)


AXIS_CHAR_WIDTH = 6.6  # user units per character of an axis label, about (11 px text: reports.css)


def _x_ticks(days: list[date]) -> list[tuple[float, str, str]]:
    """The first, middle and last day, each centred under its slot, except a last one that would
    run past the chart's edge centred (a month's narrow slots: "Dec 6" was cut): it ends at the
    plot's right edge instead."""
    slot = PLOT_W / max(len(days), 1)
    picks = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    ticks = []
    for i in picks:
        label, x = f"{days[i]:%b} {days[i].day}", round(LEFT + slot * (i + 0.5), 1)
        if x + len(label) * AXIS_CHAR_WIDTH / 2 > WIDTH - 1:
            ticks.append((float(LEFT + PLOT_W), label, "end"))
        else:
            ticks.append((x, label, "middle"))
    return ticks


def _describe(name: str, days: list[date], values: list[int]) -> str:
    if not days:
        return f"No {name}."
    peak = max(range(len(values)), key=lambda i: values[i])
    return (f"{sum(values)} {name} from {days[0]:%b} {days[0].day} to {days[-1]:%b} {days[-1].day}; "
            f"the most, {values[peak]}, on {days[peak]:%b} {days[peak].day}.")


def bar_chart(key: str, title: str, name: str, days: list[date], values: list[int], css: str) -> Chart:
    top = _nice_max(max(values, default=0))
    slot = PLOT_W / max(len(days), 1)
    width = max(slot * 0.7, 0.5)
    series = Series(name, css, values)
    for i, value in enumerate(values):
        y = _y(value, top)
        series.bars.append((round(LEFT + slot * i + (slot - width) / 2, 2), y, round(width, 2), round(TOP + PLOT_H - y, 1)))
    return Chart(key, title, _describe(name, days, values), "bars", [series],
                 [(_y(v, top), str(v)) for v in (0, top // 2, top)], _x_ticks(days))


def line_chart(key: str, title: str, days: list[date], lines: list[tuple[str, str, list[int]]]) -> Chart:
    top = _nice_max(max((max(values, default=0) for _, _, values in lines), default=0))
    slot = PLOT_W / max(len(days), 1)
    series = []
    for name, css, values in lines:
        points = " ".join(f"{round(LEFT + slot * (i + 0.5), 1)},{_y(v, top)}" for i, v in enumerate(values))
        series.append(Series(name, css, values, points=points))
    description = " ".join(_describe(name, days, values) for name, _, values in lines)
    return Chart(key, title, description, "lines", series,
                 [(_y(v, top), str(v)) for v in (0, top // 2, top)], _x_ticks(days))
