package localstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/app/localstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// captionFixture is a validated dataset of three photos.
func captionFixture(t *testing.T) (*localstore.Store, string, []localstore.Item) {
	t.Helper()
	ctx := context.Background()
	s, err := localstore.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ds, err := s.DraftDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type repItem struct {
		File   string `json:"file"`
		SHA256 string `json:"sha256"`
	}
	var rep struct {
		OK          bool      `json:"ok"`
		DatasetHash string    `json:"dataset_hash"`
		Items       []repItem `json:"items"`
	}
	rep.OK = true
	var hashed []studio.HashItem
	for i, name := range []string{"a.jpg", "b.jpg", "c.jpg"} {
		sha := strings.Repeat(string(rune('a'+i)), 64)
		if _, err := s.AddItem(ctx, ds, localstore.Item{ID: localstore.NewID(), Name: name, OriginalPath: "/o/" + name, LocalPath: "/l/" + name, SHA256: sha, Size: 1}); err != nil {
			t.Fatal(err)
		}
		rep.Items = append(rep.Items, repItem{File: name, SHA256: sha})
		hashed = append(hashed, studio.HashItem{SHA256: sha})
	}
	rep.DatasetHash = studio.DatasetHash(hashed)
	raw, _ := json.Marshal(rep)
	if err := s.SaveReport(ctx, ds, raw, rep.DatasetHash, true, nil); err != nil {
		t.Fatal(err)
	}
	items, err := s.Items(ctx, ds)
	if err != nil || len(items) != 3 {
		t.Fatalf("items: %v, %v", items, err)
	}
	return s, ds, items
}

// wantHash is the hash of the fixture with captions by name.
func wantHash(items []localstore.Item, captions map[string]string) string {
	var hashed []studio.HashItem
	for _, it := range items {
		hashed = append(hashed, studio.HashItem{SHA256: it.SHA256, Caption: captions[it.Name]})
	}
	return studio.DatasetHash(hashed)
}

func TestSetCaptionKeepsTheDatasetValidatedAndRehashes(t *testing.T) {
	ctx := context.Background()
	s, ds, items := captionFixture(t)
	plain := wantHash(items, nil)
	if h, _ := s.DatasetHash(ctx, ds); h != plain {
		t.Fatalf("fixture hash %s, want %s", h, plain)
	}
	for _, it := range items {
		if it.Caption != "" || it.CaptionSource != studio.CaptionTemplate || !it.CaptionSent {
			t.Errorf("a new photo %s: caption %q, source %s, sent %v; want the template, sent", it.Name, it.Caption, it.CaptionSource, it.CaptionSent)
		}
	}
	const beach = "a photo of {trigger} person laughing at the beach"
	steps := []struct {
		name     string
		item     int
		caption  string
		source   string
		captions map[string]string // all of them after the step
	}{
		{"a caption of its own", 0, beach, studio.CaptionUser, map[string]string{"a.jpg": beach}},
		{"another photo", 2, "{trigger} smiling", studio.CaptionUser, map[string]string{"a.jpg": beach, "c.jpg": "{trigger} smiling"}},
		{"back to the template", 0, "", studio.CaptionTemplate, map[string]string{"c.jpg": "{trigger} smiling"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			it, err := s.SetCaption(ctx, ds, items[st.item].ID, st.caption, false)
			if err != nil {
				t.Fatal(err)
			}
			if it.Caption != st.caption || it.CaptionSource != st.source || it.CaptionSent {
				t.Errorf("returned %+v, want caption %q from %s, unsent", it, st.caption, st.source)
			}
			rep, status, err := s.Report(ctx, ds)
			if err != nil || status != studio.DatasetValidated || rep == nil {
				t.Fatalf("after a caption: status %s, report %d bytes, %v; want still validated with its report", status, len(rep), err)
			}
			want := wantHash(items, st.captions)
			var r struct {
				DatasetHash string `json:"dataset_hash"`
			}
			json.Unmarshal(rep, &r)
			h, _ := s.DatasetHash(ctx, ds)
			if h != want || r.DatasetHash != want {
				t.Errorf("hash %s, report's %s; want %s", h, r.DatasetHash, want)
			}
			got, _ := s.Captions(ctx, ds)
			if len(got) != len(st.captions) {
				t.Errorf("captions %v, want %v", got, st.captions)
			}
		})
	}
	if h, _ := s.DatasetHash(ctx, ds); h == plain {
		t.Error("a caption left the hash of the photos alone")
	}
	if _, err := s.SetCaption(ctx, ds, "nope", "{trigger}", false); studio.ErrorCode(err) != studio.ENotFound {
		t.Errorf("unknown photo: %v, want not_found", err)
	}
}

