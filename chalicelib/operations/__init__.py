"""What an on-call operator reads and does across every platform (the /v1/operations routes and
gatewayctl): carriers' circuits, queue depths and redrives, intercepts that need attention, and
webhook endpoints that are failing."""
