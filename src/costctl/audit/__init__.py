"""Audit checks: prompt analysis, instruction similarity, request-log analysis (reference/audit.md)."""
