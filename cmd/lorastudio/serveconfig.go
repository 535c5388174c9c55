package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/backend/api"
	"github.com/promptforge/lorastudio/backend/auth"
	"github.com/promptforge/lorastudio/backend/blob"
)

// backendConfig reads the backend's LORASTUDIO_* settings. Every value has
// a default that runs on one machine with only Postgres.
func backendConfig(c *cli, listenURL string) (api.Config, error) {
	var cfg api.Config
	public := strings.TrimRight(c.getenv("LORASTUDIO_PUBLIC_URL"), "/")
	if public == "" {
		public = listenURL
	}
	store, err := blob.FromEnv(context.Background(), c.getenv, public+"/blob")
	if err != nil {
		return cfg, err
	}
	cfg.Blobs = store
	storage := c.getenv(blob.EnvStorage)
	if local, ok := store.(blob.Server); ok {
		cfg.BlobHandler = local.Handler()
		storage = "this server's local disk (" + public + ")"
	} else {
		storage += " bucket " + c.getenv(blob.EnvBucket)
	}
	cfg.Processors = []string{"storage: " + storage}

	if v := c.getenv("LORASTUDIO_UPLOAD_TTL"); v != "" {
		if cfg.UploadTTL, err = time.ParseDuration(v); err != nil || cfg.UploadTTL < time.Minute || cfg.UploadTTL > 7*24*time.Hour {
			return cfg, fmt.Errorf("LORASTUDIO_UPLOAD_TTL %q: want a duration between 1m and 168h", v)
		}
	}
	if v := c.getenv("LORASTUDIO_MULTIPART_FROM"); v != "" {
		if cfg.MultipartFrom, err = strconv.ParseInt(v, 10, 64); err != nil || cfg.MultipartFrom < 5<<20+1 {
			return cfg, fmt.Errorf("LORASTUDIO_MULTIPART_FROM %q: want a byte count above 5 MiB (the smallest part)", v)
		}
	}
	gpu := c.getenv("LORASTUDIO_GPU_PROVIDER")
	if gpu == "" {
		gpu = "self-hosted GPU worker"
	}
	cfg.Processors = append(cfg.Processors, "training: "+gpu)
	if v := c.getenv("LORASTUDIO_RETENTION_DAYS"); v != "" {
		if cfg.RetentionDays, err = strconv.Atoi(v); err != nil || cfg.RetentionDays < 1 || cfg.RetentionDays > 3650 {
			return cfg, fmt.Errorf("LORASTUDIO_RETENTION_DAYS %q: want 1 to 3650", v)
		}
	}
	if v := c.getenv("LORASTUDIO_HASH_MEMORY_MB"); v != "" {
		mb, err := strconv.Atoi(v)
		if err != nil || mb < 64 || mb > 1<<20 {
			return cfg, fmt.Errorf("LORASTUDIO_HASH_MEMORY_MB %q: want MiB of password hashing memory, at least 64 (one hash)", v)
		}
		cfg.Hasher = auth.NewHasher(auth.HasherConfig{MemoryBudget: int64(mb) << 20})
	}
	if u := c.getenv("REDIS_URL"); u != "" {
		if cfg.Limiter, err = api.NewRedisLimiter(u, api.DefaultLimits); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func limiterName(c *cli) string {
	if c.getenv("REDIS_URL") != "" {
		return "redis"
	}
	return "memory"
}
