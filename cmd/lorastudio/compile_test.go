package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// runCLI runs one subcommand in-process and returns its exit code and streams.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &cli{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestCompileCommand(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  string // substring; "" checks nothing
		stderr  string
		without string // must not appear on stdout
	}{
		{"lora pipeline", []string{"compile", "--platform", "flux-dev", "--prompt", "portrait on a beach", "--identity", "alice:0.9", "--trigger", "ohwx"}, 0,
			"ohwx, portrait on a beach <lora:alice:0.90>\n", "", ""},
		{"default weight", []string{"compile", "--platform", "sdxl", "--prompt", "portrait", "--identity", "alice", "--trigger", "ohwx"}, 0,
			"<lora:alice:0.80>", "", ""},
		{"target platform", []string{"compile", "--platform", "grok-3", "--prompt", "walks on a beach, ohwx", "--identity", "alice:0.9", "--trigger", "ohwx", "--describe", "a woman with curly hair", "--references", "2"}, 0,
			"The person from <IMAGE_1> and <IMAGE_2>, a woman with curly hair.", "trigger word", "ohwx"},
		{"status shown", []string{"compile", "--platform", "sora-2", "--prompt", "a walk"}, 0, "@your_cameo", "shut down", "<lora"},
		{"weight out of range", []string{"compile", "--platform", "flux-dev", "--prompt", "x", "--identity", "alice:2"}, 1, "", "weight_out_of_range", ""},
		{"unknown platform", []string{"compile", "--platform", "midjourney", "--prompt", "x"}, 1, "", "unknown_platform", ""},
		{"too long", []string{"compile", "--platform", "flux-schnell", "--prompt", strings.Repeat("long ", 300)}, 1, "", "prompt_too_long", ""},
		{"missing prompt", []string{"compile", "--platform", "veo-3.1"}, 2, "", "required", ""},
		{"bad weight", []string{"compile", "--platform", "sdxl", "--prompt", "x", "--identity", "a:heavy"}, 2, "", "must be a number", ""},
		{"bad flag", []string{"compile", "--nope"}, 2, "", "not defined", ""},
		{"help", []string{"compile", "--help"}, 0, "", "usage: lorastudio compile", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("got exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) {
				t.Errorf("got stdout %q stderr %q, want %q and %q in them", out, errs, tt.stdout, tt.stderr)
			}
			if tt.without != "" && strings.Contains(strings.ToLower(out), tt.without) {
				t.Errorf("stdout %q carries %q", out, tt.without)
			}
			if tt.code != 0 && out != "" {
				t.Errorf("a failure printed %q on stdout", out)
			}
		})
	}
}

func TestCompileJSON(t *testing.T) {
	code, out, errs := runCLI(t, "compile", "--platform", "veo-3.1", "--prompt", "a walk by the sea", "--describe", "a man with a beard", "--json", "--negative", "blurry")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Platform string `json:"platform"`
		Status   string `json:"status"`
		Checked  string `json:"checked"`
		Prompt   string `json:"prompt"`
		Params   struct {
			DurationS      int    `json:"duration_s"`
			NegativePrompt string `json:"negative_prompt"`
		} `json:"params"`
		References struct {
			Count int `json:"count"`
		} `json:"references"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if res.Platform != "veo-3.1" || res.Checked == "" || res.References.Count != 3 || res.Params.DurationS != 8 || res.Params.NegativePrompt != "blurry" {
		t.Errorf("got %+v", res)
	}
}
