"""The only module that talks SMTP: STARTTLS or implicit TLS, login, timeouts, retries.

A failure is classified for the outbox: *server* failures (cannot connect, TLS refused or not
offered, login, sender refused) stop the batch and leave every digest for the next try; a
*permanent* refusal of one message (5xx for the recipient, SMTPUTF8 not offered, an address
the protocol cannot carry) fails that digest only; anything else is retried later, up to a limit.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage

from scheduler.errors import DeliveryError, redact, register_secret


class SendError(DeliveryError):
    def __init__(self, message: str, *, server: bool = False, permanent: bool = False):
        super().__init__(redact(message))
        self.server, self.permanent = server, permanent


def _context(settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.smtp_ca_file or None)


def _connect(settings) -> smtplib.SMTP:
    if settings.smtp_tls:
        client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                  timeout=settings.smtp_timeout, context=_context(settings))
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    try:
        if settings.smtp_starttls and not settings.smtp_tls:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            client.starttls(context=_context(settings))
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password or "")
    except BaseException:
        client.close()
        raise
    return client


def _describe(err: BaseException) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"TLS certificate refused: {err.verify_message}"
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(err.recipients.values()))
        return f"recipient refused: {code} {reply.decode('utf-8', 'replace')}"
    if isinstance(err, smtplib.SMTPResponseException):
        reply = err.smtp_error.decode("utf-8", "replace") if isinstance(err.smtp_error, bytes) \
            else str(err.smtp_error)
        return f"{type(err).__name__}: {err.smtp_code} {reply}"
    return f"{type(err).__name__}: {err}"


def _permanent(err: BaseException) -> bool:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in err.recipients.values())
    if isinstance(err, smtplib.SMTPNotSupportedError | UnicodeError | ValueError):
        return True
    return isinstance(err, smtplib.SMTPResponseException) and err.smtp_code >= 500


class Mailer:
    """One SMTP session reused for a batch; reconnects and retries with back-off on failure."""

    def __init__(self, settings, *, sleep=time.sleep):
        self.settings, self.sleep, self.client = settings, sleep, None
        register_secret(settings.smtp_password)

    def send(self, msg: EmailMessage) -> None:
        """Deliver one message; raises SendError (the password is never shown)."""
        self._attempt(lambda client: client.send_message(msg))

    def send_raw(self, sender: str, recipient: str, data: bytes, *, smtputf8: bool = False) -> None:
        """Deliver a stored, already serialized message."""
        options = ["SMTPUTF8"] if smtputf8 else []
        self._attempt(lambda client: client.sendmail(sender, [recipient], data, mail_options=options))

    def _attempt(self, action) -> None:
        settings, last = self.settings, None
        where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        for attempt in range(settings.smtp_retries + 1):
            try:
                if self.client is None:
                    try:
                        self.client = _connect(settings)
                    except (OSError, smtplib.SMTPException) as err:
                        raise _ServerDown(err) from err
                action(self.client)
                return
            except _ServerDown as down:
                last = SendError(f"{where}: {_describe(down.err)}", server=True)
            except smtplib.SMTPSenderRefused as err:
                raise SendError(f"{where}: {_describe(err)}", server=True) from None
            except (OSError, smtplib.SMTPException, UnicodeError, ValueError) as err:
                if _permanent(err) or isinstance(err, smtplib.SMTPRecipientsRefused):
                    self._reset()
                    raise SendError(f"{where}: {_describe(err)}", permanent=_permanent(err)) from None
                last = SendError(f"{where}: {_describe(err)}",
                                 server=isinstance(err, OSError | smtplib.SMTPServerDisconnected))
            self.close()
            if attempt < settings.smtp_retries:
                self.sleep(settings.smtp_backoff * (2 ** attempt))
        raise last

    def _reset(self) -> None:
        """After a refused message the session is still good: clear the transaction."""
        try:
            self.client.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

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


class _ServerDown(Exception):
    def __init__(self, err: BaseException):
        super().__init__(str(err))
        self.err = err
