"""Steps of `make demo`: the platform's own (fanout, lake) and one module per declared service that has one.

A declared service contributes `tools/demo_steps/<package>.py` (the last part of
its handler's package, e.g. `orders`) defining `STEPS`, a list of
`tools.demo.Step`; the demo finds it from config/platform.yaml and runs its steps
after the fan-out and before the lake.
"""
