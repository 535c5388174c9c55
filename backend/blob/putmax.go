package blob

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/promptforge/lorastudio/internal/studio"
)

// checkMax validates a PresignPutMax request.
func checkMax(key, contentType string, maxSize int64, ttl time.Duration) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if maxSize <= 0 || maxSize > MaxPutSize {
		return studio.Errorf(studio.EInvalid, "max size %d out of range [1, %d]", maxSize, MaxPutSize)
	}
	if !validContentType(contentType) {
		return studio.Errorf(studio.EInvalid, "invalid content type %q", contentType)
	}
	return checkTTL(ttl)
}

// PresignPutMax implements Store: the URL is signed over the key, the
// content type and the maximum length; the handler refuses a body without
// Content-Length or longer than the maximum before reading it, and records
// the sha256 of what it received.
func (l *Local) PresignPutMax(ctx context.Context, key, contentType string, maxSize int64, ttl time.Duration) (Request, error) {
	if err := checkMax(key, contentType, maxSize, ttl); err != nil {
		return Request{}, err
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return Request{}, err
	}
	q := url.Values{
		"max":     {strconv.FormatInt(maxSize, 10)},
		"expires": {strconv.FormatInt(exp.Unix(), 10)},
		"sig":     {l.sign(methodPutMax, key, maxSize, contentType, "", "", 0, exp.Unix())},
	}
	return Request{Method: "PUT", URL: l.url(key, q), Headers: map[string]string{HeaderContentType: contentType}, Expires: exp}, nil
}

// methodPutMax keeps a bounded-length signature from ever verifying as an
// exact-length one (or the reverse): it is a different method in the string.
const methodPutMax = "PUT-MAX"

// PresignPutMax implements Store. S3 cannot bound a presigned PUT's length
// (only POST policies can), so the URL signs the key and content type and
// the caller must Stat the object afterwards and refuse (and delete) one
// over maxSize; its checksum is checked by reading it back.
func (s *S3) PresignPutMax(ctx context.Context, key, contentType string, maxSize int64, ttl time.Duration) (Request, error) {
	if err := checkMax(key, contentType, maxSize, ttl); err != nil {
		return Request{}, err
	}
	p, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(key),
		ContentType: aws.String(contentType),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return Request{}, studio.Wrap(err, studio.EInternal, "presigning the upload failed")
	}
	return presigned(p.Method, p.URL, p.SignedHeader, ttl, "content-type", "host")
}
