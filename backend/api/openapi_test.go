package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
		RequestBody struct {
			Content map[string]struct {
				Schema struct {
					Ref string `json:"$ref"`
				} `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

func fetchOpenAPI(t *testing.T, srv *httptest.Server) openAPIDoc {
	t.Helper()
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /openapi.json: %d %s", resp.StatusCode, b)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestOpenAPIListsEveryRoute holds /openapi.json against the routes the
// server's mux really has (huma's and the plain handlers'), both ways: a
// route the document leaves out, or a documented one nobody serves, fails.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	blobs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	s := api.New(api.Config{BlobHandler: blobs})
	srv := httptest.NewServer(s)
	defer srv.Close()
	doc := fetchOpenAPI(t, srv)

	routes := s.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes registered: %v", len(routes), routes)
	}
	served := func(method, path string) bool {
		for _, r := range routes {
			if r[0] != "" && r[0] != method {
				continue
			}
			if r[1] == path || strings.HasSuffix(r[1], "/") && strings.HasPrefix(path, r[1]) {
				return true
			}
		}
		return false
	}
	for _, r := range routes {
		method, path := strings.ToLower(r[0]), r[1]
		var found bool
		for p, ops := range doc.Paths {
			if p != path && !(strings.HasSuffix(path, "/") && strings.HasPrefix(p, path)) {
				continue
			}
			if _, ok := ops[method]; ok || method == "" && len(ops) > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s is served but not in /openapi.json", r[0], path)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !served(strings.ToUpper(m), p) {
				t.Errorf("/openapi.json documents %s %s, which the server does not route", strings.ToUpper(m), p)
			}
		}
	}
	for _, want := range []string{"/api/lora/webhook", "/healthz", "/metrics", "/blob/{key}", "/api/lora/datasets/init"} {
		if _, ok := doc.Paths[want]; !ok {
			t.Errorf("/openapi.json has no %s", want)
		}
	}
}

// TestOpenAPIWebhook: a provider integrating with us finds the webhook's
// Standard Webhooks headers, its body and its answers in the document.
func TestOpenAPIWebhook(t *testing.T) {
	srv := httptest.NewServer(api.New(api.Config{}))
	defer srv.Close()
	doc := fetchOpenAPI(t, srv)
	op, ok := doc.Paths["/api/lora/webhook"]["post"]
	if !ok {
		t.Fatal("no POST /api/lora/webhook in /openapi.json")
	}
	var headers []string
	for _, p := range op.Parameters {
		if p.In == "header" && p.Required {
			headers = append(headers, p.Name)
		}
	}
	slices.Sort(headers)
	if want := []string{"webhook-id", "webhook-signature", "webhook-timestamp"}; !slices.Equal(headers, want) {
		t.Errorf("required headers: got %v, want %v", headers, want)
	}
	ref := op.RequestBody.Content["application/json"].Schema.Ref
	name := strings.TrimPrefix(ref, "#/components/schemas/")
	body, ok := doc.Components.Schemas[name]
	if !ok {
		t.Fatalf("webhook body schema %q not in the components", ref)
	}
	for _, f := range []string{"job_id", "dispatch_key", "status", "progress", "checksum", "error"} {
		if _, ok := body.Properties[f]; !ok {
			t.Errorf("webhook body schema has no %q", f)
		}
	}
	for _, st := range []string{"200", "400", "401", "503"} {
		if _, ok := op.Responses[st]; !ok {
			t.Errorf("webhook answers %s, undocumented", st)
		}
	}
}

// TestOpenAPIListsEveryCode: the document's description names every
// error code with its status.
func TestOpenAPIListsEveryCode(t *testing.T) {
	srv := httptest.NewServer(api.New(api.Config{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Info struct{ Description string } `json:"info"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range studio.Codes() {
		if !strings.Contains(doc.Info.Description, fmt.Sprintf("| `%s` | %d |", c, api.StatusOf[c])) {
			t.Errorf("the description does not list %s with status %d", c, api.StatusOf[c])
		}
	}
}

// TestWebhookOutcomesDocumented: the webhook result's documented outcomes
// (an enum tag, which cannot name constants) are pgstore's.
func TestWebhookOutcomesDocumented(t *testing.T) {
	f, _ := reflect.TypeFor[wire.WebhookResult]().FieldByName("Outcome")
	got := strings.Split(f.Tag.Get("enum"), ",")
	want := []string{pgstore.OutcomeApplied, pgstore.OutcomeIgnored, pgstore.OutcomeErased, pgstore.OutcomeUnknown, pgstore.OutcomeDuplicate}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("WebhookResult.Outcome enum %v, want pgstore's outcomes %v", got, want)
	}
}
