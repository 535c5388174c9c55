package s3test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The Makefile builds the version the tests name; a bump must change both.
func TestMakefilePinsVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^MINIO_VERSION := (\S+)$`).FindSubmatch(b)
	if m == nil || string(m[1]) != Version {
		t.Fatalf("Makefile MINIO_VERSION: got %q, want %s", m, Version)
	}
}

func TestBinaryMissingSaysHowToBuildIt(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "minio"))
	_, err := Binary()
	if err == nil || !strings.Contains(err.Error(), "make minio") || !strings.Contains(err.Error(), Version) {
		t.Fatalf("got %v, want an error naming `make minio` and %s", err, Version)
	}
}

func TestStart(t *testing.T) {
	s := Start(t)
	bucket := s.NewBucket(t)
	ctx := context.Background()
	if _, err := s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || aws.ToInt64(out.ContentLength) != 1 {
		t.Fatalf("HeadObject: got %+v %v, want 1 byte", out, err)
	}
	// A second server is independent: other credentials, other buckets.
	other := Start(t)
	if other.Endpoint == s.Endpoint || other.SecretKey == s.SecretKey {
		t.Errorf("two servers share endpoint %s or credentials", s.Endpoint)
	}
	if _, err := other.Client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		t.Errorf("the second server has the first one's bucket %s", bucket)
	}
}