func TestServerCaptionsAndReview(t *testing.T) {
	ctx := context.Background()
	s, ds, items := captionFixture(t)
	a, b, c := items[0], items[1], items[2]
	// b was edited here and the server does not have the edit yet.
	if _, err := s.SetCaption(ctx, ds, b.ID, "{trigger} in my own words", false); err != nil {
		t.Fatal(err)
	}
	n, err := s.ApplyServerCaptions(ctx, ds, []localstore.ServerCaption{
		{ItemID: a.ID, Caption: "a photo of {trigger} person, wearing a hat", Source: studio.CaptionAuto},
		{ItemID: b.ID, Caption: "a photo of {trigger} person, outdoors", Source: studio.CaptionAuto},
		{ItemID: c.ID, Caption: "", Source: studio.CaptionTemplate}, // as it is
	})
	if err != nil || n != 1 {
		t.Fatalf("applied %d, %v; want 1 (b's unsent edit kept, c unchanged)", n, err)
	}
	got := byName(t, s, ds)
	tests := []struct {
		name, caption, source string
		sent                  bool
	}{
		{"a.jpg", "a photo of {trigger} person, wearing a hat", studio.CaptionAuto, true},
		{"b.jpg", "{trigger} in my own words", studio.CaptionUser, false},
		{"c.jpg", "", studio.CaptionTemplate, true},
	}
	for _, tt := range tests {
		if it := got[tt.name]; it.Caption != tt.caption || it.CaptionSource != tt.source || it.CaptionSent != tt.sent {
			t.Errorf("after the run, %s: %q from %s sent %v; want %q from %s sent %v", tt.name, it.Caption, it.CaptionSource, it.CaptionSent, tt.caption, tt.source, tt.sent)
		}
	}
	if h, _ := s.DatasetHash(ctx, ds); h != wantHash(items, map[string]string{"a.jpg": got["a.jpg"].Caption, "b.jpg": got["b.jpg"].Caption}) {
		t.Error("the server's captions did not rehash the dataset")
	}

	// "Use these captions": a's suggestion becomes the user's, to send.
	if n, err := s.AcceptAutoCaptions(ctx, ds); err != nil || n != 1 {
		t.Fatalf("accepted %d, %v; want 1", n, err)
	}
	got = byName(t, s, ds)
	if it := got["a.jpg"]; it.CaptionSource != studio.CaptionUser || it.CaptionSent {
		t.Errorf("accepted suggestion: %+v, want the user's, unsent", it)
	}
	// Sent as they were; b is edited again meanwhile and stays unsent.
	sent := []localstore.Item{got["a.jpg"], got["b.jpg"]}
	if _, err := s.SetCaption(ctx, ds, b.ID, "{trigger} edited again", false); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkCaptionsSent(ctx, ds, sent); err != nil {
		t.Fatal(err)
	}
	got = byName(t, s, ds)
	if !got["a.jpg"].CaptionSent || got["b.jpg"].CaptionSent {
		t.Errorf("after sending: a sent %v, b sent %v; want a sent, b's newer edit not", got["a.jpg"].CaptionSent, got["b.jpg"].CaptionSent)
	}
	if err := s.MarkAllCaptionsSent(ctx, ds); err != nil || !byName(t, s, ds)["b.jpg"].CaptionSent {
		t.Errorf("mark all sent: %v", err)
	}
}

func TestCaptionRun(t *testing.T) {
	ctx := context.Background()
	s, ds, _ := captionFixture(t)
	if r, err := s.CaptionRun(ctx, ds); r != nil || err != nil {
		t.Fatalf("a dataset never captioned: %+v, %v", r, err)
	}
	done := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for _, want := range []*wire.CaptionRun{
		{Status: studio.CaptionRunRunning, RequestedAt: done.Add(-time.Minute)},
		{Status: studio.CaptionRunDone, Captioned: 3, RequestedAt: done.Add(-time.Minute), FinishedAt: &done},
		nil,
	} {
		if err := s.SetCaptionRun(ctx, ds, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.CaptionRun(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
			t.Errorf("run %s, want %s", gb, mustJSON(want))
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func byName(t *testing.T, s *localstore.Store, ds string) map[string]localstore.Item {
	t.Helper()
	items, err := s.Items(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]localstore.Item{}
	for _, it := range items {
		out[it.Name] = it
	}
	return out
}
