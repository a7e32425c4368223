"""Near-duplicate complaints count once toward a signature, with the link to their copies kept."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pipeline.detection import Signature, observation_from_event
from pipeline.detection.dedupe import Filed, copies_of, fingerprint, merge_copies
from pipeline.detection.model import count_increments
from tests.unit.detection.detection_factories import complaint

TEXT = "The engine stalled on the motorway twice this week, the dealer found nothing wrong."
D0 = date(2024, 3, 1)
PRODUCT = ("Acme", "Roadster", "2020")


def filed(cid: str, text: str | None = TEXT, day: int = 0, product=PRODUCT) -> Filed:
    return Filed(cid, product, D0 + timedelta(days=day), text)


def test_a_repost_with_a_word_changed_is_a_copy_of_the_first_post() -> None:
    reposted = TEXT.replace("twice", "three times")
    assert copies_of([filed("A"), filed("B", reposted, day=3)]) == {"B": "A"}


def test_reformatting_does_not_make_a_complaint_new() -> None:
    assert fingerprint("ＡＢＣ  engine,\nstalled!") == fingerprint("abc engine stalled")


def test_the_same_text_on_another_product_is_another_complaint() -> None:
    other = ("Acme", "Roadster", "2021")
    assert copies_of([filed("A"), filed("B", product=other)]) == {}


def test_short_texts_are_never_merged_since_they_say_too_little() -> None:
    assert copies_of([filed("A", "no reply"), filed("B", "no reply", day=1)]) == {}


def test_different_complaints_about_one_fault_stay_apart() -> None:
    second = "Brake pedal goes soft when it rains and the ABS light comes on at low speed."
    assert copies_of([filed("A"), filed("B", second)]) == {}


def test_a_copy_of_a_copy_points_at_the_first_original() -> None:
    found = copies_of([filed("A"), filed("B", TEXT + "!", 1), filed("C", TEXT + " again", 2)])
    assert found == {"B": "A", "C": "A"}


def test_complaints_counted_earlier_are_originals_and_never_copies() -> None:
    found = copies_of([filed("B", day=5)], earlier=[filed("A"), filed("B", day=5)])
    assert found == {}
    assert copies_of([filed("C", day=5)], earlier=[filed("A")]) == {"C": "A"}


def test_a_post_older_than_the_window_is_not_the_original() -> None:
    assert copies_of([filed("A"), filed("B", day=400)], window_days=365) == {}


@given(st.permutations(["A", "B", "C", "D"]), st.integers(min_value=0, max_value=3))
def test_the_copies_found_do_not_depend_on_the_input_order(order: list[str], day: int) -> None:
    posts = {
        "A": filed("A"),
        "B": filed("B", TEXT + " Please help.", day),
        "C": filed("C", "Rear door rattles over cobblestones, a loose trim clip is the cause."),
        "D": filed("D", TEXT, day + 1),
    }
    assert copies_of([posts[k] for k in order]) == copies_of(sorted(posts.values(), key=str))


@given(st.integers(min_value=1, max_value=30))
def test_reposts_add_one_complaint_to_the_signature_however_often_posted(times: int) -> None:
    events = [complaint(text=TEXT, complaint_id=f"C{i}", day=i) for i in range(times)]
    observations = [o for e in events if (o := observation_from_event(e)) is not None]
    filings = [filed(e.complaint_id, e.text, i) for i, e in enumerate(events)]
    merged = merge_copies(observations, copies_of(filings))
    counts = count_increments(merged)
    signature = Signature("Acme", "Roadster", "2020", "ENGINE")
    assert sum(c.n for (s, _), c in counts.items() if s == signature) == 1
