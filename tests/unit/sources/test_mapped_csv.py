"""CSV files read through a TOML mapping, with the shipped Chinese complaints mapping."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from producers.sources import report
from producers.sources.mapped_csv import (
    MappingError,
    load_mapping,
    mapping_path,
    read_mapped_csv,
)
from producers.sources.report import Skipped
from schemas.feedback import ComplaintFiled

CN_SLICE = Path(__file__).parents[2] / "fixtures" / "cn" / "cn_car_complaints_slice.csv"
HEADER = (
    "complaint_id,brand,series,model_trim,description,problem_category,problem_type,complaint_date"
)


def _cn_events(path: Path = CN_SLICE) -> list[ComplaintFiled]:
    mapping = load_mapping(mapping_path("cn_car_complaints"))
    return [item for item in read_mapped_csv(path, mapping) if isinstance(item, ComplaintFiled)]


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "complaints.csv"
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def test_reads_one_complaint_per_record_of_the_chinese_slice() -> None:
    events = _cn_events()

    assert len(events) == 205
    first = events[0]
    assert first.complaint_id == "20240429145554505552"
    assert (first.product.brand, first.product.model, first.product.variant) == (
        "深蓝汽车",
        "深蓝S7",
        "2023款 121Max增程版",
    )
    assert first.market == "CN"
    assert first.language == "zh"
    assert first.source == "cn-car-complaints"
    assert first.component == "TIRES_WHEELS:TIRE_PRESSURE"
    assert first.failure_code == "胎压异常"
    assert first.occurred_at == datetime(2024, 4, 29, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert first.text is not None
    assert first.text.startswith("2024年1月1日在深蓝汽车交付中心")


def test_keeps_the_category_alone_when_the_problem_type_has_no_english_detail() -> None:
    by_id = {event.complaint_id: event for event in _cn_events()}

    others = [e for e in by_id.values() if e.failure_code == "其他"]
    assert others
    assert all(":" not in (e.component or ":") for e in others)
    assert by_id["20240319163251100551"].component is None  # the one record without a category


def test_every_category_in_the_slice_has_an_english_component_code() -> None:
    codes = {event.component for event in _cn_events()} - {None}

    assert codes
    assert all(code and code.isascii() for code in codes)


def test_gives_the_same_event_ids_when_read_twice() -> None:
    ids = [event.event_id for event in _cn_events()]

    assert ids == [event.event_id for event in _cn_events()]
    assert len(set(ids)) == len(ids)


def test_skips_broken_records_at_the_line_where_they_start(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '"1","比亚迪","汉","2022款","多行\n描述","发动机","异响","2024-03-01"',
        '"2","比亚迪","汉","2022款","x","发动机","异响"',
        '"","比亚迪","汉","2022款","x","发动机","异响","2024-03-01"',
        '"4","","汉","2022款","x","发动机","异响","2024-03-01"',
        '"5","比亚迪","汉","2022款","x","发动机","异响",""',
        '"6","比亚迪","汉","2022款","x","发动机","异响","01/03/2024"',
        '"7","比亚迪","汉","2022款","x","发动机","异响","1900-03-01"',
        '"8","比亚迪","汉","2022款","x","飞行器","异响","2024-03-01"',
        '"9","比亚迪","汉","2022款","x","发动机","' + "长" * 70 + '","2024-03-01"',
    )
    mapping = load_mapping(mapping_path("cn_car_complaints"))

    items = list(read_mapped_csv(path, mapping))

    assert isinstance(items[0], ComplaintFiled)
    assert items[0].component == "ENGINE:NOISE"
    assert [(s.line_no, s.reason) for s in items[1:] if isinstance(s, Skipped)] == [
        (4, report.WRONG_FIELD_COUNT),
        (5, report.MISSING_ID),
        (6, report.MISSING_PRODUCT),
        (7, report.NO_DATE),
        (8, report.BAD_DATE),
        (9, report.IMPLAUSIBLE_DATE),
        (10, report.UNMAPPED_CATEGORY),
        (11, report.INVALID_EVENT),
    ]


def test_skips_dates_after_the_given_day(tmp_path: Path) -> None:
    path = _write(tmp_path, '"1","比亚迪","汉","2022款","x","发动机","异响","2024-03-01"')
    mapping = load_mapping(mapping_path("cn_car_complaints"))

    (item,) = read_mapped_csv(path, mapping, today=date(2024, 2, 1))

    assert isinstance(item, Skipped)
    assert item.reason == report.IMPLAUSIBLE_DATE


def test_reads_a_mapping_with_only_the_required_columns(tmp_path: Path) -> None:
    mapping_file = tmp_path / "plain.toml"
    mapping_file.write_text(
        'source = "plain"\nmarket = "DE"\ndate_format = "%d.%m.%Y"\ndelimiter = ";"\n'
        '[columns]\nid = "nr"\nbrand = "marke"\nmodel = "modell"\ndate = "datum"\n',
        encoding="utf-8",
    )
    data = tmp_path / "plain.csv"
    data.write_text("nr;marke;modell;datum\nA-1;Bosch;WAW28440;03.02.2024\n", encoding="utf-8")
    (event,) = read_mapped_csv(data, load_mapping(mapping_file))

    assert isinstance(event, ComplaintFiled)
    assert (event.complaint_id, event.product.brand, event.market) == ("A-1", "Bosch", "DE")
    assert event.component is None
    assert event.language is None
    assert event.occurred_at == datetime(2024, 2, 3, tzinfo=ZoneInfo("UTC"))


def test_refuses_a_mapping_that_misses_a_required_column(tmp_path: Path) -> None:
    mapping_file = tmp_path / "bad.toml"
    mapping_file.write_text('source = "x"\nmarket = "DE"\n[columns]\nid = "nr"\n', encoding="utf-8")

    with pytest.raises(MappingError, match="brand"):
        load_mapping(mapping_file)


def test_refuses_a_component_code_that_is_not_normalised(tmp_path: Path) -> None:
    mapping_file = tmp_path / "bad.toml"
    mapping_file.write_text(
        'source = "x"\nmarket = "DE"\n[columns]\nid = "a"\nbrand = "b"\nmodel = "c"\ndate = "d"\n'
        '[components]\n"Motor" = "engine cooling"\n',
        encoding="utf-8",
    )

    with pytest.raises(MappingError, match="engine cooling"):
        load_mapping(mapping_file)


def test_refuses_a_file_without_the_mapped_columns(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    mapping = load_mapping(mapping_path("cn_car_complaints"))

    with pytest.raises(MappingError, match="complaint_id"):
        list(read_mapped_csv(path, mapping))


def test_names_the_shipped_mappings_when_one_is_unknown() -> None:
    with pytest.raises(MappingError, match="cn_car_complaints"):
        mapping_path("no_such_mapping")
