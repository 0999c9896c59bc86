"""gunicorn's access log without the secrets some links carry in their path.

Every value a log line can show (the request line, the path, the Referer, any header or environ
value a custom format picks) goes through `log_redaction.redact`. The Dockerfile and
docker-compose.yml start gunicorn with this class (`--logger-class`).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from core.log_redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact(value) for name, value in atoms.items()}
