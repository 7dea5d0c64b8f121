-- Sluice schema, PostgreSQL. Times are TIMESTAMPTZ; JSON is JSON (kept
-- byte for byte) except tags, JSONB; text sorts bytewise (COLLATE "C") as
-- in SQLite. Keep in step with ../sqlite/0001_init.up.sql.

CREATE TABLE pipelines (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    display_name TEXT COLLATE "C" NOT NULL DEFAULT '',
    description  TEXT COLLATE "C" NOT NULL DEFAULT '',
    namespace    TEXT COLLATE "C" NOT NULL DEFAULT '',
    tags         JSONB,
    created_at   TIMESTAMPTZ      NOT NULL
);
CREATE UNIQUE INDEX pipelines_namespace_name ON pipelines (namespace, name);
CREATE INDEX pipelines_created_at ON pipelines (created_at, id);

CREATE TABLE pipeline_versions (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    pipeline_id     TEXT COLLATE "C" NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name            TEXT COLLATE "C" NOT NULL,
    display_name    TEXT COLLATE "C" NOT NULL DEFAULT '',
    description     TEXT COLLATE "C" NOT NULL DEFAULT '',
    code_source_url TEXT COLLATE "C" NOT NULL DEFAULT '',
    package_url     TEXT COLLATE "C" NOT NULL DEFAULT '',
    spec            JSON,
    tags            JSONB,
    created_at      TIMESTAMPTZ      NOT NULL
);
CREATE UNIQUE INDEX pipeline_versions_pipeline_name ON pipeline_versions (pipeline_id, name);
CREATE INDEX pipeline_versions_pipeline_created_at ON pipeline_versions (pipeline_id, created_at, id);

CREATE TABLE experiments (
    id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    display_name        TEXT COLLATE "C" NOT NULL,
    description         TEXT COLLATE "C" NOT NULL DEFAULT '',
    namespace           TEXT COLLATE "C" NOT NULL DEFAULT '',
    storage_state       TEXT COLLATE "C" NOT NULL DEFAULT 'AVAILABLE',
    created_at          TIMESTAMPTZ      NOT NULL,
    last_run_created_at TIMESTAMPTZ      NOT NULL
);
CREATE UNIQUE INDEX experiments_namespace_display_name ON experiments (namespace, display_name);
CREATE INDEX experiments_created_at ON experiments (created_at, id);

-- Runs reference experiments, pipelines and recurring runs by id without
-- foreign keys: the store enforces what it must (see experiment.go), and a
-- run keeps its own copy of the spec when its pipeline goes away.
CREATE TABLE runs (
    id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    experiment_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    display_name        TEXT COLLATE "C" NOT NULL DEFAULT '',
    description         TEXT COLLATE "C" NOT NULL DEFAULT '',
    storage_state       TEXT COLLATE "C" NOT NULL DEFAULT 'AVAILABLE',
    pipeline_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    pipeline_version_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    spec                JSON,
    params              JSON,
    pipeline_root       TEXT COLLATE "C" NOT NULL DEFAULT '',
    service_account     TEXT COLLATE "C" NOT NULL DEFAULT '',
    no_cache            BOOLEAN          NOT NULL DEFAULT FALSE,
    recurring_run_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    state               TEXT COLLATE "C" NOT NULL DEFAULT '',
    error               TEXT COLLATE "C" NOT NULL DEFAULT '',
    outputs             JSON,
    created_at          TIMESTAMPTZ      NOT NULL,
    scheduled_at        TIMESTAMPTZ      NOT NULL,
    finished_at         TIMESTAMPTZ      NOT NULL,
    state_history       JSON
);
CREATE INDEX runs_created_at ON runs (created_at, id);
CREATE INDEX runs_experiment_created_at ON runs (experiment_id, created_at, id);
CREATE INDEX runs_state_created_at ON runs (state, created_at, id);
CREATE INDEX runs_storage_state_created_at ON runs (storage_state, created_at, id);
CREATE INDEX runs_recurring_run_state ON runs (recurring_run_id, state);

-- Tasks list in creation order: by created, then by seq, the per-run
-- insertion number.
CREATE TABLE tasks (
    run_id    TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id        TEXT COLLATE "C" NOT NULL,
    seq       BIGINT           NOT NULL,
    parent_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    key       TEXT COLLATE "C" NOT NULL DEFAULT '',
    name      TEXT COLLATE "C" NOT NULL DEFAULT '',
    kind      TEXT COLLATE "C" NOT NULL DEFAULT '',
    state     TEXT COLLATE "C" NOT NULL DEFAULT '',
    cached    BOOLEAN          NOT NULL DEFAULT FALSE,
    attempts  BIGINT           NOT NULL DEFAULT 0,
    image     TEXT COLLATE "C" NOT NULL DEFAULT '',
    argv      JSON,
    exit_code INTEGER,
    error     TEXT COLLATE "C" NOT NULL DEFAULT '',
    inputs    JSON,
    outputs   JSON,
    log_uri   TEXT COLLATE "C" NOT NULL DEFAULT '',
    created   TIMESTAMPTZ      NOT NULL,
    started   TIMESTAMPTZ      NOT NULL,
    finished  TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX tasks_run_seq ON tasks (run_id, seq);

CREATE TABLE recurring_runs (
    id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    display_name        TEXT COLLATE "C" NOT NULL DEFAULT '',
    description         TEXT COLLATE "C" NOT NULL DEFAULT '',
    experiment_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
    pipeline_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    pipeline_version_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    spec                JSON,
    params              JSON,
    pipeline_root       TEXT COLLATE "C" NOT NULL DEFAULT '',
    service_account     TEXT COLLATE "C" NOT NULL DEFAULT '',
    max_concurrency     BIGINT           NOT NULL DEFAULT 0,
    cron                TEXT COLLATE "C" NOT NULL DEFAULT '',
    interval_second     BIGINT           NOT NULL DEFAULT 0,
    start_time          TIMESTAMPTZ      NOT NULL,
    end_time            TIMESTAMPTZ      NOT NULL,
    enabled             BOOLEAN          NOT NULL DEFAULT FALSE,
    no_catchup          BOOLEAN          NOT NULL DEFAULT FALSE,
    last_scheduled      TIMESTAMPTZ      NOT NULL,
    created_at          TIMESTAMPTZ      NOT NULL,
    updated_at          TIMESTAMPTZ      NOT NULL
);
CREATE INDEX recurring_runs_created_at ON recurring_runs (created_at, id);
CREATE INDEX recurring_runs_experiment ON recurring_runs (experiment_id);

CREATE TABLE cache_entries (
    key        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    outputs    BYTEA            NOT NULL,
    created_at TIMESTAMPTZ      NOT NULL
);
