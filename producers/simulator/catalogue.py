"""Static facts of the simulated world: markets, brands, product models and suppliers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Market:
    """One country the makers sell and service in."""

    country: str
    currency: str
    languages: tuple[tuple[str, float], ...]
    timezone: str
    utc_offset_hours: int
    region: str
    southern: bool
    size: float
    eur_rate: float
    labour_eur_per_hour: float
    cities: tuple[str, ...]

    @property
    def currency_decimals(self) -> int:
        return 0 if self.currency == "JPY" else 2


MARKETS: Final = (
    Market("DE", "EUR", (("de", 0.95), ("en", 0.05)), "Europe/Berlin", 1, "EMEA", False, 1.0, 1.0,
           95.0, ("Berlin", "München", "Hamburg", "Köln", "Frankfurt")),
    Market("FR", "EUR", (("fr", 1.0),), "Europe/Paris", 1, "EMEA", False, 0.8, 1.0, 85.0,
           ("Paris", "Lyon", "Marseille", "Toulouse", "Lille")),
    Market("ES", "EUR", (("es", 1.0),), "Europe/Madrid", 1, "EMEA", False, 0.6, 1.0, 65.0,
           ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao")),
    Market("GB", "GBP", (("en", 1.0),), "Europe/London", 0, "EMEA", False, 0.8, 0.86, 90.0,
           ("London", "Manchester", "Birmingham", "Leeds", "Glasgow")),
    Market("US", "USD", (("en", 0.85), ("es", 0.15)), "America/Chicago", -6, "AMER", False, 1.6,
           1.08, 110.0, ("Chicago", "Dallas", "Atlanta", "Denver", "Phoenix")),
    Market("BR", "BRL", (("pt", 1.0),), "America/Sao_Paulo", -3, "AMER", True, 0.7, 5.4, 35.0,
           ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Recife")),
    Market("CN", "CNY", (("zh", 1.0),), "Asia/Shanghai", 8, "APAC", False, 1.8, 7.8, 30.0,
           ("上海", "北京", "广州", "深圳", "成都")),
    Market("JP", "JPY", (("ja", 1.0),), "Asia/Tokyo", 9, "APAC", False, 0.9, 160.0, 80.0,
           ("東京", "大阪", "名古屋", "福岡", "札幌")),
    Market("IN", "INR", (("en", 1.0),), "Asia/Kolkata", 5, "APAC", False, 1.2, 90.0, 15.0,
           ("Mumbai", "Delhi", "Bengaluru", "Chennai", "Pune")),
    Market("AU", "AUD", (("en", 1.0),), "Australia/Sydney", 10, "APAC", True, 0.4, 1.65, 95.0,
           ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide")),
)  # fmt: skip

MARKET_BY_COUNTRY: Final = {m.country: m for m in MARKETS}

VEHICLE: Final = "vehicle"
AIR_CONDITIONER: Final = "air_conditioner"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A product model as marketed; its variants (model years or revisions) are derived per run."""

    brand: str
    brand_code: str
    model: str
    model_code: str
    category: str
    popularity: float
    markets: tuple[str, ...]
    launch_month: int
    """Month of the year new variants launch (vehicles: the model-year change)."""


MODELS: Final = (
    ModelSpec("Northwind", "NW", "Aster", "AS", VEHICLE, 1.4,
              ("DE", "FR", "ES", "GB", "US", "BR", "IN", "AU"), 9),
    ModelSpec("Northwind", "NW", "Borealis", "BO", VEHICLE, 1.0,
              ("DE", "FR", "GB", "US", "CN", "AU"), 9),
    ModelSpec("Northwind", "NW", "Cirrus Van", "CV", VEHICLE, 0.5, ("DE", "FR", "ES", "GB"), 3),
    ModelSpec("Kaito", "KA", "Sora", "SO", VEHICLE, 1.3, ("JP", "CN", "US", "AU", "IN", "GB"), 4),
    ModelSpec("Kaito", "KA", "Hikari EV", "HE", VEHICLE, 0.7, ("JP", "CN", "DE", "US"), 10),
    ModelSpec("Arctiq", "AQ", "Breeze 12K", "B12", AIR_CONDITIONER, 2.0,
              ("CN", "IN", "ES", "FR", "US", "BR", "AU", "JP"), 2),
    ModelSpec("Arctiq", "AQ", "Breeze 18K", "B18", AIR_CONDITIONER, 1.2,
              ("CN", "IN", "ES", "US", "BR", "AU"), 2),
    ModelSpec("Helio", "HL", "ThermoSplit 9", "TS9", AIR_CONDITIONER, 1.0,
              ("DE", "FR", "ES", "GB", "JP", "CN"), 5),
)  # fmt: skip

MAKER_GROUPS: Final = {VEHICLE: "Northwind Motors Group", AIR_CONDITIONER: "Arctiq Home Appliances"}
"""Owned dealers report to the maker's group."""

IMPORTERS: Final = {
    ("EMEA", VEHICLE): "EuroDrive Importers",
    ("AMER", VEHICLE): "Americas Auto Distributors",
    ("APAC", VEHICLE): "Pacific Motor Trading",
    ("EMEA", AIR_CONDITIONER): "Continental Climate Partners",
    ("AMER", AIR_CONDITIONER): "Americas Cooling Distribution",
    ("APAC", AIR_CONDITIONER): "Pacific Appliance Partners",
}
"""Franchised dealers report to a regional importer, so their service is easy to overlook."""

GENUINE_SUPPLIERS: Final = {
    "Northwind": "Kestrel Components",
    "Kaito": "Hoshino Parts",
    "Arctiq": "Arctiq Genuine Parts",
    "Helio": "Helio Service Parts",
}
AFTERMARKET_SUPPLIERS: Final = ("Fastline Spares", "ValueParts Trading", "Generic aftermarket")

NON_GENUINE_PRICE_FACTOR: Final = 0.55
NON_GENUINE_RATE: Final = {"owned": 0.05, "franchised": 0.35}
REPEAT_PROBABILITY: Final = {True: 0.06, False: 0.30}
"""Chance a repair comes back within the watch window, by whether all parts were genuine."""
REPEAT_WINDOW_DAYS: Final = 90
