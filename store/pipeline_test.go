package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestPipelines(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		p := &Pipeline{Name: "train", DisplayName: "Train", Description: "d", Tags: map[string]string{"team": "ml"}}
		v := &PipelineVersion{Name: "v1", DisplayName: "V1", Spec: []byte(`{"pipelineInfo": {"name": "train"}}`),
			PackageURL: "https://x/p.yaml", CodeSourceURL: "https://git/x", Tags: map[string]string{"a": "b"}}
		check(t, s.CreatePipeline(ctx, p, v))
		if p.ID == "" || v.ID == "" || v.PipelineID != p.ID || p.CreatedAt.IsZero() {
			t.Fatalf("ids and times not filled: %+v %+v", p, v)
		}

		got, err := s.GetPipeline(ctx, p.ID)
		check(t, err)
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("GetPipeline = %+v, want %+v", got, p)
		}
		got, err = s.GetPipelineByName(ctx, "", "train")
		check(t, err)
		if got.ID != p.ID {
			t.Fatalf("GetPipelineByName: %+v", got)
		}
		gv, err := s.GetPipelineVersion(ctx, v.ID)
		check(t, err)
		if !reflect.DeepEqual(gv, v) {
			t.Fatalf("GetPipelineVersion = %+v, want %+v", gv, v)
		}
		// The spec comes back byte for byte.
		if string(gv.Spec) != `{"pipelineInfo": {"name": "train"}}` {
			t.Fatalf("spec %s", gv.Spec)
		}

		// Names are unique per namespace.
		wantErr(t, s.CreatePipeline(ctx, &Pipeline{Name: "train"}, nil), ErrAlreadyExists)
		check(t, s.CreatePipeline(ctx, &Pipeline{Name: "train", Namespace: "team-b"}, nil))
		wantErr(t, s.CreatePipeline(ctx, &Pipeline{ID: p.ID, Name: "other"}, nil), ErrAlreadyExists)
		// A failed version rolls the pipeline back.
		wantErr(t, s.CreatePipeline(ctx, &Pipeline{Name: "half"}, &PipelineVersion{ID: v.ID, Name: "v"}), ErrAlreadyExists)
		_, err = s.GetPipelineByName(ctx, "", "half")
		wantErr(t, err, ErrNotFound)

		_, err = s.GetPipeline(ctx, "nope")
		wantErr(t, err, ErrNotFound, `"nope"`)
		_, err = s.GetPipelineByName(ctx, "", "nope")
		wantErr(t, err, ErrNotFound)

		// Update.
		p.DisplayName, p.Description, p.Tags = "Train 2", "d2", map[string]string{"team": "infra", "x": "y"}
		check(t, s.UpdatePipeline(ctx, p))
		got, _ = s.GetPipeline(ctx, p.ID)
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("after update %+v, want %+v", got, p)
		}
		p.Tags = nil
		check(t, s.UpdatePipeline(ctx, p))
		got, _ = s.GetPipeline(ctx, p.ID)
		if got.Tags != nil {
			t.Fatalf("tags not cleared: %v", got.Tags)
		}
		wantErr(t, s.UpdatePipeline(ctx, &Pipeline{ID: "nope", Name: "n"}), ErrNotFound)
		other := &Pipeline{Name: "other"}
		check(t, s.CreatePipeline(ctx, other, nil))
		other.Name = "train"
		wantErr(t, s.UpdatePipeline(ctx, other), ErrAlreadyExists)

		// Versions.
		v2 := &PipelineVersion{PipelineID: p.ID, Name: "v2", CreatedAt: v.CreatedAt.Add(time.Second)}
		check(t, s.CreatePipelineVersion(ctx, v2))
		wantErr(t, s.CreatePipelineVersion(ctx, &PipelineVersion{PipelineID: p.ID, Name: "v2"}), ErrAlreadyExists)
		check(t, s.CreatePipelineVersion(ctx, &PipelineVersion{PipelineID: other.ID, Name: "v2"}))
		wantErr(t, s.CreatePipelineVersion(ctx, &PipelineVersion{PipelineID: "nope", Name: "v"}), ErrNotFound)
		wantErr(t, s.CreatePipelineVersion(ctx, &PipelineVersion{PipelineID: p.ID, Name: "bad", Spec: []byte("a: b")}), ErrInvalid, "spec")
		latest, err := s.LatestPipelineVersion(ctx, p.ID)
		check(t, err)
		if latest.ID != v2.ID {
			t.Fatalf("latest %s, want %s", latest.Name, v2.Name)
		}
		_, err = s.LatestPipelineVersion(ctx, "nope")
		wantErr(t, err, ErrNotFound)
		vs, err := s.ListPipelineVersions(ctx, p.ID, ListOptions{})
		check(t, err)
		if vs.TotalSize != 2 || len(vs.Items) != 2 || vs.Items[0].ID != v.ID || vs.Items[1].ID != v2.ID {
			t.Fatalf("versions: %+v", vs)
		}
		if len(vs.Items[0].Spec) == 0 {
			t.Fatal("listed versions lack their spec")
		}

		v2.Description, v2.Spec, v2.Tags = "new", []byte(`{"a":1}`), map[string]string{"k": "v"}
		check(t, s.UpdatePipelineVersion(ctx, v2))
		gv, _ = s.GetPipelineVersion(ctx, v2.ID)
		if !reflect.DeepEqual(gv, v2) {
			t.Fatalf("updated version %+v, want %+v", gv, v2)
		}
		wantErr(t, s.UpdatePipelineVersion(ctx, &PipelineVersion{ID: "nope"}), ErrNotFound)
		v2.Name = "v1"
		wantErr(t, s.UpdatePipelineVersion(ctx, v2), ErrAlreadyExists)

		check(t, s.DeletePipelineVersion(ctx, v2.ID))
		wantErr(t, s.DeletePipelineVersion(ctx, v2.ID), ErrNotFound)
		_, err = s.GetPipelineVersion(ctx, v2.ID)
		wantErr(t, err, ErrNotFound)

		// Deleting a pipeline with versions needs cascade.
		wantErr(t, s.DeletePipeline(ctx, p.ID, false), ErrConflict)
		check(t, s.DeletePipeline(ctx, p.ID, true))
		_, err = s.GetPipeline(ctx, p.ID)
		wantErr(t, err, ErrNotFound)
		_, err = s.GetPipelineVersion(ctx, v.ID)
		wantErr(t, err, ErrNotFound)
		wantErr(t, s.DeletePipeline(ctx, p.ID, true), ErrNotFound)
		// Without versions, no cascade is needed.
		empty := &Pipeline{Name: "empty"}
		check(t, s.CreatePipeline(ctx, empty, nil))
		check(t, s.DeletePipeline(ctx, empty.ID, false))
	})
}

