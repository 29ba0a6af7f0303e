"""The console served by the local platform (`make up`, `python -m tools console`): the app of
lambdas/console behind a local HTTP server, with the local-only adapters (the local query engine over
the lake's files, the local runtime's status API). See docs/console.md.
"""
