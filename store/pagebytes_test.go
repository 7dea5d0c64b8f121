package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// bigSpec is a JSON spec of about n bytes.
func bigSpec(n int) []byte {
	return []byte(`{"pad":"` + strings.Repeat("x", n) + `"}`)
}

// TestListPagesAreBoundedInBytes: a page of pipeline versions (whose
// rows carry their specs) ends before the row that would take it past
// MaxPageBytes, holds one row even when that row alone is larger, and
// its token leads to the rest, every row once and in order. Runs'
// parameters count the same way.
func TestListPagesAreBoundedInBytes(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		p := &Pipeline{Name: "big"}
		check(t, s.CreatePipeline(ctx, p, nil))
		sizes := []int{3 << 20, 3 << 20, 3 << 20, 3 << 20, 3 << 20, MaxPageBytes + 1<<20, 1 << 10, 3 << 20, 3 << 20, 3 << 20, 3 << 20, 3 << 20}
		var want []string
		for i, n := range sizes {
			v := &PipelineVersion{PipelineID: p.ID, Name: fmt.Sprint(i), Spec: bigSpec(n), CreatedAt: at(time.Duration(i) * time.Second)}
			check(t, s.CreatePipelineVersion(ctx, v))
			want = append(want, v.ID)
		}
		opts := ListOptions{PageSize: MaxPageSize}
		var got []string
		var pageLens []int
		for pages := 0; ; pages++ {
			page, err := s.ListPipelineVersions(ctx, p.ID, opts)
			check(t, err)
			if page.TotalSize != len(sizes) {
				t.Fatalf("TotalSize %d, want %d", page.TotalSize, len(sizes))
			}
			if len(page.Items) == 0 {
				t.Fatalf("page %d is empty", pages)
			}
			bytes := 0
			for _, v := range page.Items {
				bytes += len(v.Spec)
				got = append(got, v.ID)
			}
			if len(page.Items) > 1 && bytes > MaxPageBytes {
				t.Fatalf("page %d: %d rows of %d bytes in all, more than MaxPageBytes", pages, len(page.Items), bytes)
			}
			pageLens = append(pageLens, len(page.Items))
			if page.NextPageToken == "" {
				break
			}
			opts = ListOptions{PageToken: page.NextPageToken, PageSize: MaxPageSize}
			if pages > len(sizes) {
				t.Fatal("too many pages")
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows listed %v, want %v", got, want)
		}
		// 5×3 MiB fit; the 17 MiB row is a page of its own; then 1 KiB and
		// 5×3 MiB.
		if fmt.Sprint(pageLens) != "[5 1 6]" {
			t.Errorf("pages of %v rows, want [5 1 6]", pageLens)
		}

		// TokenAfter cuts a page short: the next page starts after the
		// row it names.
		page, err := s.ListPipelineVersions(ctx, p.ID, ListOptions{PageSize: MaxPageSize})
		check(t, err)
		next, err := s.ListPipelineVersions(ctx, p.ID, ListOptions{PageToken: page.TokenAfter(1), PageSize: 2})
		check(t, err)
		if len(next.Items) != 2 || next.Items[0].ID != want[2] || next.Items[1].ID != want[3] {
			t.Fatalf("after row 1: %d rows, want %s and %s", len(next.Items), want[2], want[3])
		}
		if page.TokenAfter(len(page.Items)-1) != page.NextPageToken {
			t.Error("TokenAfter the last row is not the next page token")
		}

		// Runs: their parameters and outputs weigh.
		for i := range 6 {
			params := []byte(`{"p":"` + strings.Repeat("y", 4<<20) + `"}`)
			check(t, s.CreateRun(ctx, &Run{DisplayName: fmt.Sprint(i), Params: params, CreatedAt: at(time.Duration(i) * time.Second)}))
		}
		runs, err := s.ListRuns(ctx, ListOptions{PageSize: MaxPageSize})
		check(t, err)
		if len(runs.Items) != 3 || runs.NextPageToken == "" {
			t.Fatalf("a page of runs of 4 MiB parameters holds %d, want 3 and a token", len(runs.Items))
		}
	})
}
