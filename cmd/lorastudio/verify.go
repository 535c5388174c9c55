package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/promptforge/lorastudio/internal/charpack"
)

const verifyHelp = `
Checks a Character Pack: every file's size and sha256 against manifest.json,
and that the zip holds exactly the files the manifest lists. Names the first
file that does not match, and how.

Exit status: 0 when every file matches, 1 otherwise, 2 on a usage error.
`

func runVerify(ctx context.Context, c *cli, args []string) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: lorastudio verify PACK.zip")
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, verifyHelp)
	}
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(c.stderr, "lorastudio verify: name one pack, PACK.zip")
		return exitUsage
	}
	name := fs.Arg(0)
	pack, err := charpack.ReadFile(name)
	if err != nil {
		return domainError(c, "verify", err)
	}
	fmt.Fprintf(c.stdout, "ok: %s: %s, %s match the manifest\n", name, pack.Manifest.PlatformName, plural(len(pack.Manifest.Files), "file"))
	return exitOK
}

// plural writes a count with its noun: "1 reference image", "3 files".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
