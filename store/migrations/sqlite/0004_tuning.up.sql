-- Hyperparameter tuning: experiments of trials (package tune), named apart
-- from KFP's experiments. A trial's run is an ordinary run, labelled with
-- its experiment and trial. Keep in step with ../postgres/0004_tuning.up.sql.

ALTER TABLE runs ADD COLUMN labels TEXT;

CREATE TABLE tuning_experiments (
    id                  TEXT    NOT NULL PRIMARY KEY,
    name                TEXT    NOT NULL,
    namespace           TEXT    NOT NULL DEFAULT '',
    spec                TEXT    NOT NULL,
    pipeline_spec       TEXT    NOT NULL,
    pipeline_id         TEXT    NOT NULL DEFAULT '',
    pipeline_version_id TEXT    NOT NULL DEFAULT '',
    pipeline_root       TEXT    NOT NULL DEFAULT '',
    no_cache            INTEGER NOT NULL DEFAULT 0,
    seed                INTEGER NOT NULL DEFAULT 0,
    condition           TEXT    NOT NULL DEFAULT '',
    status              TEXT,
    next_trial          INTEGER NOT NULL DEFAULT 0,
    exhausted           INTEGER NOT NULL DEFAULT 0,
    suggestion_error    TEXT    NOT NULL DEFAULT '',
    cancel_requested    INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    completed_at        INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX tuning_experiments_namespace_name ON tuning_experiments (namespace, name);
CREATE INDEX tuning_experiments_created_at ON tuning_experiments (created_at, id);
CREATE INDEX tuning_experiments_condition ON tuning_experiments (condition, created_at, id);

-- A trial is created (and its row committed) before its run is submitted;
-- its run id is derived from the experiment and the trial, so that a crash
-- between the two never makes a second run.
CREATE TABLE trials (
    experiment_id TEXT    NOT NULL REFERENCES tuning_experiments (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    state         TEXT    NOT NULL DEFAULT '',
    reason        TEXT    NOT NULL DEFAULT '',
    message       TEXT    NOT NULL DEFAULT '',
    assignments   TEXT,
    labels        TEXT,
    observation   TEXT,
    curve         TEXT,
    rule          TEXT,
    stop          TEXT    NOT NULL DEFAULT '',
    run_id        TEXT    NOT NULL DEFAULT '',
    tasks         TEXT,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    completed_at  INTEGER NOT NULL,
    PRIMARY KEY (experiment_id, name)
);
CREATE UNIQUE INDEX trials_experiment_seq ON trials (experiment_id, seq);
