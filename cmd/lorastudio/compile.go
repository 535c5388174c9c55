package main

import "context"

func runCompile(ctx context.Context, c *cli, args []string) int { return notYet(c, "compile") }
