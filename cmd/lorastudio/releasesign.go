package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/promptforge/lorastudio/internal/update"
)

const releaseSignHelp = `
Signs a release manifest for the desktop app's update notice, or makes the
release key. The manifest is JSON:

  {"version": "0.5.0", "url": "https://…/download", "notes": "…", "published": "2026-12-01"}

The signed envelope, {"payload": base64, "signature": base64}, goes to
stdout: serve it at the release URL the app checks (LORASTUDIO_UPDATE_URL).

The private key is a file holding the base64 ed25519 seed, or the
LORASTUDIO_RELEASE_KEY variable holding the same. -keygen writes a new one
(mode 0600, never overwriting) and prints the public key to build into the app:

  -ldflags "-X github.com/promptforge/lorastudio/internal/update.PublicKey=PUBLIC"
`

func runReleaseSign(_ context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("release-sign", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	keyFile := fs.String("key", "", "file with the private key (default: $LORASTUDIO_RELEASE_KEY)")
	keygen := fs.String("keygen", "", "write a new private key to this file and print its public key")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio release-sign [-key FILE] MANIFEST.json\n       lorastudio release-sign -keygen FILE")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, releaseSignHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	if *keygen != "" {
		return releaseKeygen(c, *keygen)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(c.stderr, "lorastudio release-sign: name one manifest, MANIFEST.json")
		return exitUsage
	}
	seed := c.getenv("LORASTUDIO_RELEASE_KEY")
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			fmt.Fprintln(c.stderr, "lorastudio release-sign:", err)
			return exitFail
		}
		seed = string(b)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(seed))
	if err != nil || len(raw) != ed25519.SeedSize {
		fmt.Fprintln(c.stderr, "lorastudio release-sign: the private key is not a base64 ed25519 seed (give -key FILE or LORASTUDIO_RELEASE_KEY)")
		return exitUsage
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio release-sign:", err)
		return exitFail
	}
	var m update.Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields() // a misspelt field would be signed and then ignored
	if err := dec.Decode(&m); err != nil {
		fmt.Fprintln(c.stderr, "lorastudio release-sign: manifest:", err)
		return exitFail
	}
	env, err := update.Sign(m, ed25519.NewKeyFromSeed(raw))
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio release-sign:", err)
		return exitFail
	}
	fmt.Fprintf(c.stdout, "%s\n", env)
	return exitOK
}

func releaseKeygen(c *cli, path string) int {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio release-sign:", err)
		return exitFail
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintln(c.stderr, "lorastudio release-sign:", err)
		return exitFail
	}
	_, err = fmt.Fprintln(f, base64.StdEncoding.EncodeToString(priv.Seed()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		fmt.Fprintln(c.stderr, "lorastudio release-sign:", err)
		return exitFail
	}
	fmt.Fprintln(c.stdout, base64.StdEncoding.EncodeToString(pub))
	return exitOK
}