func TestPipelineTagFilter(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		for i, tags := range []map[string]string{
			{"team": "ml", "env": "prod"},
			{"team": "ml"},
			{"team": "infra", "env": "dev"},
			nil,
		} {
			check(t, s.CreatePipeline(ctx, &Pipeline{Name: string(rune('a' + i)), Tags: tags, CreatedAt: at(time.Duration(i) * time.Second)}, nil))
		}
		names := func(f ...Predicate) string {
			t.Helper()
			page, err := s.ListPipelines(ctx, ListOptions{Filter: f})
			check(t, err)
			out := ""
			for _, p := range page.Items {
				out += p.Name
			}
			return out
		}
		for _, tc := range []struct {
			f    []Predicate
			want string
		}{
			{[]Predicate{{Key: "tags.team", Op: OpEquals, Value: "ml"}}, "ab"},
			{[]Predicate{{Key: "tags.team", Op: OpEquals, Value: "ml"}, {Key: "tags.env", Op: OpEquals, Value: "prod"}}, "a"},
			{[]Predicate{{Key: "tags.team", Op: OpNotEquals, Value: "ml"}}, "cd"},
			{[]Predicate{{Key: "tags.env", Op: OpIn, Value: []string{"dev", "prod"}}}, "ac"},
			{[]Predicate{{Key: "tags.team", Op: OpSubstring, Value: "NF"}}, "c"},
			{[]Predicate{{Key: "tags.nope", Op: OpEquals, Value: "x"}}, ""},
			{[]Predicate{{Key: "tags.team", Op: OpGreater, Value: "j"}}, "ab"},
		} {
			if got := names(tc.f...); got != tc.want {
				t.Errorf("filter %+v: %q, want %q", tc.f, got, tc.want)
			}
		}
		_, err := s.ListPipelines(ctx, ListOptions{Filter: []Predicate{{Key: "tags.", Op: OpEquals, Value: "x"}}})
		wantErr(t, err, ErrInvalid, "tags.")
		_, err = s.ListPipelines(ctx, ListOptions{SortBy: "tags.team"})
		wantErr(t, err, ErrInvalid, "tags.team")
		// Versions have no tag filter.
		_, err = s.ListPipelineVersions(ctx, "x", ListOptions{Filter: []Predicate{{Key: "tags.team", Op: OpEquals, Value: "ml"}}})
		wantErr(t, err, ErrInvalid, "tags.team")
	})
}
