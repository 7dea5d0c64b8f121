-- Sluice schema, SQLite. Times are Unix microseconds (UTC); JSON is TEXT;
-- booleans are 0/1. Keep in step with ../postgres/0001_init.up.sql.

CREATE TABLE pipelines (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    namespace    TEXT    NOT NULL DEFAULT '',
    tags         TEXT,
    created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX pipelines_namespace_name ON pipelines (namespace, name);
CREATE INDEX pipelines_created_at ON pipelines (created_at, id);

CREATE TABLE pipeline_versions (
    id              TEXT    NOT NULL PRIMARY KEY,
    pipeline_id     TEXT    NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    display_name    TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL DEFAULT '',
    code_source_url TEXT    NOT NULL DEFAULT '',
    package_url     TEXT    NOT NULL DEFAULT '',
    spec            TEXT,
    tags            TEXT,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX pipeline_versions_pipeline_name ON pipeline_versions (pipeline_id, name);
CREATE INDEX pipeline_versions_pipeline_created_at ON pipeline_versions (pipeline_id, created_at, id);

CREATE TABLE experiments (
    id                  TEXT    NOT NULL PRIMARY KEY,
    display_name        TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    namespace           TEXT    NOT NULL DEFAULT '',
    storage_state       TEXT    NOT NULL DEFAULT 'AVAILABLE',
    created_at          INTEGER NOT NULL,
    last_run_created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX experiments_namespace_display_name ON experiments (namespace, display_name);
CREATE INDEX experiments_created_at ON experiments (created_at, id);

-- Runs reference experiments, pipelines and recurring runs by id without
-- foreign keys: the store enforces what it must (see experiment.go), and a
-- run keeps its own copy of the spec when its pipeline goes away.
CREATE TABLE runs (
    id                  TEXT    NOT NULL PRIMARY KEY,
    experiment_id       TEXT    NOT NULL DEFAULT '',
    display_name        TEXT    NOT NULL DEFAULT '',
    description         TEXT    NOT NULL DEFAULT '',
    storage_state       TEXT    NOT NULL DEFAULT 'AVAILABLE',
    pipeline_id         TEXT    NOT NULL DEFAULT '',
    pipeline_version_id TEXT    NOT NULL DEFAULT '',
    spec                TEXT,
    params              TEXT,
    pipeline_root       TEXT    NOT NULL DEFAULT '',
    service_account     TEXT    NOT NULL DEFAULT '',
    no_cache            INTEGER NOT NULL DEFAULT 0,
    recurring_run_id    TEXT    NOT NULL DEFAULT '',
    state               TEXT    NOT NULL DEFAULT '',
    error               TEXT    NOT NULL DEFAULT '',
    outputs             TEXT,
    created_at          INTEGER NOT NULL,
    scheduled_at        INTEGER NOT NULL,
    finished_at         INTEGER NOT NULL,
    state_history       TEXT
);
CREATE INDEX runs_created_at ON runs (created_at, id);
CREATE INDEX runs_experiment_created_at ON runs (experiment_id, created_at, id);
CREATE INDEX runs_state_created_at ON runs (state, created_at, id);
CREATE INDEX runs_storage_state_created_at ON runs (storage_state, created_at, id);
CREATE INDEX runs_recurring_run_state ON runs (recurring_run_id, state);

-- Tasks list in creation order: by created, then by seq, the per-run
-- insertion number.
CREATE TABLE tasks (
    run_id    TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id        TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    parent_id TEXT    NOT NULL DEFAULT '',
    key       TEXT    NOT NULL DEFAULT '',
    name      TEXT    NOT NULL DEFAULT '',
    kind      TEXT    NOT NULL DEFAULT '',
    state     TEXT    NOT NULL DEFAULT '',
    cached    INTEGER NOT NULL DEFAULT 0,
    attempts  INTEGER NOT NULL DEFAULT 0,
    image     TEXT    NOT NULL DEFAULT '',
    argv      TEXT,
    exit_code INTEGER,
    error     TEXT    NOT NULL DEFAULT '',
    inputs    TEXT,
    outputs   TEXT,
    log_uri   TEXT    NOT NULL DEFAULT '',
    created   INTEGER NOT NULL,
    started   INTEGER NOT NULL,
    finished  INTEGER NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX tasks_run_seq ON tasks (run_id, seq);

CREATE TABLE recurring_runs (
    id                  TEXT    NOT NULL PRIMARY KEY,
    display_name        TEXT    NOT NULL DEFAULT '',
    description         TEXT    NOT NULL DEFAULT '',
    experiment_id       TEXT    NOT NULL DEFAULT '',
    pipeline_id         TEXT    NOT NULL DEFAULT '',
    pipeline_version_id TEXT    NOT NULL DEFAULT '',
    spec                TEXT,
    params              TEXT,
    pipeline_root       TEXT    NOT NULL DEFAULT '',
    service_account     TEXT    NOT NULL DEFAULT '',
    max_concurrency     INTEGER NOT NULL DEFAULT 0,
    cron                TEXT    NOT NULL DEFAULT '',
    interval_second     INTEGER NOT NULL DEFAULT 0,
    start_time          INTEGER NOT NULL,
    end_time            INTEGER NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 0,
    no_catchup          INTEGER NOT NULL DEFAULT 0,
    last_scheduled      INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX recurring_runs_created_at ON recurring_runs (created_at, id);
CREATE INDEX recurring_runs_experiment ON recurring_runs (experiment_id);

CREATE TABLE cache_entries (
    key        TEXT    NOT NULL PRIMARY KEY,
    outputs    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
