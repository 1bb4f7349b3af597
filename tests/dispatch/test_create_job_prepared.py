import uuid

from sqlalchemy.orm import Session

from app.enums import EntityType, JobStatus, JobType
from app.jobs import repository
from tests.conftest import make_user


def test_create_job_keeps_working_once_the_statement_is_prepared(db_session: Session) -> None:
    """psycopg prepares a statement server-side from its fifth run on a connection."""
    user = make_user(db_session)
    entity = uuid.uuid4()
    for _ in range(8):
        job, created = repository.create_job(
            db_session, user.id, JobType.SYNC, EntityType.CONNECTION, entity
        )
        assert created
        again, created_again = repository.create_job(
            db_session, user.id, JobType.SYNC, EntityType.CONNECTION, entity
        )
        assert (again.id, created_again) == (job.id, False)
        repository.update_job_status(db_session, job.id, JobStatus.FAILED, error_message="x")
