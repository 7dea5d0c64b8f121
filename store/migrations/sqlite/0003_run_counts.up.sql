-- Runs counted by experiment and storage state, kept by triggers: a list
-- of runs filtered on nothing else gets its total_size from here instead
-- of counting the rows (list.go).
CREATE TABLE run_counts (
    experiment_id TEXT    NOT NULL,
    storage_state TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (experiment_id, storage_state)
);
INSERT INTO run_counts (experiment_id, storage_state, n)
    SELECT experiment_id, storage_state, COUNT(*) FROM runs GROUP BY experiment_id, storage_state;

CREATE TRIGGER run_counts_insert AFTER INSERT ON runs BEGIN
    INSERT INTO run_counts (experiment_id, storage_state, n) VALUES (NEW.experiment_id, NEW.storage_state, 1)
        ON CONFLICT (experiment_id, storage_state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER run_counts_delete AFTER DELETE ON runs BEGIN
    UPDATE run_counts SET n = n - 1
        WHERE experiment_id = OLD.experiment_id AND storage_state = OLD.storage_state;
END;

CREATE TRIGGER run_counts_update AFTER UPDATE OF experiment_id, storage_state ON runs
    WHEN OLD.experiment_id <> NEW.experiment_id OR OLD.storage_state <> NEW.storage_state
BEGIN
    UPDATE run_counts SET n = n - 1
        WHERE experiment_id = OLD.experiment_id AND storage_state = OLD.storage_state;
    INSERT INTO run_counts (experiment_id, storage_state, n) VALUES (NEW.experiment_id, NEW.storage_state, 1)
        ON CONFLICT (experiment_id, storage_state) DO UPDATE SET n = n + 1;
END;
