package recordings

import (
	"context"
	"fmt"
	"net/url"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	_ "gocloud.dev/blob/memblob"  // mem:// URLs, for the demo
	_ "gocloud.dev/blob/s3blob"   // s3:// URLs
)

// OpenBucket opens the blob storage recordings are kept in, by URL, as
// gocloud.dev/blob does:
//
//   - file:///var/lib/hotline/recordings?create_dir=1&no_tmp_dir=1&metadata=skip
//     keeps them in a local folder (create_dir makes it; no_tmp_dir writes
//     each file's temporary next to it, so the final rename never crosses
//     file systems; metadata=skip spares the .attrs file, and the MD5 pass
//     it costs, beside each recording: PostgreSQL keeps its SHA-256). The
//     default.
//   - s3://BUCKET?region=REGION keeps them in Amazon S3; an S3-compatible
//     store (MinIO, Ceph, a cloud's S3 API) adds
//     endpoint=https://HOST:PORT&use_path_style=true (and disable_https=true
//     for plain HTTP, request_checksum_calculation=when_required for stores
//     that do not take the SDK's default checksums). Credentials come from
//     the AWS SDK's usual chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
//     a profile, an instance role), which cmd/hotline documents.
//   - mem:// keeps them in memory (the demo; lost at exit).
//
// Other gocloud schemes (gs://, azblob://) work once their driver is
// linked in.
func OpenBucket(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("%w: %q is not a URL like file:///var/lib/hotline/recordings or s3://bucket?region=...", ErrBadBlobURL, rawURL)
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadBlobURL, redact(u), err)
	}
	return b, nil
}

// redact hides a password in a URL for messages.
func redact(u *url.URL) string { return u.Redacted() }
