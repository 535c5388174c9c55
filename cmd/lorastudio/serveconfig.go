package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
		switch {
		case storage == "r2":
			storage = "Cloudflare, Inc. (R2 storage)"
		case c.getenv(blob.EnvEndpoint) == "":
			storage = "Amazon Web Services, Inc. (S3 storage)"
		default:
			storage = "S3-compatible storage at " + c.getenv(blob.EnvEndpoint)
		}
		storage += ", bucket " + c.getenv(blob.EnvBucket)
	}
	cfg.Processors = []string{"storage: " + storage}
	if gpu := gpuProcessor(c); gpu != "" {
		cfg.Processors = append(cfg.Processors, "training: "+gpu)
	}

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
	if v := c.getenv("LORASTUDIO_QUOTA_BYTES"); v != "" {
		if cfg.Quota.Bytes, err = strconv.ParseInt(v, 10, 64); err != nil || cfg.Quota.Bytes < 1<<20 {
			return cfg, fmt.Errorf("LORASTUDIO_QUOTA_BYTES %q: want a byte count of at least 1 MiB", v)
		}
	}
	if v := c.getenv("LORASTUDIO_QUOTA_FILES"); v != "" {
		if cfg.Quota.Files, err = strconv.Atoi(v); err != nil || cfg.Quota.Files < 1 {
			return cfg, fmt.Errorf("LORASTUDIO_QUOTA_FILES %q: want a positive count", v)
		}
	}
	if v := c.getenv("LORASTUDIO_DECODE_MEMORY"); v != "" {
		if cfg.DecodeMemory, err = strconv.ParseInt(v, 10, 64); err != nil || cfg.DecodeMemory < 64<<20 {
			return cfg, fmt.Errorf("LORASTUDIO_DECODE_MEMORY %q: want a byte count of at least 64 MiB", v)
		}
	}
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
	limits, err := rateLimits(c.getenv("LORASTUDIO_RATE_LIMITS"))
	if err != nil {
		return cfg, err
	}
	if u := c.getenv("REDIS_URL"); u != "" {
		prefix := c.getenv("LORASTUDIO_REDIS_PREFIX")
		if prefix == "" {
			prefix = api.DefaultRedisPrefix
		}
		if cfg.Limiter, err = api.NewRedisLimiterPrefix(u, prefix, limits); err != nil {
			return cfg, err
		}
	} else {
		cfg.Limiter = api.NewMemoryLimiter(limits)
	}
	return cfg, nil
}

// rateLimits returns api.DefaultLimits with the buckets LORASTUDIO_RATE_LIMITS
// names replaced: space-separated BUCKET=PER_MINUTE/BURST, e.g.
// "upload=600/100 jobs=60/20".
func rateLimits(v string) (map[string]api.Limit, error) {
	limits := maps.Clone(api.DefaultLimits)
	for f := range strings.FieldsSeq(v) {
		name, val, ok := strings.Cut(f, "=")
		perMin, burst, ok2 := strings.Cut(val, "/")
		l := api.Limit{}
		var err1, err2 error
		l.PerMinute, err1 = strconv.Atoi(perMin)
		l.Burst, err2 = strconv.Atoi(burst)
		if _, known := limits[name]; !ok || !ok2 || !known || err1 != nil || err2 != nil || l.PerMinute < 1 || l.Burst < 1 {
			return nil, fmt.Errorf("LORASTUDIO_RATE_LIMITS %q: want BUCKET=PER_MINUTE/BURST with positive numbers and a bucket among %s",
				f, strings.Join(slices.Sorted(maps.Keys(api.DefaultLimits)), ", "))
		}
		limits[name] = l
	}
	return limits, nil
}

// providerKind is the GPU provider LORASTUDIO_PROVIDER selects:
// "self-hosted" (the default when LORASTUDIO_WORKER_URL is set),
// "replicate", anything else as given (setupTraining refuses it), or ""
// when training is off. Training and the consent both read it here, so the
// consent names the provider that actually trains.
func providerKind(c *cli) string {
	kind := c.getenv("LORASTUDIO_PROVIDER")
	if kind == "" && c.getenv("LORASTUDIO_WORKER_URL") != "" {
		kind = "self-hosted"
	}
	if kind == "none" {
		kind = ""
	}
	return kind
}

// gpuProcessor is the GPU provider a consent names: the company behind the
// configured provider, or for the self-hosted worker the operator's
// LORASTUDIO_GPU_PROVIDER; "" when training is off (no one trains on the
// photos, and a consent given then is outdated once training is turned on).
func gpuProcessor(c *cli) string {
	switch providerKind(c) {
	case "replicate":
		return "Replicate, Inc. (GPU training)"
	case "self-hosted":
		if name := c.getenv("LORASTUDIO_GPU_PROVIDER"); name != "" {
			return name
		}
		return "self-hosted GPU worker"
	}
	return ""
}

func limiterName(c *cli) string {
	if c.getenv("REDIS_URL") != "" {
		return "redis"
	}
	return "memory"
}
