package main

import "context"

func runValidate(ctx context.Context, c *cli, args []string) int { return notYet(c, "validate") }
