package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Flavors of S3-compatible storage.
const (
	FlavorS3 = "s3" // AWS S3, MinIO and the like
	FlavorR2 = "r2" // Cloudflare R2
)

// S3Config configures an S3, R2 or MinIO store.
type S3Config struct {
	Endpoint  string // e.g. https://<account>.r2.cloudflarestorage.com; empty for AWS
	Region    string // "auto" for R2 (the default there); empty: the SDK's chain (AWS_REGION...)
	Bucket    string
	PathStyle bool   // MinIO and most self-hosted servers need it
	Flavor    string // FlavorS3 (default) or FlavorR2

	// Static credentials; when both are empty the SDK's default chain
	// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, shared config, roles) applies.
	AccessKeyID, SecretAccessKey string

	// HTTPClient, if set, carries the store's own calls (tests).
	HTTPClient *http.Client
}

// storageIdleConns is how many idle connections to the storage endpoint
// the store keeps for reuse. The SDK keeps 10, and a commit checks 8
// objects at once: two commits at once closed the connections past 10,
// and the next ones opened (in production, TLS-handshook) new ones.
const storageIdleConns = 128

// S3 is a Store on S3-compatible object storage. Uploads and downloads go
// straight between the client and the storage through presigned URLs; the
// store itself only calls the control operations.
type S3 struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	flavor  string
}

var _ Store = (*S3)(nil)

// NewS3 returns a store on cfg's bucket. It makes no request. Returns
// EInvalid for an incomplete configuration.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, studio.Errorf(studio.EInvalid, "s3 storage needs a bucket")
	}
	flavor := cfg.Flavor
	if flavor == "" {
		flavor = FlavorS3
	}
	if flavor != FlavorS3 && flavor != FlavorR2 {
		return nil, studio.Errorf(studio.EInvalid, "unknown s3 flavor %q: want %q or %q", flavor, FlavorS3, FlavorR2)
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, studio.Errorf(studio.EInvalid, "give both the access key id and the secret access key, or neither")
	}
	region := cfg.Region
	if region == "" && flavor == FlavorR2 {
		region = "auto" // R2 has a single region; the SDK only needs one to sign
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	} else {
		opts = append(opts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = storageIdleConns
		})))
	}
	if flavor == FlavorR2 {
		// Since service/s3 v1.73 the SDK adds a CRC32 checksum (often as an
		// aws-chunked trailer) to every request that supports one and asks
		// for checksums on responses. R2 has refused parts of that (trailers,
		// some algorithms, composite types), so checksums are sent only where
		// an operation requires one. Uploads are not affected: they are
		// presigned, and the presign client never adds default checksums;
		// their integrity is the signed x-amz-checksum-sha256.
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, studio.Wrap(err, studio.EInvalid, "loading the s3 configuration failed")
	}
	if awsCfg.Region == "" {
		return nil, studio.Errorf(studio.EInvalid, "s3 storage needs a region")
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
	})
	return &S3{client: client, presign: s3.NewPresignClient(client), bucket: cfg.Bucket, flavor: flavor}, nil
}

// Client returns the underlying SDK client, for what the Store does not cover.
func (s *S3) Client() *s3.Client { return s.client }

// PresignPut implements Store. The URL's X-Amz-SignedHeaders list
// content-length, content-type, host and x-amz-checksum-sha256, so S3 and
// R2 refuse any other length, type or body; the store checks the URL it got
// and fails rather than hand out a weaker one.
func (s *S3) PresignPut(ctx context.Context, o Object, ttl time.Duration) (Request, error) {
	if err := checkObject(o, true); err != nil {
		return Request{}, err
	}
	if err := checkTTL(ttl); err != nil {
		return Request{}, err
	}
	b64, _ := checksumBase64(o.SHA256)
	// No ChecksumAlgorithm: it would add x-amz-sdk-checksum-algorithm, which
	// the explicit ChecksumSHA256 makes useless.
	p, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:         aws.String(s.bucket),
		Key:            aws.String(o.Key),
		ContentLength:  aws.Int64(o.Size),
		ContentType:    aws.String(o.ContentType),
		ChecksumSHA256: aws.String(b64),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return Request{}, studio.Wrap(err, studio.EInternal, "presigning the upload failed")
	}
	return presigned(p.Method, p.URL, p.SignedHeader, ttl, "content-length", "content-type", "host", "x-amz-checksum-sha256")
}

