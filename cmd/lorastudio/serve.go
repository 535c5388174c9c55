package main

import "context"

func runServe(ctx context.Context, c *cli, args []string) int { return notYet(c, "serve") }

func runMigrate(ctx context.Context, c *cli, args []string) int { return notYet(c, "migrate") }
