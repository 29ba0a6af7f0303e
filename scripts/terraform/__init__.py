"""Offline Terraform checks (check.py) and the provider schema they use."""
