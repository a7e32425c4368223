"""NPS, monthly scores and the age of open complaint cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.reports.voice import age_buckets, monthly_scores, net_promoter_score

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_nps_is_promoters_minus_detractors_in_percent() -> None:
    assert net_promoter_score([10, 9, 8, 7, 6, 0]) == pytest.approx(0.0)
    assert net_promoter_score([10, 9, 9, 3]) == pytest.approx(50.0)
    assert net_promoter_score([]) is None


def test_monthly_scores_ignore_missing_answers_per_measure() -> None:
    answers = [
        ("DE", "2024-05", 5, None),
        ("DE", "2024-05", 3, 10),
        ("DE", "2024-04", None, 2),
        ("FR", "2024-05", 4, 9),
    ]

    points = {(p.key, p.month): p for p in monthly_scores(answers)}

    may = points[("DE", "2024-05")]
    assert (may.responses, may.csat_mean, may.nps) == (2, 4.0, 100.0)
    assert points[("DE", "2024-04")].csat_mean is None
    assert points[("DE", "2024-04")].nps == -100.0
    assert list(points) == [("DE", "2024-04"), ("DE", "2024-05"), ("FR", "2024-05")]


def test_age_buckets_list_every_bucket_with_open_cases_by_age() -> None:
    opened = [NOW - timedelta(days=d) for d in (0.5, 6.9, 7, 45, 120, 400)]

    buckets = age_buckets(opened, NOW)

    assert [(b.label, b.count) for b in buckets] == [
        ("< 7 days", 2),
        ("7–30 days", 1),
        ("30–90 days", 1),
        ("> 90 days", 2),
    ]
