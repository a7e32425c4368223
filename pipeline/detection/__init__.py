"""Recurring-defect detection in event time: observations, counts, detectors, flag episodes."""

from pipeline.detection.baselines import kth_in_window, kth_in_window_method
from pipeline.detection.episodes import (
    DailySignal,
    FlagChange,
    FlagEpisode,
    Severity,
    diff_episodes,
    episodes_from_signal,
    severity_of,
)
from pipeline.detection.evaluate import evaluate
from pipeline.detection.model import (
    ANY,
    DayCount,
    Observation,
    Signature,
    count_increments,
    mentions_safety,
    monitored,
    observation_from_event,
    references_of,
    signatures_of,
    top_level,
)
from pipeline.detection.params import DetectionParams
from pipeline.detection.ports import (
    CountStore,
    InMemoryCountStore,
    InMemoryInstalledBase,
    InstalledBase,
    Series,
)
from pipeline.detection.repeats import (
    GroupRate,
    Outlier,
    PartUsed,
    RepairFact,
    group_rates,
    is_repeat_repair,
    repair_fact_from_event,
    repeat_repair_outliers,
    repeated_repair,
)

__all__ = [
    "ANY",
    "CountStore",
    "DailySignal",
    "DayCount",
    "DetectionParams",
    "FlagChange",
    "FlagEpisode",
    "GroupRate",
    "InMemoryCountStore",
    "InMemoryInstalledBase",
    "InstalledBase",
    "Observation",
    "Outlier",
    "PartUsed",
    "RepairFact",
    "Series",
    "Severity",
    "Signature",
    "count_increments",
    "diff_episodes",
    "episodes_from_signal",
    "evaluate",
    "group_rates",
    "is_repeat_repair",
    "kth_in_window",
    "kth_in_window_method",
    "mentions_safety",
    "monitored",
    "observation_from_event",
    "references_of",
    "repair_fact_from_event",
    "repeat_repair_outliers",
    "repeated_repair",
    "severity_of",
    "signatures_of",
    "top_level",
]
