package main

import "context"

func runPack(ctx context.Context, c *cli, args []string) int { return notYet(c, "pack") }
