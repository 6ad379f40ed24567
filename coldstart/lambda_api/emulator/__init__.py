"""A local Lambda API for one handler: Invoke and the configuration calls, with real cold
and warm starts in worker processes."""
