"""Tools on top of the platform: the demo, the load generator, status, the query CLI, the lake report.

They drive the local emulator (`local_platform`) or a deployed environment from
outside, as a user would; nothing in the platform imports them.
"""
