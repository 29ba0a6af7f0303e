"""Disaster-recovery commands (docs/operations.md is the runbook that orders them).

python -m scripts.dr.restore_table   DynamoDB point-in-time (or backup) restore into a new table
python -m scripts.dr.replay          the raw zone, for a time range, into a table, a queue or topics
"""