// CreateMultipart implements Store. No checksum algorithm is set on the
// upload: S3 would then demand a checksum with every part, which the client
// does not declare; the whole object is verified after completion instead
// (Verify streams it, since the multipart checksum of S3 and R2 is
// composite and never the plain sha256).
func (s *S3) CreateMultipart(ctx context.Context, o Object, partSize int64, ttl time.Duration) (Multipart, error) {
	if err := checkObject(o, false); err != nil {
		return Multipart{}, err
	}
	partSize, count, err := PlanParts(o.Size, partSize)
	if err != nil {
		return Multipart{}, err
	}
	if err := checkTTL(ttl); err != nil {
		return Multipart{}, err
	}
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(o.Key),
		ContentType: aws.String(o.ContentType),
	})
	if err != nil {
		return Multipart{}, s3Error(err, "starting the upload of %q failed", o.Key)
	}
	id := aws.ToString(out.UploadId)
	numbers := make([]int, count)
	for i := range numbers {
		numbers[i] = i + 1
	}
	parts, err := s.presignParts(ctx, o, id, partSize, count, numbers, ttl)
	if err != nil {
		return Multipart{}, err
	}
	return Multipart{UploadID: id, PartSize: partSize, Parts: parts}, nil
}

// PresignParts implements Store.
func (s *S3) PresignParts(ctx context.Context, o Object, uploadID string, partSize int64, numbers []int, ttl time.Duration) ([]Part, error) {
	if err := checkObject(o, false); err != nil {
		return nil, err
	}
	count, err := checkPlan(o.Size, partSize)
	if err != nil {
		return nil, err
	}
	if uploadID == "" {
		return nil, studio.Errorf(studio.EInvalid, "upload id is empty")
	}
	if err := checkTTL(ttl); err != nil {
		return nil, err
	}
	return s.presignParts(ctx, o, uploadID, partSize, count, numbers, ttl)
}

func (s *S3) presignParts(ctx context.Context, o Object, uploadID string, partSize int64, count int, numbers []int, ttl time.Duration) ([]Part, error) {
	parts := make([]Part, 0, len(numbers))
	for _, n := range numbers {
		if n < 1 || n > count {
			return nil, studio.Errorf(studio.EInvalid, "part %d out of range [1, %d]", n, count)
		}
		size := partLen(o.Size, partSize, n)
		p, err := s.presign.PresignUploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(s.bucket),
			Key:           aws.String(o.Key),
			UploadId:      aws.String(uploadID),
			PartNumber:    aws.Int32(int32(n)),
			ContentLength: aws.Int64(size),
		}, s3.WithPresignExpires(ttl))
		if err != nil {
			return nil, studio.Wrap(err, studio.EInternal, "presigning a part failed")
		}
		r, err := presigned(p.Method, p.URL, p.SignedHeader, ttl, "content-length", "host")
		if err != nil {
			return nil, err
		}
		parts = append(parts, Part{Number: n, Size: size, Request: r})
	}
	return parts, nil
}

// CompleteMultipart implements Store.
func (s *S3) CompleteMultipart(ctx context.Context, key, uploadID string, parts []CompletedPart) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(parts) == 0 || len(parts) > MaxParts {
		return studio.Errorf(studio.EInvalid, "a multipart upload needs 1 to %d parts, got %d", MaxParts, len(parts))
	}
	done := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		if p.Number != i+1 {
			return studio.Errorf(studio.EInvalid, "parts must be numbered 1 to %d in order, got %d at position %d", len(parts), p.Number, i+1)
		}
		etag := p.ETag
		if !strings.HasPrefix(etag, `"`) {
			etag = `"` + etag + `"`
		}
		done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(etag)}
	}
	_, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.bucket),
		Key:             aws.String(key),
		UploadId:        aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		return s3Error(err, "completing the upload of %q failed", key)
	}
	return nil
}

// AbortMultipart implements Store.
func (s *S3) AbortMultipart(ctx context.Context, key, uploadID string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
	})
	if err != nil {
		return s3Error(err, "aborting the upload of %q failed", key)
	}
	return nil
}

// Stat implements Store. The sha256 comes from HeadObject with checksum
// mode on; it is left empty when the storage has none or only a composite
// one (multipart objects: "<base64>-<parts>").
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:       aws.String(s.bucket),
		Key:          aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return Info{}, s3Error(err, "reading object %q failed", key)
	}
	info := Info{Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType)}
	if c := aws.ToString(out.ChecksumSHA256); c != "" && out.ChecksumType != types.ChecksumTypeComposite && !strings.Contains(c, "-") {
		if sum, err := checksumHex(c); err == nil {
			info.SHA256 = sum
		}
	}
	return info, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, s3Error(err, "reading object %q failed", key)
	}
	return out.Body, nil
}

