"""The console: see the platform and trace any event, in a browser.

Pages (app.py) are rendered on the server from the platform's and AWS's APIs only (sources.py), with
charts drawn offline by Vega-Lite (charts.py, shared with the static report). Where the local platform
and AWS differ (the lake's SQL engine, the functions' live counters) the readers take a port
(ports.py). On AWS the app runs in a Lambda behind the platform's REST API (handler.py); locally
tools/console/server.py serves the same app with the local adapters. See docs/console.md.
"""
