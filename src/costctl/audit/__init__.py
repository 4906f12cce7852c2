"""Audit checks: prompt analysis, instruction similarity, request-log analysis (docs/audit.md)."""
