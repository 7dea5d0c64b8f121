-- The end of a failed step's log, shown with its error (engine.LogTail).
ALTER TABLE tasks ADD COLUMN log_tail TEXT NOT NULL DEFAULT '';
