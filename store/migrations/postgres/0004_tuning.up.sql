-- Hyperparameter tuning: experiments of trials (package tune), named apart
-- from KFP's experiments. A trial's run is an ordinary run, labelled with
-- its experiment and trial. Keep in step with ../sqlite/0004_tuning.up.sql.

ALTER TABLE runs ADD COLUMN labels JSONB;

CREATE TABLE tuning_experiments (
    id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name                TEXT COLLATE "C" NOT NULL,
    namespace           TEXT COLLATE "C" NOT NULL DEFAULT '',
    spec                JSON             NOT NULL,
    pipeline_spec       JSON             NOT NULL,
    pipeline_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    pipeline_version_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    pipeline_root       TEXT COLLATE "C" NOT NULL DEFAULT '',
    no_cache            BOOLEAN          NOT NULL DEFAULT FALSE,
    seed                BIGINT           NOT NULL DEFAULT 0,
    condition           TEXT COLLATE "C" NOT NULL DEFAULT '',
    status              JSON,
    next_trial          BIGINT           NOT NULL DEFAULT 0,
    exhausted           BOOLEAN          NOT NULL DEFAULT FALSE,
    suggestion_error    TEXT COLLATE "C" NOT NULL DEFAULT '',
    cancel_requested    BOOLEAN          NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ      NOT NULL,
    completed_at        TIMESTAMPTZ      NOT NULL,
    updated_at          TIMESTAMPTZ      NOT NULL
);
CREATE UNIQUE INDEX tuning_experiments_namespace_name ON tuning_experiments (namespace, name);
CREATE INDEX tuning_experiments_created_at ON tuning_experiments (created_at, id);
CREATE INDEX tuning_experiments_condition ON tuning_experiments (condition, created_at, id);

-- A trial is created (and its row committed) before its run is submitted;
-- its run id is derived from the experiment and the trial, so that a crash
-- between the two never makes a second run.
CREATE TABLE trials (
    experiment_id TEXT COLLATE "C" NOT NULL REFERENCES tuning_experiments (id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    seq           BIGINT           NOT NULL,
    state         TEXT COLLATE "C" NOT NULL DEFAULT '',
    reason        TEXT COLLATE "C" NOT NULL DEFAULT '',
    message       TEXT COLLATE "C" NOT NULL DEFAULT '',
    assignments   JSON,
    labels        JSON,
    observation   JSON,
    curve         JSON,
    rule          JSON,
    stop          TEXT COLLATE "C" NOT NULL DEFAULT '',
    run_id        TEXT COLLATE "C" NOT NULL DEFAULT '',
    tasks         JSON,
    created_at    TIMESTAMPTZ      NOT NULL,
    started_at    TIMESTAMPTZ      NOT NULL,
    completed_at  TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (experiment_id, name)
);
CREATE UNIQUE INDEX trials_experiment_seq ON trials (experiment_id, seq);