// PresignGet implements Store.
func (s *S3) PresignGet(ctx context.Context, key string, ttl time.Duration) (Request, error) {
	if err := checkKey(key); err != nil {
		return Request{}, err
	}
	if err := checkTTL(ttl); err != nil {
		return Request{}, err
	}
	p, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return Request{}, studio.Wrap(err, studio.EInternal, "presigning the download failed")
	}
	return presigned(p.Method, p.URL, p.SignedHeader, ttl, "host")
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}); err != nil {
		return s3Error(err, "deleting object %q failed", key)
	}
	return nil
}

// DeletePrefix implements Store: every object in pages of at most 1,000
// (DeleteObjects' limit), then every multipart upload in progress, whose
// parts are bytes of the user too. The uploads are listed bucket-wide and
// filtered here: MinIO lists uploads only for a prefix that is a whole key
// (and all of them for none), so a "users/u1/" prefix there found nothing
// and left the parts behind.
func (s *S3) DeletePrefix(ctx context.Context, prefix string) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return s3Error(err, "listing %q failed", prefix)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(s.bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s3Error(err, "deleting under %q failed", prefix)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return studio.Errorf(studio.EUnavailable, "deleting %q failed: %s %s (and %d more)", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
	}
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)}
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			return s3Error(err, "listing uploads under %q failed", prefix)
		}
		for _, u := range out.Uploads {
			if !strings.HasPrefix(aws.ToString(u.Key), prefix) {
				continue
			}
			_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: u.Key, UploadId: u.UploadId})
			if err != nil && studio.ErrorCode(s3Error(err, "")) != studio.ENotFound {
				return s3Error(err, "aborting an upload of %q failed", aws.ToString(u.Key))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// presigned turns an SDK presigned request into a Request, after checking
// that every header in want is signed, that no checksum was hoisted into the
// query (where S3 would not hold the body to it), and that the lifetime is
// ttl. The SDK's rules decide what it hoists; this guard makes an SDK
// upgrade that changes them fail loudly instead of weakening the URLs.
func presigned(method, rawURL string, signed http.Header, ttl time.Duration, want ...string) (Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Request{}, studio.Wrap(err, studio.EInternal, "the sdk presigned an invalid url")
	}
	q := u.Query()
	list := ";" + q.Get("X-Amz-SignedHeaders") + ";"
	for _, h := range want {
		if !strings.Contains(list, ";"+h+";") {
			return Request{}, studio.Errorf(studio.EInternal, "presigned url does not sign %s (signed: %s)", h, q.Get("X-Amz-SignedHeaders"))
		}
	}
	for k := range q {
		// x-amz-checksum-mode only asks for checksums in the response.
		if lk := strings.ToLower(k); (strings.HasPrefix(lk, "x-amz-checksum-") && lk != "x-amz-checksum-mode") || strings.HasPrefix(lk, "x-amz-sdk-checksum") {
			return Request{}, studio.Errorf(studio.EInternal, "presigned url carries %s in its query", k)
		}
	}
	if q.Get("X-Amz-Expires") != strconv.Itoa(int(ttl/time.Second)) {
		return Request{}, studio.Errorf(studio.EInternal, "presigned url lives %ss, want %d", q.Get("X-Amz-Expires"), int(ttl/time.Second))
	}
	date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return Request{}, studio.Wrap(err, studio.EInternal, "presigned url has no valid X-Amz-Date")
	}
	headers := make(map[string]string, len(signed))
	for k, v := range signed {
		if strings.EqualFold(k, "host") || len(v) == 0 {
			continue // implied by the URL; browsers may not set it
		}
		headers[http.CanonicalHeaderKey(k)] = strings.Join(v, ",")
	}
	return Request{Method: method, URL: rawURL, Headers: headers, Expires: date.Add(ttl)}, nil
}

// s3Error maps an SDK error to the domain's codes.
func s3Error(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var nk *types.NoSuchKey
	var nf *types.NotFound
	var nu *types.NoSuchUpload
	if errors.As(err, &nk) || errors.As(err, &nf) || errors.As(err, &nu) {
		return studio.Wrap(err, studio.ENotFound, msg)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchUpload":
			return studio.Wrap(err, studio.ENotFound, msg)
		case "InvalidPart", "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge", "BadDigest", "InvalidDigest", "InvalidRequest":
			return studio.Wrap(err, studio.EInvalid, msg+": "+api.ErrorMessage())
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return studio.Wrap(err, studio.ENotFound, msg)
	}
	return studio.Wrap(err, studio.EUnavailable, msg)
}
