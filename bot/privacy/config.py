"""Privacy settings: where the tracker store is and how long data is kept.

Read once at start-up with :meth:`PrivacySettings.from_env`; every variable is in ``.env.example``.

Defaults follow UK GDPR Article 5(1)(e) (storage limitation: "kept ... for no longer than is
necessary") and the ICO's guidance on storage limitation, which asks for a documented retention
period per kind of data, justified by its purpose, and for periodic erasure or anonymisation:

- ``DRAFT_RETENTION_DAYS`` (30): conversation transcripts in Rasa's tracker store, unfinished
  drafts and their loose evidence, and channel addresses of idle conversations. A submitted report
  lives in the case store, so the transcript is only a working copy; 30 days covers a person who
  comes back to an unfinished report and an operator following up a live chat.
- ``CASE_ANONYMISE_MONTHS`` (24): a case is reduced to the categorical facts the published
  statistics need (month, incident types, motivations, coarse region, channel, language, routing
  answers); free text, contact details, evidence, consents, notes and the reference are deleted.
  Two years covers casework, a police investigation and the usual time to ask us about it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import Field, SecretStr

from bot.settings import REPO_ROOT, EnvSettings, Settings

DEFAULT_DRAFT_RETENTION_DAYS = 30
DEFAULT_CASE_ANONYMISE_MONTHS = 24
DEFAULT_RETENTION_INTERVAL_HOURS = 6.0


class _PrivacyEnv(EnvSettings):
    """The variables of :class:`PrivacySettings` (documented there and in ``.env.example``)."""

    TRACKER_DB_URL: SecretStr | None = None
    TRACKER_DB: str | None = None
    DRAFT_RETENTION_DAYS: int = Field(DEFAULT_DRAFT_RETENTION_DAYS, gt=0)
    CASE_ANONYMISE_MONTHS: int = Field(DEFAULT_CASE_ANONYMISE_MONTHS, gt=0)
    RETENTION_INTERVAL_HOURS: float = Field(DEFAULT_RETENTION_INTERVAL_HOURS, ge=0)


@dataclass(frozen=True)
class PrivacySettings:
    """Retention periods and the tracker store location.

    Attributes:
        tracker_url: SQLAlchemy URL of Rasa's tracker store: ``TRACKER_DB_URL`` (e.g.
            PostgreSQL), else ``sqlite:///$TRACKER_DB`` (the path ``endpoints.yml`` uses), else
            ``$VAR_DIR/tracker.db``. Never shown by ``repr`` (it may hold a password).
        draft_retention_days: ``DRAFT_RETENTION_DAYS``.
        case_anonymise_months: ``CASE_ANONYMISE_MONTHS``.
        retention_interval_hours: How often the web service runs retention
            (``RETENTION_INTERVAL_HOURS``; 0 turns the scheduled job off).
    """

    tracker_url: str = field(repr=False)
    draft_retention_days: int = DEFAULT_DRAFT_RETENTION_DAYS
    case_anonymise_months: int = DEFAULT_CASE_ANONYMISE_MONTHS
    retention_interval_hours: float = DEFAULT_RETENTION_INTERVAL_HOURS

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, settings: Settings | None = None
    ) -> PrivacySettings:
        """Builds the settings from environment variables.

        Args:
            environ: Variables to read; ``os.environ`` when omitted.
            settings: The shared settings (for ``VAR_DIR``); read from ``environ`` when omitted.

        Raises:
            SettingsError: A number is not valid.
        """
        settings = settings or Settings.from_env(environ)
        env = _PrivacyEnv.read(environ)
        url = env.TRACKER_DB_URL.get_secret_value() if env.TRACKER_DB_URL else None
        if url is None:
            path = env.TRACKER_DB
            resolved = (
                (REPO_ROOT / path).resolve()
                if path and not path.startswith("/")
                else (path or str(settings.var_dir / "tracker.db"))
            )
            url = f"sqlite:///{resolved}"
        return cls(
            tracker_url=url,
            draft_retention_days=env.DRAFT_RETENTION_DAYS,
            case_anonymise_months=env.CASE_ANONYMISE_MONTHS,
            retention_interval_hours=env.RETENTION_INTERVAL_HOURS,
        )
