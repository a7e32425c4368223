"""Topic names: inbound families, outbound streams and the dead-letter topic."""

from __future__ import annotations

from dataclasses import dataclass

INBOUND_FAMILIES = ("tickets", "repairs", "feedback", "reference", "customers", "product")
OUTBOUND_NAMES = ("defect-flags", "followups", "reports", "deadletter", "erasures")


@dataclass(frozen=True)
class Topics:
    """Every topic name under one configurable prefix (default ``aftersales``)."""

    prefix: str = "aftersales"

    def name(self, family: str) -> str:
        return f"{self.prefix}.{family}.v1"

    @property
    def tickets(self) -> str:
        return self.name("tickets")

    @property
    def repairs(self) -> str:
        return self.name("repairs")

    @property
    def feedback(self) -> str:
        return self.name("feedback")

    @property
    def reference(self) -> str:
        return self.name("reference")

    @property
    def customers(self) -> str:
        return self.name("customers")

    @property
    def product(self) -> str:
        """Where product teams send flag triage decisions and corrective actions."""
        return self.name("product")

    @property
    def erasures(self) -> str:
        """Where ``customer.erased`` confirmations go out."""
        return self.name("erasures")

    @property
    def defect_flags(self) -> str:
        return self.name("defect-flags")

    @property
    def followups(self) -> str:
        return self.name("followups")

    @property
    def reports(self) -> str:
        return self.name("reports")

    @property
    def deadletter(self) -> str:
        return self.name("deadletter")

    @property
    def inbound(self) -> tuple[str, ...]:
        return tuple(self.name(f) for f in INBOUND_FAMILIES)

    @property
    def outbound(self) -> tuple[str, ...]:
        return tuple(self.name(f) for f in OUTBOUND_NAMES)

    @property
    def all(self) -> tuple[str, ...]:
        return self.inbound + self.outbound

    def family_of(self, topic: str) -> str | None:
        """The inbound family of a topic name, or None for a topic that is not ours."""
        for family in INBOUND_FAMILIES:
            if topic == self.name(family):
                return family
        return None
