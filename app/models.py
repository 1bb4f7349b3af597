"""Every ORM model, imported in one place so mappers and Alembic see the whole schema."""

from app.accounts.models import Account, AccountQuota, Balance, Transaction
from app.connections.models import Connection
from app.db import Base
from app.jobs.models import Job
from app.users.models import User

__all__ = ["Account", "AccountQuota", "Balance", "Base", "Connection", "Job", "Transaction", "User"]
