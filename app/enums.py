from enum import StrEnum


class JobType(StrEnum):
    SYNC = "sync"
    EXPORT = "export"


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED)


ACTIVE_JOB_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)


class EntityType(StrEnum):
    CONNECTION = "connection"
    ACCOUNT = "account"


class ConnectionStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    FAILED = "failed"


class TransactionStatus(StrEnum):
    BOOKED = "booked"
    PENDING = "pending"
