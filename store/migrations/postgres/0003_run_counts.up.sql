-- Runs counted by experiment and storage state, kept by triggers: a list
-- of runs filtered on nothing else gets its total_size from here instead
-- of counting the rows (list.go). Run state changes do not touch it.
CREATE TABLE run_counts (
    experiment_id TEXT COLLATE "C" NOT NULL,
    storage_state TEXT COLLATE "C" NOT NULL,
    n             BIGINT           NOT NULL,
    PRIMARY KEY (experiment_id, storage_state)
);
INSERT INTO run_counts (experiment_id, storage_state, n)
    SELECT experiment_id, storage_state, COUNT(*) FROM runs GROUP BY experiment_id, storage_state;

CREATE FUNCTION run_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO run_counts (experiment_id, storage_state, n) VALUES (NEW.experiment_id, NEW.storage_state, 1)
            ON CONFLICT (experiment_id, storage_state) DO UPDATE SET n = run_counts.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE run_counts SET n = n - 1
            WHERE experiment_id = OLD.experiment_id AND storage_state = OLD.storage_state;
    ELSE
        -- A move between two counts. Both rows exist first, then are locked
        -- in key order: two moves in opposite directions (archive and
        -- unarchive) cannot deadlock.
        INSERT INTO run_counts (experiment_id, storage_state, n) VALUES (NEW.experiment_id, NEW.storage_state, 0)
            ON CONFLICT (experiment_id, storage_state) DO NOTHING;
        PERFORM 1 FROM run_counts
            WHERE (experiment_id, storage_state) IN ((OLD.experiment_id, OLD.storage_state), (NEW.experiment_id, NEW.storage_state))
            ORDER BY experiment_id, storage_state FOR UPDATE;
        UPDATE run_counts SET n = n - 1
            WHERE experiment_id = OLD.experiment_id AND storage_state = OLD.storage_state;
        UPDATE run_counts SET n = n + 1
            WHERE experiment_id = NEW.experiment_id AND storage_state = NEW.storage_state;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER run_counts_insert_delete AFTER INSERT OR DELETE ON runs
    FOR EACH ROW EXECUTE FUNCTION run_counts_track();
CREATE TRIGGER run_counts_update AFTER UPDATE OF experiment_id, storage_state ON runs
    FOR EACH ROW WHEN (OLD.experiment_id <> NEW.experiment_id OR OLD.storage_state <> NEW.storage_state)
    EXECUTE FUNCTION run_counts_track();
