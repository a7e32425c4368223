"""Component trees of vehicles and air conditioners, with their failure behaviour and parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from producers.simulator.catalogue import AIR_CONDITIONER, VEHICLE


@dataclass(frozen=True, slots=True)
class Leaf:
    """A replaceable part position under a top-level component."""

    code: str
    name: str
    part_eur: float
    labour_hours: float
    abbreviation: str


@dataclass(frozen=True, slots=True)
class TopComponent:
    """A top-level component with a bathtub hazard: infant mortality, flat, then wear-out."""

    code: str
    name: str
    annual_rate: float
    infant: float
    infant_months: float
    wear: float
    wear_from_months: float
    seasonal: bool
    crash_probability: float
    fire_probability: float
    leaves: tuple[Leaf, ...]
    modes: tuple[str, ...]
    consumable: str | None


def _leaf(code: str, name: str, part_eur: float, hours: float) -> Leaf:
    return Leaf(code, name, part_eur, hours, code.rsplit(":", 1)[-1][:4])


VEHICLE_TREE: Final = (
    TopComponent("ENGINE", "Engine", 0.040, 1.5, 2.0, 0.35, 30.0, False, 0.002, 0.008, (
        _leaf("ENGINE:COOLING:PUMP", "Coolant pump", 180, 2.5),
        _leaf("ENGINE:COOLING:THERMOSTAT", "Thermostat", 45, 1.0),
        _leaf("ENGINE:FUEL:INJECTOR", "Fuel injector", 220, 2.0),
        _leaf("ENGINE:IGNITION:COIL", "Ignition coil", 60, 0.7),
    ), ("OVERHEAT", "LEAK", "MISFIRE", "NO_START"), "Coolant 5 l"),
    TopComponent("ELECTRICAL", "Electrical system", 0.050, 2.0, 1.5, 0.25, 30.0, False, 0.0,
                 0.006, (
        _leaf("ELECTRICAL:BATTERY", "12 V battery", 140, 0.5),
        _leaf("ELECTRICAL:ALTERNATOR", "Alternator", 320, 1.8),
        _leaf("ELECTRICAL:WIRING_HARNESS", "Wiring harness", 260, 4.0),
    ), ("NO_START", "SHORT", "WARNING_LIGHT"), None),
    TopComponent("BRAKES", "Brakes", 0.040, 0.8, 2.0, 0.6, 24.0, False, 0.015, 0.0, (
        _leaf("BRAKES:PADS", "Brake pads", 90, 1.0),
        _leaf("BRAKES:CALIPER", "Brake caliper", 210, 1.5),
        _leaf("BRAKES:ABS_MODULE", "ABS module", 650, 2.0),
    ), ("NOISE", "VIBRATION", "WARNING_LIGHT", "REDUCED_BRAKING"), "Brake fluid 1 l"),
    TopComponent("HVAC", "Climate control", 0.025, 1.0, 2.0, 0.3, 30.0, True, 0.0, 0.0, (
        _leaf("HVAC:COMPRESSOR", "A/C compressor", 540, 3.0),
        _leaf("HVAC:BLOWER", "Blower motor", 150, 1.2),
    ), ("NOT_COOLING", "NOISE", "LEAK"), "Refrigerant R1234yf"),
    TopComponent("TRANSMISSION", "Transmission", 0.015, 1.2, 2.0, 0.4, 36.0, False, 0.004, 0.0, (
        _leaf("TRANSMISSION:CLUTCH", "Clutch kit", 480, 5.0),
        _leaf("TRANSMISSION:GEARBOX:SYNCHRO", "Gearbox synchroniser", 900, 8.0),
    ), ("SLIPPING", "HARD_SHIFT", "NOISE"), "Gear oil 2 l"),
    TopComponent("SUSPENSION", "Suspension", 0.025, 0.6, 2.0, 0.5, 24.0, False, 0.006, 0.0, (
        _leaf("SUSPENSION:SHOCK_ABSORBER", "Shock absorber", 170, 1.5),
        _leaf("SUSPENSION:CONTROL_ARM", "Control arm", 130, 1.2),
    ), ("NOISE", "VIBRATION", "PULLING"), None),
)  # fmt: skip

AIR_CONDITIONER_TREE: Final = (
    TopComponent("HVAC", "Refrigeration circuit", 0.040, 1.5, 2.0, 0.3, 36.0, True, 0.0, 0.0, (
        _leaf("HVAC:COMPRESSOR", "Compressor", 320, 2.5),
        _leaf("HVAC:FAN_MOTOR", "Fan motor", 85, 1.0),
        _leaf("HVAC:EVAPORATOR", "Evaporator coil", 140, 2.0),
    ), ("NOT_COOLING", "NOISE", "NO_START"), "Refrigerant R32"),
    TopComponent("ELECTRONICS", "Electronics", 0.040, 2.5, 1.5, 0.2, 36.0, False, 0.0, 0.0, (
        _leaf("ELECTRONICS:CONTROL_BOARD", "Control board", 120, 1.0),
        _leaf("ELECTRONICS:SENSOR", "Temperature sensor", 25, 0.5),
        _leaf("ELECTRONICS:REMOTE", "Remote control", 20, 0.2),
    ), ("ERROR_CODE", "NO_POWER", "NO_RESPONSE"), None),
    TopComponent("REFRIGERANT", "Refrigerant lines", 0.025, 1.0, 2.0, 0.3, 36.0, True, 0.0, 0.0, (
        _leaf("REFRIGERANT:LINE", "Refrigerant line", 60, 1.5),
        _leaf("REFRIGERANT:VALVE", "Expansion valve", 45, 1.2),
    ), ("LEAK", "NOT_COOLING", "ICING"), "Refrigerant R32"),
    TopComponent("DRAINAGE", "Condensate drainage", 0.020, 1.0, 2.0, 0.2, 36.0, True, 0.0, 0.0, (
        _leaf("DRAINAGE:PUMP", "Condensate pump", 40, 0.8),
        _leaf("DRAINAGE:HOSE", "Drain hose", 10, 0.5),
    ), ("WATER_LEAK", "NOISE"), None),
)  # fmt: skip

TREES: Final = {VEHICLE: VEHICLE_TREE, AIR_CONDITIONER: AIR_CONDITIONER_TREE}
