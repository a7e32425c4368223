"""The benchmark's pure helpers: /proc parsing, histogram quantiles, matching, targets, report."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from bench.measure import (
    CpuTimes,
    bucket_delta,
    gauge_value,
    histogram_buckets,
    nearest_rank,
    parse_proc_stat,
    parse_proc_status_kb,
    per_10k,
    publish_to_flag,
    quantile_from_buckets,
    values_at_marks,
)
from bench.profile_stats import counts_since, frame_key, is_idle, top_costs
from bench.report import render_markdown, targets
from bench.stream import sim_config_for

STAT = (
    "4242 (python -m (x)) S 1 4242 4242 0 -1 4194304 900 0 0 0 "
    "150 30 7 3 20 0 3 0 100 1000 500 18446744073709551615"
)
INF = math.inf


def test_proc_stat_reads_user_system_and_children_times_even_with_parens_in_the_name() -> None:
    times = parse_proc_stat(STAT)
    assert times == CpuTimes(utime=150, stime=30, cutime=7, cstime=3)
    assert times.seconds(100) == pytest.approx(1.9)


def test_proc_status_gives_the_kb_lines_as_integers() -> None:
    text = "Name:\tpython\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t3\n"
    assert parse_proc_status_kb(text) == {"VmHWM": 204800, "VmRSS": 102400}


def test_quantile_interpolates_linearly_inside_the_bucket_holding_the_rank() -> None:
    buckets = [(0.1, 50.0), (0.5, 90.0), (1.0, 100.0), (INF, 100.0)]
    assert quantile_from_buckets(buckets, 0.5) == pytest.approx(0.1)
    assert quantile_from_buckets(buckets, 0.7) == pytest.approx(0.3)
    assert quantile_from_buckets(buckets, 0.95) == pytest.approx(0.75)
    assert quantile_from_buckets(buckets, 0.25) == pytest.approx(0.05)


def test_quantile_in_the_infinite_bucket_is_the_highest_finite_bound() -> None:
    buckets = [(0.1, 10.0), (1.0, 20.0), (INF, 100.0)]
    assert quantile_from_buckets(buckets, 0.99) == 1.0


def test_quantile_of_an_empty_histogram_is_none() -> None:
    assert quantile_from_buckets([(0.1, 0.0), (INF, 0.0)], 0.5) is None
    assert quantile_from_buckets([], 0.5) is None


def _exposition(observations: list[float]) -> str:
    registry = CollectorRegistry()
    hist = Histogram("lat_seconds", "x", buckets=(0.1, 1.0), registry=registry)
    gauge = Gauge("last_batch", "x", registry=registry)
    for value in observations:
        hist.observe(value)
    gauge.set(1234.5)
    return generate_latest(registry).decode()


def test_histogram_delta_between_two_scrapes_keeps_only_the_new_observations() -> None:
    before = histogram_buckets(_exposition([0.05, 5.0]), "lat_seconds")
    after = histogram_buckets(_exposition([0.05, 5.0, 0.5, 0.5, 0.05]), "lat_seconds")
    assert before == [(0.1, 1.0), (1.0, 1.0), (INF, 2.0)]
    assert bucket_delta(after, before) == [(0.1, 1.0), (1.0, 3.0), (INF, 3.0)]


def test_gauge_value_reads_an_unlabelled_gauge_and_none_when_missing() -> None:
    text = _exposition([])
    assert gauge_value(text, "last_batch") == 1234.5
    assert gauge_value(text, "nope") is None


def test_nearest_rank_percentiles_of_a_small_sample() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert nearest_rank(values, 0.5) == 3.0
    assert nearest_rank(values, 0.99) == 5.0
    assert nearest_rank(values, 0.0) == 1.0
    assert nearest_rank([], 0.5) is None


def test_values_at_marks_take_the_first_sample_that_reached_each_mark() -> None:
    samples = [(0, 100.0), (150, 110.0), (210, 120.0), (390, 125.0), (400, 130.0)]
    assert values_at_marks(samples, [200, 400, 600]) == {200: 120.0, 400: 130.0, 600: None}


def test_cpu_per_10k_events_scales_and_is_none_without_events() -> None:
    assert per_10k(3.0, 30_000) == pytest.approx(1.0)
    assert per_10k(3.0, 0) is None


def test_flag_latency_is_measured_from_the_latest_sample_published_in_this_run() -> None:
    published = {"a": 100.0, "b": 101.5}
    flags = [
        (
            103.0,
            {"flag_id": "F1", "change": "raised", "evidence": {"sample_event_ids": ["a", "b"]}},
        ),
        (104.0, {"flag_id": "F2", "change": "updated", "evidence": {"sample_event_ids": ["old"]}}),
        (105.0, {"flag_id": "F3", "change": "raised", "evidence": {}}),
    ]
    matched, unmatched = publish_to_flag(flags, published)
    assert [(m.flag_id, m.change) for m in matched] == [("F1", "raised")]
    assert matched[0].seconds == pytest.approx(1.5)
    assert unmatched == 2


def test_profile_names_drop_install_paths_and_idle_waits_are_recognised() -> None:
    assert (
        frame_key("/x/.venv/lib/python3.11/site-packages/sqlalchemy/engine/base.py", "execute")
        == "sqlalchemy/engine/base.py:execute"
    )
    assert (
        frame_key("/work/main/pipeline/jobs/batch/processor.py", "process")
        == "pipeline/jobs/batch/processor.py:process"
    )
    assert is_idle("/usr/lib/python3.11/selectors.py", "select")
    assert not is_idle("/work/main/pipeline/jobs/batch/processor.py", "process")


def test_top_costs_rank_by_samples_and_leave_out_module_bodies_and_the_entry_chain() -> None:
    counts = {
        "pipeline/jobs/batch/processor.py:process": 60,
        "pipeline/jobs/batch/stages/casebook.py:<module>": 90,
        "pipeline/cli/main.py:worker": 100,
        "pipeline/warehouse/writer.py:write_batch": 40,
        "sqlalchemy/engine/base.py:execute": 70,
    }
    ours = top_costs(counts, 100, n=2, prefixes=("pipeline/",))
    assert [(c.function, c.percent) for c in ours] == [
        ("pipeline/jobs/batch/processor.py:process", 60.0),
        ("pipeline/warehouse/writer.py:write_batch", 40.0),
    ]
    assert top_costs(counts, 0) == []


def test_counts_since_subtracts_a_baseline_snapshot() -> None:
    assert counts_since({"a": 10, "b": 3, "c": 2}, {"a": 4, "b": 3}) == {"a": 6, "c": 2}


def _results() -> dict[str, object]:
    def scenario(name: str, rate: int, **extra: object) -> dict[str, object]:
        return {
            "scenario": name,
            "events": 1000,
            "seconds": 1.0,
            "events_per_s": rate,
            "publish_events_per_s": 9000,
            "cpu_s_per_10k": 1.0,
            "cpu_cores": 0.5,
            "peak_rss_mb": 100.0,
            **extra,
        }

    latency = {
        "offered_events_per_s": 1000.0,
        "achieved_events_per_s": 998,
        "window_s": 30.0,
        "publish_to_archive": {
            "p50_s": 0.2,
            "p95_s": 0.6,
            "p99_s": 0.9,
            "bucket_bounds_s": [0.1, 1.0],
        },
        "publish_to_archived_at": {"p50_s": 0.1, "p99_s": 0.5},
        "publish_to_flag": {
            "flag_messages_in_window": 0,
            "matched": 0,
            "p50_s": None,
            "p99_s": None,
            "max_s": None,
        },
    }
    return {
        "run": {
            "started_at": "2026-01-01T00:00:00+00:00",
            "git_commit": "abc",
            "machine": "m",
            "broker": "b",
            "producer": "p",
            "stream": "s",
        },
        "scenarios": [
            scenario("raw ceiling", 9000, drain_events_per_s=40_000),
            scenario("naive baseline", 800),
            scenario("ours on SQLite", 4000),
        ],
        "latency": {"ours on SQLite": latency},
        "memory": {
            "events": 1000,
            "events_per_s": 4000,
            "rss_mb_at": {"200": 200.0, "1000": 230.0},
            "growth_first_to_last": 0.15,
        },
    }


def test_targets_compare_ours_with_naive_and_the_drained_ceiling() -> None:
    by_name = {t["target"]: t for t in targets(_results())}
    assert by_name["ours on SQLite / naive throughput"]["value"] == 5.0
    assert by_name["ours on SQLite / naive throughput"]["met"] is True
    assert by_name["ours on SQLite / raw ceiling (drain)"]["value"] == 0.1
    assert by_name["ours on SQLite / raw ceiling (drain)"]["met"] is False
    assert by_name["ours on SQLite p99 publish->archive at 1000.0/s"]["met"] is True
    assert by_name["ours on PostgreSQL / naive throughput"]["met"] is None
    assert by_name["worker RSS growth 0k -> 1k events (memory run)"]["met"] is True


def test_markdown_report_shows_every_scenario_and_says_when_no_flag_occurred() -> None:
    results = _results()
    results["targets"] = targets(results)
    text = render_markdown(results)
    assert "| ours on SQLite | 1,000 | 1.00 | 4,000 |" in text
    assert "| raw ceiling | 1,000 | 1.00 | 9,000 | 40,000 |" in text
    assert "No flag messages means" in text
    assert "| events processed | 200 | 1,000 |" in text
    assert "| RSS MiB | 200 | 230 |" in text


def test_simulation_is_sized_for_the_requested_stream_with_headroom() -> None:
    config = sim_config_for(250_000, seed=7)
    assert config.days == 730
    assert config.rate * 5_800 >= 250_000


def test_latency_target_is_missed_when_the_worker_cannot_keep_up_with_the_offered_load() -> None:
    results = _results()
    results["latency"] = {
        "ours on SQLite": {
            "skipped": "capacity below load",
            "capacity_below_load": True,
            "offered_events_per_s": 1000.0,
        }
    }
    by_name = {t["target"]: t for t in targets(results)}
    target = by_name["ours on SQLite p99 publish->archive at 1000.0/s"]
    assert target["value"] is None
    assert target["met"] is False
