package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/promptforge/lorastudio/deploy"
	"github.com/promptforge/lorastudio/internal/pgtest"
	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

// The Kubernetes manifests in deploy/k8s, run through the real commands:
// the migration Job's environment migrates a fresh database, serve's
// environment passes serve's own configuration checks and answers
// /healthz, and the worker's passes the worker's. A setting a new version
// of serve or the worker requires, and the manifests lack, fails here.
func TestDeployManifestsRun(t *testing.T) {
	m, err := deploy.Load("../../deploy/k8s")
	if err != nil {
		t.Fatal(err)
	}
	// The Secret is a template; put well-formed values in, and point the
	// managed services at this machine's (the bucket at a closed port:
	// nothing here may reach the internet).
	dispatch, webhook := stdwebhook.NewSecret(), stdwebhook.NewSecret()
	for k, v := range map[string]string{
		"DATABASE_URL":                     pgtest.NewDatabase(t),
		"REDIS_URL":                        "redis://127.0.0.1:6379/0",
		"AWS_ACCESS_KEY_ID":                "AKIDEPLOYTEST",
		"AWS_SECRET_ACCESS_KEY":            "deploy-test-secret",
		"LORASTUDIO_DISPATCH_SECRET":       dispatch,
		"LORASTUDIO_WEBHOOK_SECRETS":       webhook,
		"LORASTUDIO_WORKER_WEBHOOK_SECRET": webhook,
	} {
		if err := m.SetSecret("lorastudio", k, v); err != nil {
			t.Fatal(err)
		}
	}
	for i := range m.ConfigMaps {
		if _, ok := m.ConfigMaps[i].Data["LORASTUDIO_S3_ENDPOINT"]; ok {
			m.ConfigMaps[i].Data["LORASTUDIO_S3_ENDPOINT"] = "http://127.0.0.1:9"
		}
	}
	container := func(spec corev1.PodSpec) (corev1.Container, map[string]string) {
		t.Helper()
		c := spec.Containers[0]
		env, err := m.Env(c)
		if err != nil {
			t.Fatal(err)
		}
		return c, env
	}
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prevLimit) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if len(m.Jobs) != 1 {
		t.Fatalf("%d Jobs, want the migration", len(m.Jobs))
	}
	mc, menv := container(m.Jobs[0].Spec.Template.Spec)
	c, _, errb := testCLI(menv)
	if code := run(ctx, c, mc.Args); code != exitOK {
		t.Fatalf("%s: exit %d, stderr %s", mc.Args, code, errb)
	}

	d := m.Deployment("serve")
	if d == nil {
		t.Fatal("no serve Deployment")
	}
	sc, senv := container(d.Spec.Template.Spec)
	undocumented(t, "serve", senv, serveEnvHelp)
	args := slices.Clone(sc.Args)
	i := slices.Index(args, "--addr")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("serve args %q: no --addr", args)
	}
	args[i+1] = "127.0.0.1:0"
	c, _, errb = testCLI(senv)
	done := make(chan int, 1)
	go func() { done <- run(ctx, c, args) }()
	addr := waitForListen(t, errb, done)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var h struct{ Status, Database string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &h) != nil || h.Database != "ok" {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exit %d: %s", code, errb)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop")
	}
	// It ran as configured: S3 storage, Redis rate limits, training on.
	for _, want := range []string{`S3-compatible storage at http://127.0.0.1:9, bucket `, `"rate_limits":"redis"`} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("serve's log lacks %s:\n%s", want, errb)
		}
	}
	if gpuProcessor(&cli{getenv: func(k string) string { return senv[k] }}) == "" {
		t.Error("training is off in serve's environment")
	}

	w := m.Deployment("worker")
	if w == nil {
		t.Fatal("no worker Deployment")
	}
	_, wenv := container(w.Spec.Template.Spec)
	undocumented(t, "worker", wenv, workerEnvHelp)
	cfg, err := workerConfig(&cli{getenv: func(k string) string { return wenv[k] }})
	if err != nil {
		t.Fatalf("worker configuration: %v", err)
	}
	// The worker verifies what serve signs, and signs what serve verifies.
	want, _ := stdwebhook.ParseSecret(dispatch)
	if len(cfg.DispatchSecrets) != 1 || string(cfg.DispatchSecrets[0]) != string(want) {
		t.Error("the worker's LORASTUDIO_WORKER_SECRET is not serve's LORASTUDIO_DISPATCH_SECRET")
	}
	accepted, _ := stdwebhook.ParseSecrets(senv["LORASTUDIO_WEBHOOK_SECRETS"])
	if !slices.ContainsFunc(accepted, func(s []byte) bool { return string(s) == string(cfg.WebhookSecret) }) {
		t.Error("the worker's LORASTUDIO_WORKER_WEBHOOK_SECRET is not among serve's LORASTUDIO_WEBHOOK_SECRETS")
	}
}

// undocumented fails for a variable the manifests set that the command's
// --help does not list: a misspelt name would be ignored silently.
func undocumented(t *testing.T, cmd string, env map[string]string, help string) {
	t.Helper()
	for _, k := range deploy.Keys(env) {
		if k != "HOME" && !regexp.MustCompile(`\b`+regexp.QuoteMeta(k)+`\b`).MatchString(help) {
			t.Errorf("%s: %s is set in the manifests but %s --help does not know it", cmd, k, cmd)
		}
	}
}
