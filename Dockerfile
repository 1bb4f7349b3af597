# One image for every Python process of the stack: API, worker, beat, Flower, Dagster, emulator.
FROM python:3.11-slim AS python

ENV PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .

ENV DAGSTER_HOME=/opt/dagster/home
RUN mkdir -p $DAGSTER_HOME && cp deploy/dagster/dagster.yaml $DAGSTER_HOME/dagster.yaml

EXPOSE 8000
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
