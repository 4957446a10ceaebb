"""The only module that talks SMTP: STARTTLS or implicit TLS, login, timeouts, retries."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage

from scheduler.errors import DeliveryError


def _connect(settings) -> smtplib.SMTP:
    if settings.smtp_tls:
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                  timeout=settings.smtp_timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    if settings.smtp_starttls and not settings.smtp_tls:
        client.starttls(context=ssl.create_default_context())
    if settings.smtp_user:
        client.login(settings.smtp_user, settings.smtp_password or "")
    return client


class Mailer:
    """One SMTP session reused for a batch; reconnects and retries with back-off on failure."""

    def __init__(self, settings, *, sleep=time.sleep):
        self.settings, self.sleep, self.client = settings, sleep, None

    def send(self, msg: EmailMessage) -> None:
        """Deliver one message; raises DeliveryError (the password is never shown)."""
        self._attempt(lambda client: client.send_message(msg))

    def send_raw(self, sender: str, recipient: str, data: bytes) -> None:
        """Deliver a stored, already serialized message (7-bit: our bodies are base64)."""
        self._attempt(lambda client: client.sendmail(sender, [recipient], data))

    def _attempt(self, action) -> None:
        settings, last = self.settings, None
        for attempt in range(settings.smtp_retries + 1):
            try:
                if self.client is None:
                    self.client = _connect(settings)
                action(self.client)
                return
            except (OSError, smtplib.SMTPException) as err:
                last = f"{type(err).__name__}: {err}".replace(settings.smtp_password or "\0", "***")
                self.close()
                if attempt < settings.smtp_retries:
                    self.sleep(settings.smtp_backoff * (2 ** attempt))
        raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {last}")

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.client = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
