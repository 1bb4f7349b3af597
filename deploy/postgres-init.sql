-- Dagster keeps its runs, events and schedules in a database of its own.
CREATE DATABASE bankjobs_dagster OWNER bankjobs;
