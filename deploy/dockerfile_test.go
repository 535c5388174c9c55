package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its line continuations joined.
type instruction struct{ cmd, args string }

// stages splits a Dockerfile into its stages' instructions.
func stages(t *testing.T, path string) [][]instruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]instruction
	var cur string
	for line := range strings.SplitSeq(string(b), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cur += strings.TrimSpace(line)
		if strings.HasSuffix(cur, "\\") {
			cur = strings.TrimSuffix(cur, "\\") + " "
			continue
		}
		cmd, args, _ := strings.Cut(cur, " ")
		cur = ""
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			out = append(out, nil)
		}
		if len(out) == 0 {
			if in.cmd == "ARG" {
				continue // a global ARG before the first FROM
			}
			t.Fatalf("%s before the first FROM", in.cmd)
		}
		out[len(out)-1] = append(out[len(out)-1], in)
	}
	return out
}

func find(stage []instruction, cmd string) []string {
	var out []string
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

var goBuild = regexp.MustCompile(`CGO_ENABLED=0 go build .*-X main\.version=\$\{VERSION\}.* -o (\S+) (\./\S+)$`)

// The image is built in two stages; the last one runs the static CLI as
// a non-root user on the port serve's manifests use.
func TestDockerfile(t *testing.T) {
	st := stages(t, "Dockerfile")
	if len(st) < 2 {
		t.Fatalf("%d stages, want a build stage and a final one", len(st))
	}
	build, final := st[0], st[len(st)-1]
	if from := find(build, "FROM")[0]; !strings.HasPrefix(from, "golang:1.") || !strings.HasSuffix(from, " AS build") {
		t.Errorf("build stage FROM %q", from)
	}
	var bin, pkg string
	for _, run := range find(build, "RUN") {
		if m := goBuild.FindStringSubmatch(run); m != nil {
			bin, pkg = m[1], m[2]
		}
	}
	if pkg == "" {
		t.Fatal("no `CGO_ENABLED=0 go build -ldflags ... -X main.version=${VERSION} -o BIN ./PKG` in the build stage")
	}
	main, err := os.ReadFile(filepath.Join("..", pkg, "main.go"))
	if err != nil || !strings.Contains(string(main), "package main") || !strings.Contains(string(main), `"serve":`) {
		t.Errorf("%s is not the lorastudio CLI's package (%v)", pkg, err)
	}
	if v, err := os.ReadFile(filepath.Join("..", pkg, "serve.go")); err != nil || !strings.Contains(string(v), "var version = ") {
		t.Errorf("-X main.version: %s has no var version", pkg)
	}

	from := find(final, "FROM")[0]
	user := find(final, "USER")
	if len(user) == 0 {
		t.Fatal("final stage: no USER")
	}
	if u := strings.Split(user[len(user)-1], ":")[0]; u == "root" || u == "0" {
		t.Errorf("final stage runs as %s", u)
	}
	if !strings.Contains(from, "distroless") && from != "scratch" {
		t.Errorf("final stage FROM %q: want distroless or scratch", from)
	}
	if strings.HasSuffix(from, ":latest") || !strings.Contains(from, ":") {
		t.Errorf("final stage FROM %q: want a pinned tag", from)
	}
	copies := find(final, "COPY")
	if len(copies) != 1 || !strings.HasPrefix(copies[0], "--from=build "+bin+" ") {
		t.Fatalf("final stage COPY %q: want the binary %s from the build stage only", copies, bin)
	}
	dest := strings.Fields(copies[0])[2]
	if ep := find(final, "ENTRYPOINT"); len(ep) != 1 || ep[0] != `["`+dest+`"]` {
		t.Errorf("ENTRYPOINT %q, want [%q]", ep, dest)
	}
	if cmd := find(final, "CMD"); len(cmd) != 1 || !strings.Contains(cmd[0], `"serve", "--addr", "0.0.0.0:8080"`) {
		t.Errorf("CMD %q: want serve on 0.0.0.0:8080", cmd)
	}

	// EXPOSE matches the port serve's Deployment declares.
	d := load(t).Deployment("serve")
	if d == nil {
		t.Fatal("no serve Deployment")
	}
	want := d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort
	if ex := find(final, "EXPOSE"); len(ex) != 1 || ex[0] != strconv.Itoa(int(want)) {
		t.Errorf("EXPOSE %q, want %d", ex, want)
	}
}
