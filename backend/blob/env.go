package blob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Environment variables read by FromEnv.
const (
	EnvStorage    = "LORASTUDIO_STORAGE"       // local (default), s3 or r2
	EnvBlobDir    = "LORASTUDIO_BLOB_DIR"      // local: the directory
	EnvBlobSecret = "LORASTUDIO_BLOB_SECRET"   // local: the HMAC secret, >= 32 bytes
	EnvEndpoint   = "LORASTUDIO_S3_ENDPOINT"   // s3/r2
	EnvRegion     = "LORASTUDIO_S3_REGION"     // s3/r2
	EnvBucket     = "LORASTUDIO_S3_BUCKET"     // s3/r2, required
	EnvPathStyle  = "LORASTUDIO_S3_PATH_STYLE" // s3/r2: true for MinIO
)

// secretFile holds the generated secret of a local store, beside objects/.
const secretFile = "secret"

// FromEnv builds the Store that the environment describes (see the Env*
// constants; getenv is os.Getenv outside tests). The local store, the
// default, keeps its files in LORASTUDIO_BLOB_DIR (default
// $XDG_DATA_HOME/lorastudio/blob, else ~/.local/share/lorastudio/blob), signs
// with LORASTUDIO_BLOB_SECRET or, when it is unset, with a secret generated
// on first run and kept in the directory, and serves its URLs under baseURL
// (the backend's public URL plus the mount path, e.g.
// "http://127.0.0.1:8080/blob"); mount its Handler (see Server). S3 and R2
// take their credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
// or the SDK's default chain when those are unset. Returns EInvalid for a
// configuration that cannot work.
func FromEnv(ctx context.Context, getenv func(string) string, baseURL string) (Store, error) {
	switch kind := strings.ToLower(strings.TrimSpace(getenv(EnvStorage))); kind {
	case "", "local":
		dir := getenv(EnvBlobDir)
		if dir == "" {
			data := getenv("XDG_DATA_HOME")
			if data == "" {
				home := getenv("HOME")
				if home == "" {
					return nil, studio.Errorf(studio.EInvalid, "set %s: no HOME to put the local store in", EnvBlobDir)
				}
				data = filepath.Join(home, ".local", "share")
			}
			dir = filepath.Join(data, "lorastudio", "blob")
		}
		secret := []byte(getenv(EnvBlobSecret))
		if len(secret) == 0 {
			var err error
			if secret, err = loadOrCreateSecret(dir); err != nil {
				return nil, err
			}
		}
		return NewLocal(dir, baseURL, secret, time.Now)
	case FlavorS3, FlavorR2:
		pathStyle := false
		if v := getenv(EnvPathStyle); v != "" {
			var err error
			if pathStyle, err = strconv.ParseBool(v); err != nil {
				return nil, studio.Errorf(studio.EInvalid, "%s=%q is not a boolean", EnvPathStyle, v)
			}
		}
		return NewS3(ctx, S3Config{
			Endpoint:        getenv(EnvEndpoint),
			Region:          getenv(EnvRegion),
			Bucket:          getenv(EnvBucket),
			PathStyle:       pathStyle,
			Flavor:          kind,
			AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		})
	default:
		return nil, studio.Errorf(studio.EInvalid, "%s=%q: want local, s3 or r2", EnvStorage, kind)
	}
}

// loadOrCreateSecret reads dir/secret, creating it with 32 random bytes
// (mode 0600) on first run. Publishing it by hard link makes two replicas
// starting together agree on one complete secret.
func loadOrCreateSecret(dir string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create local store: %w", err)
	}
	path := filepath.Join(dir, secretFile)
	secret := make([]byte, minSecretLen)
	rand.Read(secret)
	tmp, err := writeTemp(dir, secret)
	if err != nil {
		return nil, fmt.Errorf("create local store secret: %w", err)
	}
	defer os.Remove(tmp)
	// A hard link publishes the complete file or fails if one exists: never
	// a half-written secret.
	if err := os.Link(tmp, path); err == nil {
		return secret, syncDir(dir)
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create local store secret: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read local store secret: %w", err)
	}
	if len(b) < minSecretLen {
		return nil, studio.Errorf(studio.EInvalid, "local store secret %s is shorter than %d bytes", path, minSecretLen)
	}
	return b, nil
}
