"""The feed server (Starlette, served by uvicorn): feeds with ETag/304, tokens, index page."""

from scheduler.web.app import create_app

__all__ = ["create_app"]
