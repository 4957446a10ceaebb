"""scheduler.web: not built yet (see the open issues); imports point one way into it."""
