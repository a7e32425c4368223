"""Prometheus rules and config pass promtool; alerts and dashboard use only declared metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.metrics import MetricWrapperBase

from pipeline.common import metrics

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "aftersales.json"
# Series Prometheus makes itself for every scrape target, and labels it attaches to every series.
SCRAPE_SERIES = {"up"}
TARGET_LABELS = {"job", "instance"}
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "enum": ("",),
}
PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan",
}  # fmt: skip


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("promtool")
    assert executable, "promtool missing: apt-get install prometheus (Debian package)"
    return subprocess.run(
        [executable, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, check=False
    )


def declared_series() -> dict[str, set[str]]:
    """Each sample name `pipeline.common.metrics` exposes, with the labels it may carry."""
    series: dict[str, set[str]] = {}
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            labels = set(metric._labelnames) | TARGET_LABELS
            for suffix in SAMPLE_SUFFIXES[str(metric._type)]:
                series[metric._name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return series


def strip_strings(promql: str) -> str:
    return re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', promql)


def selectors(promql: str) -> Iterator[tuple[str, set[str]]]:
    """(metric name, label names matched) for every `name{...}` selector."""
    for name, matchers in re.findall(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", strip_strings(promql)):
        yield name, set(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", matchers))


def grouping_labels(promql: str) -> set[str]:
    clauses = re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", strip_strings(promql))
    return {label.strip() for clause in clauses for label in clause.split(",") if label.strip()}


def metric_names(promql: str) -> set[str]:
    """Every series name an expression selects: identifiers that are not functions or keywords."""
    text = strip_strings(promql)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\w+", " ", text)
    names = re.findall(r"(?<![\w.$])([a-zA-Z_:][\w:]*)\b(?!\s*\()", text)
    return {n for n in names if n.lower() not in PROMQL_KEYWORDS}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from dashboard_panels(panel.get("panels", []))


def dashboard() -> dict[str, Any]:
    loaded = json.loads(DASHBOARD.read_text())
    assert isinstance(loaded, dict)
    return loaded


def dashboard_queries() -> list[str]:
    return [
        target["expr"]
        for panel in dashboard_panels(dashboard()["panels"])
        for target in panel.get("targets", [])
    ]


def all_queries() -> dict[str, str]:
    queries = {f"alert {r['alert']}": str(r["expr"]) for r in alert_rules()}
    queries.update({f"dashboard query {i}": q for i, q in enumerate(dashboard_queries())})
    return queries


def test_promtool_accepts_the_alert_rules() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_unit_tests_pass() -> None:
    result = promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_prometheus_config_and_finds_its_rule_files() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "alerts.yml"
        in yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())["rule_files"]
    )


def test_the_alert_unit_tests_cover_at_least_three_alerts() -> None:
    tests = yaml.safe_load((PROMETHEUS_DIR / "alerts_test.yml").read_text())["tests"]
    firing = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert len(firing) >= 3
    assert firing <= {r["alert"] for r in alert_rules()}


def test_every_alert_has_a_severity_summary_and_description() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


def test_the_promql_parser_finds_metrics_but_not_functions_labels_or_durations() -> None:
    expr = (
        'sum by (topic) (rate(aftersales_x_total{topic="a.b", instance=~"$instance"}[5m]))'
        " / clamp_min(sum(up == 1), 1e-9) > 0.05 and on (instance) foo_bar offset 5m"
    )
    assert metric_names(expr) == {"aftersales_x_total", "up", "foo_bar"}
    assert dict(selectors(expr)) == {"aftersales_x_total": {"topic", "instance"}}
    assert grouping_labels(expr) == {"topic", "instance"}


def test_every_metric_queried_by_alerts_and_dashboard_is_declared_in_pipeline_metrics() -> None:
    known = set(declared_series()) | SCRAPE_SERIES
    undeclared = {
        name: sorted(where for where, q in all_queries().items() if name in metric_names(q))
        for query in all_queries().values()
        for name in metric_names(query) - known
    }
    assert not undeclared, f"not declared in pipeline/common/metrics.py: {undeclared}"


def test_every_label_queried_exists_on_the_declared_metrics() -> None:
    series = declared_series()
    all_labels = set().union(*series.values())
    problems = []
    for where, query in all_queries().items():
        for name, labels in selectors(query):
            if name in series and labels - series[name]:
                problems.append(f"{where}: {name} has no label {sorted(labels - series[name])}")
        if grouping_labels(query) - all_labels:
            problems.append(
                f"{where}: groups by unknown {sorted(grouping_labels(query) - all_labels)}"
            )
    assert not problems


def test_the_dashboard_uses_the_provisioned_datasource() -> None:
    datasources = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    uids = {ds["uid"] for ds in datasources}
    panels = [p for p in dashboard_panels(dashboard()["panels"]) if p["type"] != "row"]
    assert panels
    assert {p["datasource"]["uid"] for p in panels} <= uids
    assert all(p.get("targets") for p in panels)


def test_grafana_loads_dashboards_from_where_compose_mounts_them() -> None:
    providers = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "aftersales.yml").read_text()
    )["providers"]
    grafana = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = dict(str(v).split(":")[:2] for v in grafana["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == providers[0]["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
