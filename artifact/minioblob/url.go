package minioblob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"
	"gocloud.dev/blob"
)

// Scheme is the URL scheme OpenBucketURL reads.
const Scheme = "s3"

// awsOnly are s3blob's query parameters that this driver does not
// implement: a URL with one of them needs the build with -tags awssdk.
var awsOnly = []string{
	"accelerate", "dualstack", "fips", "hostname_immutable", "rate_limiter_capacity",
	"request_checksum_calculation", "response_checksum_validation", "role",
}

// OpenBucketURL opens s3://bucket?params. The parameters are s3blob's:
//
//   - endpoint: the S3 service, an http:// or https:// URL or HOST[:PORT]
//     (https unless disable_https=true); AWS's regional endpoint when absent.
//   - region: else AWS_REGION, AWS_DEFAULT_REGION, else the bucket's
//     location as the service reports it (us-east-1 for most non-AWS ones).
//   - use_path_style (or its old name s3ForcePathStyle): true for
//     endpoint/bucket/key requests, false for bucket.endpoint/key; when
//     absent, virtual-host style on AWS and path style elsewhere.
//   - disable_https: plain http to an endpoint given without a scheme (or
//     to AWS).
//   - profile: the shared files' profile (else AWS_PROFILE, else default).
//   - anonymous=true: unsigned requests (public buckets).
//   - ssetype (AES256 or aws:kms) and kmskeyid: server-side encryption of
//     every object written; kmskeyid alone means aws:kms with that key.
//   - awssdk: gocloud's choice of AWS SDK version; ignored.
//
// Any other parameter is an error naming it (never its value: a URL's
// query may carry secrets), with the build tag for s3blob's others.
func OpenBucketURL(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	b, err := openURL(ctx, u)
	if err != nil {
		return nil, err
	}
	return blob.NewBucket(b), nil
}

func openURL(_ context.Context, u *url.URL) (*bucket, error) {
	if u.Scheme != Scheme {
		return nil, fmt.Errorf("open bucket: scheme %q, want %s", u.Scheme, Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("open bucket: no bucket name")
	}
	q := u.Query()
	var unknown, needTag []string
	for k := range q {
		switch k {
		case "endpoint", "region", "use_path_style", "s3ForcePathStyle", "disable_https", "profile",
			"anonymous", "ssetype", "kmskeyid", "awssdk":
		default:
			if slices.Contains(awsOnly, k) {
				needTag = append(needTag, k)
			} else {
				unknown = append(unknown, k)
			}
		}
	}
	slices.Sort(unknown)
	slices.Sort(needTag)
	switch {
	case len(unknown) > 0:
		return nil, fmt.Errorf("open bucket %s: unknown query parameter %s", u.Host, quoteAll(unknown))
	case len(needTag) > 0:
		return nil, fmt.Errorf("open bucket %s: query parameter %s needs the build with AWS's SDK: go build -tags awssdk", u.Host, quoteAll(needTag))
	}
	boolParam := func(name string) (bool, bool, error) {
		v := q.Get(name)
		if v == "" {
			return false, false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, false, fmt.Errorf("open bucket %s: query parameter %q: want true or false", u.Host, name)
		}
		return b, true, nil
	}
	disableHTTPS, _, err := boolParam("disable_https")
	if err != nil {
		return nil, err
	}
	anonymous, _, err := boolParam("anonymous")
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto
	for _, name := range []string{"s3ForcePathStyle", "use_path_style"} { // the new name wins
		v, set, err := boolParam(name)
		if err != nil {
			return nil, err
		}
		if set {
			lookup = minio.BucketLookupDNS
			if v {
				lookup = minio.BucketLookupPath
			}
		}
	}

	host, secure, err := endpoint(q.Get("endpoint"), !disableHTTPS)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", u.Host, err)
	}
	region := q.Get("region")
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}

	var sse encrypt.ServerSide
	switch t, key := q.Get("ssetype"), q.Get("kmskeyid"); {
	case strings.EqualFold(t, "AES256") && key == "":
		sse = encrypt.NewSSE()
	case strings.EqualFold(t, "aws:kms") || (t == "" && key != ""):
		if sse, err = encrypt.NewSSEKMS(key, nil); err != nil {
			return nil, fmt.Errorf("open bucket %s: kmskeyid: %w", u.Host, err)
		}
	case t == "":
	case strings.EqualFold(t, "AES256"):
		return nil, fmt.Errorf("open bucket %s: kmskeyid is for ssetype=aws:kms, not AES256", u.Host)
	default:
		return nil, fmt.Errorf("open bucket %s: query parameter \"ssetype\": want AES256 or aws:kms (others need -tags awssdk)", u.Host)
	}

	creds := newCredentials(q.Get("profile"))
	if anonymous {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Region:       region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", u.Host, err)
	}
	return &bucket{s3: newS3(client, u.Host), name: u.Host, sse: sse}, nil
}

// endpoint returns the host[:port] and https-ness of the endpoint
// parameter ("" is AWS).
func endpoint(raw string, https bool) (string, bool, error) {
	if raw == "" {
		return "s3.amazonaws.com", https, nil
	}
	if !strings.Contains(raw, "://") {
		raw = map[bool]string{true: "https://", false: "http://"}[https] + raw
	}
	e, err := url.Parse(raw)
	if err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https") || e.User != nil ||
		(e.Path != "" && e.Path != "/") || e.RawQuery != "" || e.Fragment != "" {
		return "", false, errors.New("query parameter \"endpoint\": want an http(s) URL or HOST[:PORT] without a path")
	}
	return e.Host, e.Scheme == "https", nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
