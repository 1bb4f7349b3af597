"""Resources shared by the GoCardless assets: the run's scope, the bank client, the database."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource, Failure, InitResourceContext
from pydantic import PrivateAttr
from sqlalchemy import Connection as SAConnection
from sqlalchemy.orm import Session

from app.config import get_settings
from app.connections import repository as connections
from app.db import get_engine, session_scope
from app.providers.gocardless import GoCardlessClient


class SyncScope(ConfigurableResource):  # type: ignore[type-arg]
    """Which connections a run syncs: one when ``connection_id`` is set, else every active one.

    Launch config: ``{"resources": {"sync_scope": {"config": {"connection_id": "<uuid>"}}}}``.
    """

    connection_id: str | None = None

    @property
    def scoped(self) -> bool:
        return bool(self.connection_id)

    def connection_uuid(self) -> uuid.UUID | None:
        if not self.connection_id:
            return None
        try:
            return uuid.UUID(self.connection_id)
        except ValueError as exc:
            raise Failure(
                description=f"Invalid connection id {self.connection_id!r}: expected a UUID",
                allow_retries=False,
            ) from exc


class GoCardlessResource(ConfigurableResource):  # type: ignore[type-arg]
    """One GoCardless client per run; unset fields come from the app's settings."""

    base_url: str | None = None
    secret_id: str | None = None
    secret_key: str | None = None
    timeout_seconds: float | None = None

    _client: GoCardlessClient | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        settings = get_settings()
        self._client = GoCardlessClient(
            self.base_url or settings.gocardless_base_url,
            self.secret_id or settings.gocardless_secret_id,
            self.secret_key or settings.gocardless_secret_key,
            self.timeout_seconds or settings.gocardless_timeout_seconds,
        )

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> GoCardlessClient:
        if self._client is None:
            raise RuntimeError("the GoCardless resource is used outside a run")
        return self._client


class DatabaseResource(ConfigurableResource):  # type: ignore[type-arg]
    """The app's database through its one session factory, and per-connection sync locks.

    A sync lock is a Postgres advisory lock held on a connection of its own from the first
    bank call for a bank connection until its rows are written; it is released at the end
    of the run at the latest, and by Postgres if the run dies.
    """

    lock_wait_seconds: float = 300.0

    _lock_db: SAConnection | None = PrivateAttr(default=None)
    _held: set[uuid.UUID] = PrivateAttr(default_factory=set)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope() as session:
            yield session

    def acquire_sync_lock(self, connection_id: uuid.UUID, *, wait: bool) -> bool:
        """True once this run holds the lock; False if another run holds it (and not ``wait``,
        or it was not released within ``lock_wait_seconds``)."""
        if connection_id in self._held:
            return True
        db = self._lock_connection()
        deadline = time.monotonic() + self.lock_wait_seconds
        while not connections.try_sync_lock(db, connection_id):
            if not wait or time.monotonic() >= deadline:
                return False
            time.sleep(0.5)
        self._held.add(connection_id)
        return True

    def release_sync_lock(self, connection_id: uuid.UUID) -> None:
        if connection_id in self._held and self._lock_db is not None:
            connections.release_sync_lock(self._lock_db, connection_id)
        self._held.discard(connection_id)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._lock_db is not None:
            try:
                for connection_id in list(self._held):
                    self.release_sync_lock(connection_id)
            finally:
                self._lock_db.close()
                self._lock_db = None
                self._held.clear()

    def _lock_connection(self) -> SAConnection:
        if self._lock_db is None:
            self._lock_db = get_engine().connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._lock_db
