"""The HTTP server: routes, the job table with its GPU worker, auth, events."""
