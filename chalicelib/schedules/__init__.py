"""Scheduled jobs, one module each; `app.py` wires each to its EventBridge schedule.

Each reads only the items it must act on, through a sparse index, in a bounded batch.
"""
