"""The HTTP API: one Chalice blueprint per area, registered by app.py.

A blueprint module imports only Chalice and `chalicelib.api.responses`; each route imports the logic
it uses when first called, so a Lambda function loads only what its own routes need (every
function imports app.py, and with it every blueprint). Routes parse and validate what arrives
(headers, query, body) and hand validated models to the use cases in `chalicelib.usecases`.
"""
