package api

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

// routeMux is the server's ServeMux, remembering every pattern registered
// on it (huma's operations and the plain handlers alike), so a test can
// hold /openapi.json against what the server really answers.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// apiDescription is the document's introduction: auth, the error body
// and every error code with the status it answers.
func apiDescription() string {
	var b strings.Builder
	b.WriteString("JSON in and out. Routes under /api/lora/ except the webhook need `Authorization: Bearer <token>` " +
		"(from /api/auth/register or /api/auth/login). Every error is `{\"error\":{\"code\",\"message\"}}`; " +
		"the codes are stable:\n\n| code | status |\n| --- | --- |\n")
	for _, c := range studio.Codes() {
		fmt.Fprintf(&b, "| `%s` | %d |\n", c, statusOf[c])
	}
	return b.String()
}

// schemaName names a type's schema in the document: huma's name, with the
// worker protocol's types prefixed (its Checkpoint is not the API's).
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if strings.HasSuffix(t.PkgPath(), "/internal/worker") {
		return "Worker" + name
	}
	return name
}

// schema returns a reference to t's schema in the document's components.
func (s *Server) schema(t reflect.Type, name string) *huma.Schema {
	return s.api.OpenAPI().Components.Schemas.Schema(t, true, name)
}

func (s *Server) errorResponses(statuses ...int) map[string]*huma.Response {
	out := map[string]*huma.Response{}
	for _, st := range statuses {
		out[fmt.Sprint(st)] = &huma.Response{
			Description: http.StatusText(st),
			Content:     map[string]*huma.MediaType{"application/json": {Schema: s.schema(reflect.TypeFor[wire.ErrorBody](), "ErrorBody")}},
		}
	}
	return out
}

// documentPlainRoutes adds the routes served by plain handlers rather than
// huma operations to the OpenAPI document, so it lists every route: the
// webhook (its raw body is verified before it is parsed), the health
// check, the metrics, and the local store's signed URLs when it is on.
func (s *Server) documentPlainRoutes() {
	oapi := s.api.OpenAPI()
	str := &huma.Schema{Type: huma.TypeString}

	wh := &huma.Operation{
		OperationID: "webhook", Method: http.MethodPost, Path: wire.PathWebhook, Tags: []string{"training"},
		Summary: "Report a training job's progress and result (from the GPU worker or a hosted trainer)",
		Description: "Signed the Standard Webhooks way (https://www.standardwebhooks.com): `webhook-signature` holds one or more " +
			"space-separated `v1,<base64 HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{raw body}\">`, under a secret of " +
			"LORASTUDIO_WEBHOOK_SECRETS (or the worker's). The timestamp must lie within " + fmt.Sprint(stdwebhook.Tolerance.Minutes()) +
			" minutes of the server's clock in either direction. No bearer token. A webhook id already processed is acknowledged " +
			"(200) without effect, and a job's state never moves backwards (a late `running` after `succeeded` is ignored). " +
			"The body is our worker's event below, at most 1 MiB; with `?provider=replicate` it is instead Replicate's " +
			"training object (https://replicate.com/docs/reference/http#trainings.get), at most 16 MiB. A 5xx means " +
			"the webhook was not applied: send it again, with the same id.",
		Parameters: []*huma.Param{
			{Name: strings.ToLower(stdwebhook.HeaderID), In: "header", Required: true, Schema: str, Description: "unique per event; retries of one event keep it"},
			{Name: strings.ToLower(stdwebhook.HeaderTimestamp), In: "header", Required: true, Schema: &huma.Schema{Type: huma.TypeString, Pattern: "^[0-9]+$"}, Description: "seconds since the Unix epoch, when it was sent"},
			{Name: strings.ToLower(stdwebhook.HeaderSignature), In: "header", Required: true, Schema: str, Description: "`v1,<base64 signature>`, several separated by spaces during a secret rotation"},
			{Name: "provider", In: "query", Schema: &huma.Schema{Type: huma.TypeString, Enum: []any{"replicate"}}, Description: "`replicate` for Replicate's webhooks"},
		},
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"application/json": {Schema: s.schema(reflect.TypeFor[wire.WebhookEvent](), "WebhookEvent")},
		}},
		Responses: s.errorResponses(http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestTimeout,
			http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable),
	}
	wh.Responses["200"] = &huma.Response{Description: "applied, or acknowledged without effect (duplicate, late, for an erased job)",
		Content: map[string]*huma.MediaType{"application/json": {Schema: s.schema(reflect.TypeFor[wire.WebhookResult](), "WebhookResult")}}}
	oapi.AddOperation(wh)

	health := s.schema(reflect.TypeFor[wire.Health](), "Health")
	oapi.AddOperation(&huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"operations"},
		Summary: "Health: 200 when the database answers, 503 when it does not (the body says which)",
		Responses: map[string]*huma.Response{
			"200": {Description: "healthy", Content: map[string]*huma.MediaType{"application/json": {Schema: health}}},
			"503": {Description: "the database cannot be reached", Content: map[string]*huma.MediaType{"application/json": {Schema: health}}},
		},
	})
	oapi.AddOperation(&huma.Operation{
		OperationID: "metrics", Method: http.MethodGet, Path: "/metrics", Tags: []string{"operations"},
		Summary: "Prometheus metrics: requests by route and status, latency, Go runtime",
		Responses: map[string]*huma.Response{
			"200": {Description: "the Prometheus text exposition format", Content: map[string]*huma.MediaType{"text/plain": {Schema: str}}},
		},
	})
	if s.cfg.BlobHandler != nil {
		key := []*huma.Param{{Name: "key", In: "path", Required: true, Schema: str, Description: "the object's key, as the presigned URL names it"}}
		desc := "The local signed store's presigned URLs (development, or a server without S3): the URL's query carries its " +
			"expiry and signature; a refusal is `{\"error\":{\"code\",\"message\"}}`. Use the URLs exactly as the API gave them."
		blobErr := s.errorResponses(http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound)
		oapi.AddOperation(&huma.Operation{OperationID: "blob-put", Method: http.MethodPut, Path: "/blob/{key}", Tags: []string{"storage"},
			Summary: "Upload a photo, or one part of a multipart upload, to a presigned URL", Description: desc, Parameters: key,
			Responses: merge(blobErr, map[string]*huma.Response{"200": {Description: "stored; the ETag header names a part"}})})
		oapi.AddOperation(&huma.Operation{OperationID: "blob-get", Method: http.MethodGet, Path: "/blob/{key}", Tags: []string{"storage"},
			Summary: "Download an object (Range requests resume) from a presigned URL", Description: desc, Parameters: key,
			Responses: merge(blobErr, map[string]*huma.Response{"200": {Description: "the object"}, "206": {Description: "the range asked"}})})
		oapi.AddOperation(&huma.Operation{OperationID: "blob-head", Method: http.MethodHead, Path: "/blob/{key}", Tags: []string{"storage"},
			Summary: "An object's size and type, from a presigned URL", Description: desc, Parameters: key,
			Responses: merge(blobErr, map[string]*huma.Response{"200": {Description: "the object's headers"}})})
	}
}

func merge(a, b map[string]*huma.Response) map[string]*huma.Response {
	out := make(map[string]*huma.Response, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Routes lists the method and path of every route the server answers,
// as registered on its mux ("" method for one that answers any method),
// without the OpenAPI document's own routes.
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, p := range s.mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "", p
		}
		if strings.HasPrefix(path, "/openapi") {
			continue // the document itself
		}
		out = append(out, [2]string{method, path})
	}
	return out
}
