"""Observations from events, their signatures, and the daily counts a batch adds."""

from __future__ import annotations

from datetime import date

from pipeline.detection import (
    ANY,
    DayCount,
    InMemoryCountStore,
    Signature,
    count_increments,
    counted_keys,
    mentions_safety,
    observation_from_event,
    signatures_of,
)
from tests.unit.detection.detection_factories import complaint, observation, repair_event


def test_complaint_becomes_an_observation_with_its_full_component_code() -> None:
    obs = observation_from_event(complaint("ENGINE:COOLING:PUMP"))

    assert obs is not None
    assert obs.component == "ENGINE:COOLING:PUMP"
    assert obs.kind == "complaint"
    assert (obs.brand, obs.model, obs.variant, obs.market) == ("Acme", "Roadster", "2020", "DE")
    assert obs.severe is False


def test_crash_or_safety_words_in_any_language_make_a_complaint_severe() -> None:
    assert observation_from_event(complaint(crash=True)).severe  # type: ignore[union-attr]
    for text in (
        "Car caught fire on the highway",
        "发动机突然熄火",
        "Unfall nach Bremsversagen",
        "se produjo un incendio",
        "Der Brand begann im Motorraum",
    ):
        assert observation_from_event(complaint(text=text)).severe, text  # type: ignore[union-attr]


def test_ordinary_words_that_contain_safety_stems_are_not_severe() -> None:
    assert not mentions_safety("Dealer will install a brand new radio")
    assert not mentions_safety(None)


def test_complaint_without_component_is_dropped_unless_one_can_be_inferred() -> None:
    assert observation_from_event(complaint(None, text="pump leaks")) is None
    assert observation_from_event(complaint("UNKNOWN_OR_OTHER", text="pump leaks")) is None

    inferred = observation_from_event(
        complaint(None, text="pump leaks"), infer_component=lambda text: "ENGINE:COOLING"
    )
    assert inferred is not None
    assert inferred.component == "ENGINE:COOLING"


def test_repair_becomes_an_observation_and_other_events_do_not() -> None:
    obs = observation_from_event(repair_event(diagnosis="brake failure at speed"))

    assert obs is not None
    assert (obs.kind, obs.component, obs.severe, obs.serial) == (
        "repair",
        "BRAKES:PADS",
        True,
        "VIN9",
    )
    assert observation_from_event(object()) is None


def test_an_observation_counts_toward_variant_model_market_and_reference_signatures() -> None:
    keys = signatures_of(observation(0, component="ENGINE:COOLING:PUMP"))

    assert keys == (
        Signature("Acme", "Roadster", "2020", "ENGINE"),
        Signature("Acme", "Roadster", ANY, "ENGINE"),
        Signature("Acme", "Roadster", "2020@DE", "ENGINE"),
        Signature("Acme", "Roadster", "2020", ANY),
        Signature("Acme", "Roadster", ANY, ANY),
        Signature(ANY, ANY, ANY, "ENGINE"),
        Signature(ANY, ANY, "*@DE", "ENGINE"),
        Signature(ANY, ANY, ANY, ANY),
    )
    assert [k.is_reference for k in keys] == [False, False, False, True, True, True, True, True]


def test_a_market_signature_knows_its_market_and_its_pooled_signature() -> None:
    in_germany = Signature("Acme", "Roadster", "2020@DE", "ENGINE")

    assert in_germany.market == "DE"
    assert in_germany.pooled == Signature("Acme", "Roadster", "2020", "ENGINE")
    assert in_germany.pooled.market is None


def test_an_observation_without_variant_counts_only_at_model_level() -> None:
    keys = signatures_of(observation(0, variant=None))

    assert Signature("Acme", "Roadster", ANY, "ENGINE") in keys
    assert all(k.variant.startswith(ANY) for k in keys)


def test_a_batch_adds_one_count_per_observation_and_day_with_severe_ones_apart() -> None:
    batch = [observation(0), observation(0, severe=True), observation(1)]
    store = InMemoryCountStore()
    store.add(count_increments(batch))

    series = store.series([Signature("Acme", "Roadster", "2020", "ENGINE")])
    counts = next(iter(series.values())).as_counts()
    assert counts == {date(2020, 1, 1): DayCount(2, 1), date(2020, 1, 2): DayCount(1, 0)}


def test_a_complaint_filed_on_two_parts_of_one_component_counts_once_for_it() -> None:
    engine = complaint("ENGINE", complaint_id="C1")
    cooling = complaint("ENGINE:COOLING", complaint_id="C1")
    brakes = complaint("BRAKES", complaint_id="C1")
    observations = [observation_from_event(e) for e in (engine, cooling, brakes)]
    store = InMemoryCountStore()

    store.add(count_increments([o for o in observations if o is not None]))

    series = store.series(
        [
            Signature("Acme", "Roadster", "2020", "ENGINE"),
            Signature("Acme", "Roadster", "2020", ANY),
        ]
    )
    assert [s.total for s in series.values()] == [1, 1]


def test_a_complaint_split_over_two_batches_counts_once_with_a_ledger() -> None:
    first = observation_from_event(complaint("ENGINE", complaint_id="C1"))
    second = observation_from_event(complaint("ENGINE:COOLING", complaint_id="C1"))
    assert first is not None
    assert second is not None
    store = InMemoryCountStore()
    ledger = counted_keys([first])

    store.add(count_increments([first]))
    store.add(count_increments([second], already_counted=ledger))

    engine = Signature("Acme", "Roadster", "2020", "ENGINE")
    assert store.series([engine])[engine].total == 1


def test_different_complaints_and_repairs_each_count() -> None:
    batch = [
        observation_from_event(complaint("ENGINE", complaint_id="C1")),
        observation_from_event(complaint("ENGINE", complaint_id="C2")),
        observation_from_event(repair_event("ENGINE:COOLING")),
    ]
    store = InMemoryCountStore()

    store.add(count_increments([o for o in batch if o is not None]))

    engine = Signature("Acme", "Roadster", "2020", "ENGINE")
    assert store.series([engine])[engine].total == 3
