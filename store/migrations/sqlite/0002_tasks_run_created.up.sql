-- A run's tasks list by (created, seq, id): read them in that order from an
-- index instead of sorting them on every GET of the run.
CREATE INDEX tasks_run_created ON tasks (run_id, created, seq, id);
