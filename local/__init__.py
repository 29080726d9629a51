"""The local stack: moto as AWS, the HTTP API, queue pump, scheduler and carrier simulator."""
