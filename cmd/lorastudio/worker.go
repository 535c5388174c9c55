package main

import "context"

func runWorker(ctx context.Context, c *cli, args []string) int { return notYet(c, "worker") }
