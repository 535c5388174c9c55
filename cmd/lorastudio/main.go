// Command lorastudio is LoRA Studio's headless CLI: it validates datasets,
// compiles prompts, writes Character Packs, and runs the backend, the
// reference GPU worker and the database migrations.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// cli is what a subcommand sees of the process, so tests can run one
// in-process with their own streams and environment.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) int
}

// Exit codes shared by every subcommand.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and the answer is "no" (a dataset that fails)
	exitUsage = 2 // bad flags, or a subcommand not built yet
)

var commands = map[string]command{
	"validate": {"validate the photos in a folder", runValidate},
	"compile":  {"compile a prompt for a LoRA pipeline or a target platform", runCompile},
	"pack":     {"write a Character Pack zip", runPack},
	"verify":   {"check a Character Pack's files against its manifest", runVerify},
	"serve":    {"run the companion backend", runServe},
	"worker":   {"run the reference GPU worker", runWorker},
	"migrate":  {"apply the Postgres migrations", runMigrate},

	"release-sign": {"sign a release manifest for the desktop app's update notice", runReleaseSign},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, c *cli, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(c.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "lorastudio: unknown command %q\n\n", args[0])
		usage(c.stderr)
		return exitUsage
	}
	return cmd.run(ctx, c, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lorastudio <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'lorastudio <command> --help' for its flags and environment variables.")
}
