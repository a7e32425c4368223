from __future__ import annotations

from tests.unit.simulator.conftest import SHARED_RUN, Run


def test_pending_work_stays_small_next_to_the_events_generated(shared_run: Run) -> None:
    assert shared_run.peak_pending < 0.06 * len(shared_run.events)


def test_pending_work_is_one_entry_per_cohort_plus_a_few_weeks_of_tickets(shared_run: Run) -> None:
    assert len(shared_run.pending_samples) > 10
    for sample in shared_run.pending_samples:
        assert sample["cohort_streams"] <= shared_run.cohorts
        # An episode lives about a month (repair, close, survey, 30-day call, complaint case).
        assert sample["episodes"] + sample["repeats"] < 60 * SHARED_RUN.rate
    assert shared_run.peak_pending < shared_run.cohorts + 60 * SHARED_RUN.rate


def test_in_flight_episodes_level_off_instead_of_piling_up(shared_run: Run) -> None:
    episodes = [s["episodes"] for s in shared_run.pending_samples]
    middle, late = episodes[len(episodes) // 3 : 2 * len(episodes) // 3], episodes[-5:]
    assert max(late) < 1.5 * max(middle)
