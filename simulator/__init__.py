"""A loopback stand-in for the carriers' open platforms (see simulator.server)."""
from simulator.server import CallbackAttempt, CarrierSimulator, Scenario, scenario_for

__all__ = ["CallbackAttempt", "CarrierSimulator", "Scenario", "scenario_for"]
