-- What each task's last attempt used (usage.Usage as JSON: cpuSeconds,
-- peakMemoryBytes, wallSeconds, ..., and its CPU/memory series); NULL
-- when it was not measured.
ALTER TABLE tasks ADD COLUMN resources JSON;
