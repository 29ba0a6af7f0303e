"""The console: see the platform and trace any event, in a browser.

Pages (tools/console/app.py) are rendered on the server from the platform's and
AWS's APIs only (tools/console/sources.py), with charts drawn offline by
Vega-Lite (tools/console/charts.py, shared with the static report).

Locally, `make up` serves it beside the platform and prints its URL. On AWS it
is the same WSGI-free handler behind the same authentication as the API: see
docs/console.md.
"""
