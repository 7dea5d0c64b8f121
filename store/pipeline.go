package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const pipelineCols = `id, name, display_name, description, namespace, tags, created_at`

const (
	insertPipeline = `INSERT INTO pipelines (` + pipelineCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	updatePipeline = `UPDATE pipelines SET name = ?, display_name = ?, description = ?, namespace = ?, tags = ? WHERE id = ?`
)

func scanPipeline(r rowScanner) (*Pipeline, error) {
	var p Pipeline
	err := r.Scan(&p.ID, &p.Name, &p.DisplayName, &p.Description, &p.Namespace,
		decodeCol[map[string]string]{&p.Tags}, timeCol{&p.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

var pipelineLister = &lister[*Pipeline]{
	kind:  "pipelines",
	table: "pipelines",
	cols:  pipelineCols,
	scan:  scanPipeline,
	id:    func(p *Pipeline) string { return p.ID },
	size: func(p *Pipeline) int {
		return textBytes(p.ID, p.Name, p.DisplayName, p.Description, p.Namespace) + mapBytes(p.Tags)
	},
	tags: "tags",
	fields: fieldsOf([]*field[*Pipeline]{
		strField("pipeline_id", "id", func(p *Pipeline) string { return p.ID }),
		strField("display_name", "display_name", func(p *Pipeline) string { return p.DisplayName }),
		strField("name", "name", func(p *Pipeline) string { return p.Name }),
		timeField("created_at", "created_at", func(p *Pipeline) time.Time { return p.CreatedAt }),
		strField("description", "description", func(p *Pipeline) string { return p.Description }),
		strField("namespace", "namespace", func(p *Pipeline) string { return p.Namespace }),
	}, map[string]string{"id": "pipeline_id"}),
}

func (s *sqlStore) CreatePipeline(ctx context.Context, p *Pipeline, v *PipelineVersion) error {
	if p.ID == "" {
		p.ID = newID()
	}
	p.CreatedAt = orNow(p.CreatedAt)
	if v != nil {
		v.PipelineID = p.ID
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		tags, err := s.d.marshalArg(p.Tags)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, insertPipeline, p.ID, p.Name, p.DisplayName, p.Description, p.Namespace,
			tags, s.d.timeArg(p.CreatedAt)); err != nil {
			return mapErr(err)
		}
		if v != nil {
			return s.insertPipelineVersion(ctx, tx, v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create pipeline %q: %w", p.Name, err)
	}
	return nil
}

func (s *sqlStore) GetPipeline(ctx context.Context, id string) (*Pipeline, error) {
	p, err := scanPipeline(s.queryRow(ctx, s.db, `SELECT `+pipelineCols+` FROM pipelines WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "get pipeline", id)
	}
	return p, nil
}

func (s *sqlStore) GetPipelineByName(ctx context.Context, namespace, name string) (*Pipeline, error) {
	p, err := scanPipeline(s.queryRow(ctx, s.db,
		`SELECT `+pipelineCols+` FROM pipelines WHERE namespace = ? AND name = ?`, namespace, name))
	if err != nil {
		return nil, notFound(err, "get pipeline by name", namespace+"/"+name)
	}
	return p, nil
}

func (s *sqlStore) ListPipelines(ctx context.Context, opts ListOptions) (*Page[*Pipeline], error) {
	return list(ctx, s, pipelineLister, opts, where{})
}

func (s *sqlStore) UpdatePipeline(ctx context.Context, p *Pipeline) error {
	tags, err := s.d.marshalArg(p.Tags)
	if err != nil {
		return fmt.Errorf("update pipeline %q: %w", p.ID, err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, updatePipeline, p.Name, p.DisplayName, p.Description, p.Namespace, tags, p.ID)
		if err != nil {
			return fmt.Errorf("update pipeline %q: %w", p.ID, mapErr(err))
		}
		return affectedOne(res, "update pipeline", p.ID)
	})
}

func (s *sqlStore) DeletePipeline(ctx context.Context, id string, cascade bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var versions int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM pipeline_versions WHERE pipeline_id = ?`, id).Scan(&versions); err != nil {
			return fmt.Errorf("delete pipeline %q: %w", id, err)
		}
		if versions > 0 && !cascade {
			return fmt.Errorf("delete pipeline %q: it has %d versions: %w", id, versions, ErrConflict)
		}
		// Versions go with it (ON DELETE CASCADE).
		res, err := s.exec(ctx, tx, `DELETE FROM pipelines WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete pipeline %q: %w", id, err)
		}
		return affectedOne(res, "delete pipeline", id)
	})
}

const pipelineVersionCols = `id, pipeline_id, name, display_name, description, code_source_url, package_url, spec, tags, created_at`

const (
	insertPipelineVersion = `INSERT INTO pipeline_versions (` + pipelineVersionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updatePipelineVersion = `UPDATE pipeline_versions SET name = ?, display_name = ?, description = ?,
		code_source_url = ?, package_url = ?, spec = ?, tags = ? WHERE id = ?`
)

func scanPipelineVersion(r rowScanner) (*PipelineVersion, error) {
	var v PipelineVersion
	err := r.Scan(&v.ID, &v.PipelineID, &v.Name, &v.DisplayName, &v.Description, &v.CodeSourceURL, &v.PackageURL,
		jsonCol{&v.Spec}, decodeCol[map[string]string]{&v.Tags}, timeCol{&v.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

var pipelineVersionLister = &lister[*PipelineVersion]{
	kind:  "pipeline versions",
	table: "pipeline_versions",
	cols:  pipelineVersionCols,
	scan:  scanPipelineVersion,
	id:    func(v *PipelineVersion) string { return v.ID },
	size: func(v *PipelineVersion) int {
		return len(v.Spec) + textBytes(v.ID, v.PipelineID, v.Name, v.DisplayName, v.Description,
			v.CodeSourceURL, v.PackageURL) + mapBytes(v.Tags)
	},
	fields: fieldsOf([]*field[*PipelineVersion]{
		strField("pipeline_version_id", "id", func(v *PipelineVersion) string { return v.ID }),
		strField("display_name", "display_name", func(v *PipelineVersion) string { return v.DisplayName }),
		timeField("created_at", "created_at", func(v *PipelineVersion) time.Time { return v.CreatedAt }),
		strField("description", "description", func(v *PipelineVersion) string { return v.Description }),
	}, map[string]string{"id": "pipeline_version_id", "name": "display_name"}),
}

// insertPipelineVersion inserts v, filling its ID and CreatedAt when unset.
func (s *sqlStore) insertPipelineVersion(ctx context.Context, tx *sql.Tx, v *PipelineVersion) error {
	if v.ID == "" {
		v.ID = newID()
	}
	v.CreatedAt = orNow(v.CreatedAt)
	if err := checkJSON(jsonField{"spec", v.Spec}); err != nil {
		return fmt.Errorf("version %q: %w", v.Name, err)
	}
	tags, err := s.d.marshalArg(v.Tags)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, insertPipelineVersion, v.ID, v.PipelineID, v.Name, v.DisplayName, v.Description,
		v.CodeSourceURL, v.PackageURL, s.d.jsonArg(v.Spec), tags, s.d.timeArg(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("version %q: %w", v.Name, mapErr(err))
	}
	return nil
}

func (s *sqlStore) CreatePipelineVersion(ctx context.Context, v *PipelineVersion) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.insertPipelineVersion(ctx, tx, v) })
	if err != nil {
		return fmt.Errorf("create pipeline version of %q: %w", v.PipelineID, err)
	}
	return nil
}

func (s *sqlStore) GetPipelineVersion(ctx context.Context, id string) (*PipelineVersion, error) {
	v, err := scanPipelineVersion(s.queryRow(ctx, s.db,
		`SELECT `+pipelineVersionCols+` FROM pipeline_versions WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "get pipeline version", id)
	}
	return v, nil
}

func (s *sqlStore) LatestPipelineVersion(ctx context.Context, pipelineID string) (*PipelineVersion, error) {
	v, err := scanPipelineVersion(s.queryRow(ctx, s.db, `SELECT `+pipelineVersionCols+` FROM pipeline_versions
		WHERE pipeline_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, pipelineID))
	if err != nil {
		return nil, notFound(err, "latest version of pipeline", pipelineID)
	}
	return v, nil
}

func (s *sqlStore) ListPipelineVersions(ctx context.Context, pipelineID string, opts ListOptions) (*Page[*PipelineVersion], error) {
	var base where
	base.add("pipeline_id = ?", pipelineID)
	return list(ctx, s, pipelineVersionLister, opts, base)
}

func (s *sqlStore) UpdatePipelineVersion(ctx context.Context, v *PipelineVersion) error {
	if err := checkJSON(jsonField{"spec", v.Spec}); err != nil {
		return fmt.Errorf("update pipeline version %q: %w", v.ID, err)
	}
	tags, err := s.d.marshalArg(v.Tags)
	if err != nil {
		return fmt.Errorf("update pipeline version %q: %w", v.ID, err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, updatePipelineVersion, v.Name, v.DisplayName, v.Description,
			v.CodeSourceURL, v.PackageURL, s.d.jsonArg(v.Spec), tags, v.ID)
		if err != nil {
			return fmt.Errorf("update pipeline version %q: %w", v.ID, mapErr(err))
		}
		return affectedOne(res, "update pipeline version", v.ID)
	})
}

func (s *sqlStore) DeletePipelineVersion(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM pipeline_versions WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete pipeline version %q: %w", id, err)
		}
		return affectedOne(res, "delete pipeline version", id)
	})
}
