"""Reliability checks that need the simulator: the fault campaign (`python -m tests.reliability.campaign`)."""
