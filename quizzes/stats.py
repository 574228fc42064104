"""Item analysis for one module version, after Moodle's "Quiz statistics calculations".

Input is deliberately plain so the web layer can fill it with a couple of SQL aggregates:
one mapping per attempt, item key -> mark awarded, plus each item's max points (or, via
:func:`analyse_attempts`, one mapping per attempt of item key -> ``(awarded, max points)``).
Every attempt must be of the same module version, so the items and their max points agree.
An item missing from an attempt (or with mark ``None``) earned 0, as in :mod:`quizzes.scoring`.

Definitions (x = an item's marks, T = attempt totals, X = T - x the rest of the attempt):

* facility index F = 100 * mean(x) / max points
* item SD = 100 * SD(x) / max points
* discrimination index = 100 * r(x, X), Pearson correlation with the rest of the attempt
* discriminative efficiency = 100 * cov(x, X) / cov_max, where cov_max is the covariance
  of x and X each sorted ascending on its own: the largest covariance those marks allow
* Cronbach's alpha = 100 * k/(k-1) * (1 - sum(V(x)) / V(T)); SE = SD * sqrt(1 - alpha/100)
* skewness and (excess) kurtosis from Moodle's k-statistics of the totals

Variance choice: like Moodle, every variance, covariance and SD is the *sample* one
(divide by n - 1). Ratios (correlation, efficiency, alpha) do not depend on that choice;
the reported SDs and the SE do. Scores (mean, median, SD, SE) are percent of max score.

Variants (see ``Module.slots``): a slot holds several items and each attempt is shown one
of them. Given ``slots`` (item key -> slot key), the attempt's total counts one mark per slot;
each variant's figures come from the attempts that were shown it (its mark against the rest
of those attempts), and each slot's figures from every attempt, whichever variant it drew.

Undefined values are ``None``, never an exception: fewer than 2 attempts, an item or
rest-score with zero variance (everybody earned the same), an item worth 0 points, fewer
than 2 items (alpha), too few attempts for skewness (3) or kurtosis (4). Correlation,
efficiency and alpha are clamped to their mathematical bounds to absorb float noise only.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .certainty import Certainty, certainty_of, overconfident

DUBIOUS_EFFICIENCY = 15.0
"""Items whose discriminative efficiency is below this (percent) need review (Moodle's rule)."""

DUBIOUS_MIN_ATTEMPTS = 10
"""With at least this many attempts an item whose efficiency is undefined is flagged too."""

BAND_LABELS = tuple(f"{low}-{low + 10}%" for low in range(0, 100, 10))
"""Labels of the histogram bands; the last band, 90-100%, also holds scores of exactly 100."""


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one item; every percentage is ``None`` when undefined."""

    key: str
    max_points: float
    facility: float | None  # mean mark, % of max points (0..100)
    sd: float | None  # SD of the marks, % of max points
    discrimination: float | None  # 100 * r(item, rest of attempt), -100..100
    efficiency: float | None  # 100 * cov / max possible cov, -100..100
    dubious: bool  # efficiency < 15, or undefined despite enough attempts
    attempts: int = 0  # attempts shown this item (with variants: those that drew it)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemStats:
        """The item statistics :meth:`to_dict` wrote."""
        return _from_json(cls, data)


@dataclass(frozen=True)
class ModuleStats:
    """Statistics of one module version: the score distribution and every item."""

    attempts: int
    max_score: float
    mean: float | None  # % of max score
    median: float | None
    sd: float | None
    skewness: float | None
    kurtosis: float | None  # excess kurtosis (0 for a normal distribution)
    alpha: float | None  # Cronbach's alpha as %, at most 100, may be negative
    standard_error: float | None  # % of max score
    histogram: tuple[int, ...]  # attempts per band of BAND_LABELS
    items: dict[str, ItemStats]  # in the order of max_points; a variant's over the attempts that drew it
    # Slots with several variants, keyed by slot: the slot's marks whichever variant was drawn.
    slots: dict[str, ItemStats] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object.

        ``items`` becomes a list, because a JSON object need not keep its keys in order
        (PostgreSQL's JSONB does not). Floats survive JSON exactly: Python writes the
        shortest text that reads back as the same float.
        """
        data = asdict(self)
        data["histogram"] = list(self.histogram)
        data["items"] = list(data["items"].values())
        data["slots"] = list(data["slots"].values())
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModuleStats:
        """The module statistics :meth:`to_dict` wrote."""
        items = [ItemStats.from_dict(item) for item in data["items"]]
        slots = [ItemStats.from_dict(slot) for slot in data.get("slots", [])]
        return _from_json(
            cls,
            data,
            histogram=tuple(int(n) for n in data["histogram"]),
            items={item.key: item for item in items},
            slots={slot.key: slot for slot in slots},
        )


@dataclass(frozen=True)
class ChoiceFrequency:
    """How often one choice was picked; ``choice`` is ``None`` for "no answer"."""

    choice: str | None
    count: int
    percent: float | None  # % of attempts; None when there were no attempts

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChoiceFrequency:
        """The choice frequency :meth:`to_dict` wrote."""
        return _from_json(cls, data)


@dataclass(frozen=True)
class ResponseCount:
    """How many attempts gave one answer to an item, as item analysis lists them.

    ``answer`` is the answer in words (a choice's text, the text typed), ``None`` for "no
    answer"; ``fraction`` is the share of the points it earns (None when it is not one
    answer, such as a row that sums up the rarer ones); ``harmful`` marks an answer the author
    marked harmful (see :func:`mark_harmful`).
    """

    answer: str | None
    count: int
    percent: float | None  # % of attempts; None when there were no attempts
    fraction: float | None
    harmful: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseCount:
        """The response count :meth:`to_dict` wrote."""
        return _from_json(cls, data)


def analyse(
    marks: Iterable[Mapping[str, float | None]],
    max_points: Mapping[str, float],
    *,
    slots: Mapping[str, str] | None = None,
    min_attempts: int = DUBIOUS_MIN_ATTEMPTS,
) -> ModuleStats:
    """Compute item and module statistics from per-attempt marks and each item's max points.

    :param marks: one mapping per attempt, item key -> mark awarded (missing or None = 0).
        With variants, an attempt's mapping names the variant it was shown in each slot (a
        slot none of whose items it names was shown its first item).
    :param max_points: item key -> max points, for every item of the module version.
    :param slots: item key -> slot key (``Item.slot``); an item not in it is a slot of its own.
    :param min_attempts: attempts from which an undefined efficiency marks an item dubious.
    :raises ValueError: a negative max, a mark outside [0, max], an unknown item key, two
        variants of one slot in one attempt, or variants of a slot worth different points;
        each means the attempts do not belong to this module version.
    """
    keys = list(max_points)
    for key, points in max_points.items():
        if not points >= 0:
            raise ValueError(f"item {key!r} has invalid max points {points!r}")
    members: dict[str, list[str]] = {}
    for key in keys:
        members.setdefault((slots or {}).get(key, key), []).append(key)
    for slot, variants in members.items():
        if len({max_points[key] for key in variants}) > 1:
            raise ValueError(f"the variants of slot {slot!r} are worth different points")
    slot_keys = list(members)
    columns: dict[str, list[float]] = {slot: [] for slot in slot_keys}
    drawn: dict[str, list[str]] = {slot: [] for slot in slot_keys}
    n = 0
    for attempt in marks:
        n += 1
        unknown = set(attempt) - set(max_points)
        if unknown:
            raise ValueError(f"marks for items not in this module version: {sorted(unknown)}")
        for slot, variants in members.items():
            shown = [key for key in variants if key in attempt] if len(variants) > 1 else variants
            if len(shown) > 1:
                raise ValueError(f"one attempt has marks for several variants of slot {slot!r}: {shown}")
            key = shown[0] if shown else variants[0]
            mark = attempt.get(key)
            mark = 0.0 if mark is None else float(mark)
            if not 0 <= mark <= max_points[key]:
                raise ValueError(f"mark {mark!r} for item {key!r} is outside [0, {max_points[key]}]")
            columns[slot].append(mark)
            drawn[slot].append(key)
    rows = [[columns[slot][s] for slot in slot_keys] for s in range(n)]
    totals = [math.fsum(row) for row in rows]
    max_score = math.fsum(max_points[variants[0]] for variants in members.values())

    items: dict[str, ItemStats] = {}
    slot_stats: dict[str, ItemStats] = {}
    for i, slot in enumerate(slot_keys):
        # The rest-score is summed afresh (not total - mark) so equal rests are equal floats.
        rest = [math.fsum(row[:i] + row[i + 1 :]) for row in rows]
        variants = members[slot]
        points = max_points[variants[0]]
        if len(variants) > 1:
            slot_stats[slot] = _item_stats(slot, columns[slot], rest, points, n >= min_attempts, n)
        for key in variants:
            picked = [s for s in range(n) if drawn[slot][s] == key]
            x, x_rest = [columns[slot][s] for s in picked], [rest[s] for s in picked]
            items[key] = _item_stats(key, x, x_rest, points, len(picked) >= min_attempts, len(picked))
    items = {key: items[key] for key in keys}

    percents = [100.0 * (t / max_score) for t in totals] if max_score > 0 else []  # never above 100
    var_total = _var(totals)
    sd = 100.0 * math.sqrt(var_total) / max_score if var_total is not None and max_score > 0 else None
    alpha = _alpha([_var(columns[slot]) for slot in slot_keys], var_total)
    skewness, kurtosis = _shape(totals)
    return ModuleStats(
        attempts=n,
        max_score=max_score,
        mean=math.fsum(percents) / n if percents else None,
        median=statistics.median(percents) if percents else None,
        sd=sd,
        skewness=skewness,
        kurtosis=kurtosis,
        alpha=alpha,
        standard_error=sd * math.sqrt(1 - alpha / 100) if sd is not None and alpha is not None else None,
        histogram=histogram(percents),
        items=items,
        slots=slot_stats,
    )


def analyse_attempts(
    attempts: Iterable[Mapping[str, Any]],
    *,
    slots: Mapping[str, str] | None = None,
    min_attempts: int = DUBIOUS_MIN_ATTEMPTS,
) -> ModuleStats:
    """Like :func:`analyse`, for attempts that carry each item's max points with its mark.

    :param attempts: one mapping per attempt, item key -> ``(awarded, max points)`` or any
        object with ``awarded`` and ``points`` (such as :class:`quizzes.items.Mark`). Items
        are the union of the keys seen, in first-seen order.
    :raises ValueError: an item with different max points in different attempts (mixed versions).
    """
    marks: list[dict[str, float]] = []
    max_points: dict[str, float] = {}
    for attempt in attempts:
        row = {}
        for key, value in attempt.items():
            awarded, points = value if isinstance(value, tuple) else (value.awarded, value.points)
            if max_points.setdefault(key, points) != points:
                raise ValueError(f"item {key!r} is worth {max_points[key]} and {points}: mixed module versions")
            row[key] = awarded
        marks.append(row)
    return analyse(marks, max_points, slots=slots, min_attempts=min_attempts)


def histogram(percents: Iterable[float]) -> tuple[int, ...]:
    """Count scores (percent) per 10% band: [0, 10), [10, 20), ..., [90, 100].

    A score on a boundary goes to the band above it, except 100, which belongs to the last
    band. Scores are nudged by 1e-9 before banding so that 69.99999999999999 (float noise
    for 70) lands in 70-80; anything outside 0..100 is counted in the nearest end band.
    """
    counts = [0] * len(BAND_LABELS)
    for percent in percents:
        counts[min(9, max(0, math.floor(percent / 10 + 1e-9)))] += 1
    return tuple(counts)


def choice_frequencies(
    responses: Iterable[str | Sequence[str] | None],
    choices: Sequence[str] = (),
) -> list[ChoiceFrequency]:
    """Count how many attempts picked each choice of one choice item, and how many skipped it.

    :param responses: one response per attempt: a choice id (single best answer), a list of
        ids (multiple response; an id repeated in one response counts once) or ``None``.
        ``None``, ``""`` and an empty list all count as "no answer".
    :param choices: the item's choice ids, so choices nobody picked still appear with 0.
    :returns: the given choices in order, then ids that were picked but not given (stale
        data made visible rather than dropped), then "no answer" (``choice=None``) last.
        Percentages are of attempts, so for multiple response they may sum to over 100.
    """
    return counted_choice_frequencies(((response, 1) for response in responses), choices)


def counted_choice_frequencies(
    counted: Iterable[tuple[str | Sequence[str] | None, int]],
    choices: Sequence[str] = (),
) -> list[ChoiceFrequency]:
    """Like :func:`choice_frequencies`, from ``(response, attempts that gave it)`` pairs.

    The same response may come in several pairs. This lets a database count equal
    responses (``GROUP BY``) so each distinct response is decoded and looked at once.
    """
    counts: dict[str, int] = dict.fromkeys(choices, 0)
    skipped = attempts = 0
    for response, n in counted:
        attempts += n
        picked = {response} if isinstance(response, str) else set(response or ())
        picked.discard("")
        if not picked:
            skipped += n
        for choice_id in sorted(picked):
            counts[choice_id] = counts.get(choice_id, 0) + n
    counts_with_none: list[tuple[str | None, int]] = [*counts.items(), (None, skipped)]
    return [
        ChoiceFrequency(choice_id, count, 100.0 * count / attempts if attempts else None)
        for choice_id, count in counts_with_none
    ]


@dataclass(frozen=True)
class HarmfulPick:
    """How many attempts, and how many students, gave one answer the author marked harmful."""

    answer: str  # the harmful part in words (a choice's text, the number or text given...)
    count: int
    students: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HarmfulPick:
        """The harmful pick :meth:`to_dict` wrote."""
        return _from_json(cls, data)


@dataclass(frozen=True)
class HarmfulCount:
    """How often an item was answered harmfully: attempts and distinct students, and each harmful answer.

    ``percent`` is of the attempts shown the item (given by the caller: with variants, those
    that drew it); ``picks`` are most frequent first.
    """

    count: int  # attempts whose answer picked something harmful
    students: int  # distinct students among them
    percent: float | None  # % of the attempts shown the item; None when none were
    picks: tuple[HarmfulPick, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object."""
        return {**asdict(self), "picks": [p.to_dict() for p in self.picks]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HarmfulCount:
        """The harmful count :meth:`to_dict` wrote."""
        return _from_json(cls, data, picks=tuple(HarmfulPick.from_dict(p) for p in data["picks"]))


def harmful_counts(
    counted: Iterable[tuple[Any, Any, int]],
    harmful_picks: Callable[[Any], Sequence[str]],
    shown: int,
) -> HarmfulCount:
    """Count the harmful answers to one item from ``(answer, student, attempts that gave it)`` rows.

    :param counted: the same answer and student may come in several rows (a database
        ``GROUP BY``), so each distinct answer is looked at once per student.
    :param harmful_picks: the item's ``harmful_picks``: what in an answer was marked harmful.
    :param shown: how many attempts were shown the item (the percentage's base).
    """
    count = 0
    students: set[Any] = set()
    by_answer: dict[str, list] = {}
    for answer, student, n in counted:
        picked = list(dict.fromkeys(harmful_picks(answer)))
        if not picked:
            continue
        count += n
        students.add(student)
        for text in picked:
            entry = by_answer.setdefault(text, [0, set()])
            entry[0] += n
            entry[1].add(student)
    picks = sorted(
        (HarmfulPick(text, n, len(who)) for text, (n, who) in by_answer.items()),
        key=lambda p: (-p.count, p.answer),
    )
    return HarmfulCount(count, len(students), 100.0 * count / shown if shown else None, tuple(picks))


def mark_harmful(responses: Sequence[ResponseCount], harmful: HarmfulCount | None) -> list[ResponseCount]:
    """The listed answers with those the counts found harmful marked (``ResponseCount.harmful``)."""
    texts = {p.answer for p in harmful.picks} if harmful else set()
    return [replace(r, harmful=r.answer is not None and r.answer in texts) for r in responses]


@dataclass(frozen=True)
class Overconfidence:
    """Answers given with high and with medium certainty, and how many of them were wrong.

    A wrong answer at high certainty costs 6 marks under CBM and at medium 2: the student
    was sure of something they did not know. The shares are percentages (None with no answers).
    """

    high: int = 0
    high_wrong: int = 0
    medium: int = 0
    medium_wrong: int = 0

    @property
    def high_share(self) -> float | None:
        """% of the high-certainty answers that were wrong."""
        return 100.0 * self.high_wrong / self.high if self.high else None

    @property
    def medium_share(self) -> float | None:
        """% of the medium-certainty answers that were wrong."""
        return 100.0 * self.medium_wrong / self.medium if self.medium else None

    @property
    def confident(self) -> int:
        """Answers given with medium or high certainty."""
        return self.high + self.medium

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; :meth:`from_dict` gives back an equal object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Overconfidence:
        """The counts :meth:`to_dict` wrote."""
        return _from_json(cls, data)


def overconfidence(answers: Iterable[tuple[float, int | None]]) -> Overconfidence:
    """Count ``(fraction earned, certainty given)`` answers at high and medium certainty, and the wrong ones.

    Wrong means earning nothing, as certainty-based marking counts it (``quizzes.certainty``);
    an answer without a certainty counts as low, so it is not counted here.
    """
    counts = {Certainty.HIGH: [0, 0], Certainty.MEDIUM: [0, 0]}
    for fraction, certainty in answers:
        level = certainty_of(certainty)
        if level in counts:
            counts[level][0] += 1
            counts[level][1] += overconfident(fraction, certainty)
    (high, high_wrong), (medium, medium_wrong) = counts[Certainty.HIGH], counts[Certainty.MEDIUM]
    return Overconfidence(high, high_wrong, medium, medium_wrong)


def _item_stats(key: str, x: list[float], rest: list[float], points: float, enough: bool, attempts: int) -> ItemStats:
    """One item's (or slot's) statistics from its marks and the rest-scores of the same attempts."""
    n = len(x)
    facility = sd = None
    if n and points > 0:
        # Dividing each mark first keeps a full-marks item at exactly 100, never 100.00000000000001.
        facility = 100.0 * math.fsum(m / points for m in x) / n
        var = _var(x)
        sd = 100.0 * math.sqrt(var) / points if var is not None else None
    discrimination = efficiency = None
    var_x, var_rest, cov = _var(x), _var(rest), _cov(x, rest)
    if var_x and var_rest and cov is not None:
        denominator = math.sqrt(var_x) * math.sqrt(var_rest)
        if denominator > 0:
            discrimination = _clamp(100.0 * cov / denominator)
        cov_max = _cov(sorted(x), sorted(rest))
        if cov_max:  # >= 0 always (Chebyshev's sum inequality); 0 only if one side is constant
            efficiency = _clamp(100.0 * cov / cov_max)
    dubious = efficiency < DUBIOUS_EFFICIENCY if efficiency is not None else enough
    return ItemStats(key, float(points), facility, sd, discrimination, efficiency, dubious, attempts)


def _cov(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Sample covariance (n - 1); exactly 0 if either side is constant; None below 2 values."""
    n = len(xs)
    if n < 2:
        return None
    if min(xs) == max(xs) or min(ys) == max(ys):
        return 0.0  # the float mean of equal values may not equal them; don't invent spread
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (n - 1)


def _var(xs: Sequence[float]) -> float | None:
    """Sample variance (n - 1), or None below 2 values."""
    return _cov(xs, xs)


def _alpha(item_variances: list[float | None], var_total: float | None) -> float | None:
    """Cronbach's alpha as %: None with fewer than 2 items or attempts, or constant totals."""
    k = len(item_variances)
    if k < 2 or not var_total:
        return None
    ratio = math.fsum(v for v in item_variances if v is not None) / var_total
    return min(100.0, 100.0 * k / (k - 1) * (1 - ratio))


def _shape(totals: Sequence[float]) -> tuple[float | None, float | None]:
    """Skewness (3+ attempts) and excess kurtosis (4+ attempts) from Moodle's k-statistics."""
    s = len(totals)
    if s < 3 or min(totals) == max(totals):
        return None, None
    mean = math.fsum(totals) / s
    # Both are scale-free: rescale the deviations to at most 1 so tiny spreads cannot underflow.
    scale = max(abs(t - mean) for t in totals)
    if scale == 0:
        return None, None
    m2, m3, m4 = (math.fsum(((t - mean) / scale) ** r for t in totals) / s for r in (2, 3, 4))
    k2 = s * m2 / (s - 1)
    skewness = s * s * m3 / ((s - 1) * (s - 2)) / k2**1.5
    if s < 4:
        return skewness, None
    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
    return skewness, k4 / k2**2


# How a field of each annotated type is read back from JSON (which may hold ``100`` for ``100.0``).
_FROM_JSON = {
    "str": str,
    "str | None": lambda value: None if value is None else str(value),
    "int": int,
    "float": float,
    "float | None": lambda value: None if value is None else float(value),
    "bool": bool,
}


def _from_json(cls, data: Mapping[str, Any], **given: Any):
    """A ``cls`` dataclass from the JSON its ``to_dict`` wrote: each field by its type, except those ``given``."""
    read = {f.name: _FROM_JSON[f.type](data[f.name]) for f in fields(cls) if f.name not in given}
    return cls(**read, **given)


def _clamp(percent: float) -> float:
    """Keep a bounded percentage within -100..100 despite rounding."""
    return min(100.0, max(-100.0, percent))
