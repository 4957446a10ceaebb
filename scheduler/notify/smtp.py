"""The only module that talks SMTP: STARTTLS or implicit TLS, login, timeouts, retries."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage

from scheduler.errors import DeliveryError


def send(msg: EmailMessage, settings, *, sleep=time.sleep) -> None:
    """Deliver one message, retrying with back-off; raises DeliveryError (password never shown)."""
    last = None
    for attempt in range(settings.smtp_retries + 1):
        try:
            if settings.smtp_tls:
                client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                          timeout=settings.smtp_timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                                      timeout=settings.smtp_timeout)
            with client:
                if settings.smtp_starttls and not settings.smtp_tls:
                    client.starttls(context=ssl.create_default_context())
                if settings.smtp_user:
                    client.login(settings.smtp_user, settings.smtp_password or "")
                client.send_message(msg)
            return
        except (OSError, smtplib.SMTPException) as err:
            last = f"{type(err).__name__}: {err}".replace(settings.smtp_password or "\0", "***")
            if attempt < settings.smtp_retries:
                sleep(settings.smtp_backoff * (2 ** attempt))
    raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {last}")
