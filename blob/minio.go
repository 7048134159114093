package blob

import (
	"context"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// MinIO keeps blobs in an S3 bucket; the county centre's backups (DOMAIN.md
// rule 7) are then the bucket's replication, not ours.
type MinIO struct {
	client *minio.Client
	bucket string
	desc   string
}

// S3Config says where the bucket is.
type S3Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	Secure    bool
}

// NewMinIO connects and creates the bucket if it does not exist yet.
func NewMinIO(ctx context.Context, c S3Config) (*MinIO, error) {
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: c.Secure,
	})
	if err != nil {
		return nil, fmt.Errorf("object storage %s: %w", c.Endpoint, err)
	}
	ok, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("object storage %s: check bucket %q: %w", c.Endpoint, c.Bucket, err)
	}
	if !ok {
		if err := client.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{}); err != nil {
			// Another process may have created it in the meantime.
			if exists, e2 := client.BucketExists(ctx, c.Bucket); e2 != nil || !exists {
				return nil, fmt.Errorf("object storage %s: create bucket %q: %w", c.Endpoint, c.Bucket, err)
			}
		}
	}
	return &MinIO{client: client, bucket: c.Bucket, desc: "minio " + c.Endpoint + "/" + c.Bucket}, nil
}

func (m *MinIO) String() string { return m.desc }

func (m *MinIO) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	// Over plain HTTP minio-go would sign every 64 KiB chunk with SHA-256,
	// costing both sides a hash of the whole body on each of the two PUTs a
	// page makes. Unsigned, the body carries a CRC32C trailer that MinIO
	// checks, which still catches a damaged transfer; what is stored is
	// identified by the SHA-256 we computed for its key anyway.
	opts := minio.PutObjectOptions{ContentType: contentType, DisableContentSha256: true}
	seeker, _ := r.(io.Seeker)
	var start int64
	if seeker != nil {
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			seeker = nil
		}
	}
	for attempt := 1; ; attempt++ {
		_, err := m.client.PutObject(ctx, m.bucket, key, r, size, opts)
		if err == nil {
			return nil
		}
		// MinIO now and then answers IncompleteBody to a whole body when it
		// is loaded (seen in our CI; minio/minio#21425), an answer minio-go
		// does not retry. With the bytes still at hand the PUT is sent again.
		if minio.ToErrorResponse(err).Code == "IncompleteBody" && seeker != nil && attempt < 3 {
			if _, serr := seeker.Seek(start, io.SeekStart); serr == nil {
				continue
			}
		}
		return fmt.Errorf("store blob %s: %w", key, err)
	}
}

func (m *MinIO) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, info, err := m.get(ctx, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err // not a nil *Object in a non-nil interface
	}
	return sizedBody{obj, info.Size}, nil
}

// sizedBody is an object's body that knows its length (for ReadAll).
type sizedBody struct {
	io.ReadCloser
	size int64
}

func (b sizedBody) Size() int64 { return b.size }

func (m *MinIO) GetRange(ctx context.Context, key string, offset, size int64) (io.ReadCloser, error) {
	if err := checkRange(key, offset, size); err != nil {
		return nil, err
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(offset, offset+size-1); err != nil {
		return nil, fmt.Errorf("blob %s: %w", key, err)
	}
	obj, info, err := m.get(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	// S3 answers a range past the end with what there is; a crop cut short
	// is a broken image, so say so here.
	if info.Size != size {
		obj.Close()
		return nil, fmt.Errorf("blob %s: range %d+%d past its end", key, offset, size)
	}
	return obj, nil
}

// get opens an object in one request. minio-go's Client.GetObject is lazy:
// asking its Object for the size (to report a missing key before the first
// Read) sends a HEAD, then the first Read sends the GET, two requests for
// every page read. Core.GetObject sends the GET and returns its headers.
func (m *MinIO) get(ctx context.Context, key string, opts minio.GetObjectOptions) (io.ReadCloser, minio.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, minio.ObjectInfo{}, err
	}
	body, info, _, err := minio.Core{Client: m.client}.GetObject(ctx, m.bucket, key, opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, minio.ObjectInfo{}, fmt.Errorf("blob %s: %w", key, ErrNotFound)
		}
		return nil, minio.ObjectInfo{}, fmt.Errorf("open blob %s: %w", key, err)
	}
	return body, info, nil
}

func (m *MinIO) Stat(ctx context.Context, key string) (int64, error) {
	info, err := m.client.StatObject(ctx, m.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return 0, fmt.Errorf("blob %s: %w", key, ErrNotFound)
		}
		return 0, fmt.Errorf("stat blob %s: %w", key, err)
	}
	return info.Size, nil
}

func (m *MinIO) Delete(ctx context.Context, key string) error {
	if err := m.client.RemoveObject(ctx, m.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete blob %s: %w", key, err)
	}
	return nil
}

// List lists the bucket recursively.
func (m *MinIO) List(ctx context.Context, prefix string, fn func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine when fn fails
	for o := range m.client.ListObjects(ctx, m.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("list bucket %s: %w", m.bucket, o.Err)
		}
		if err := fn(Object{Key: o.Key, Size: o.Size, ModTime: o.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}
