package media

import (
	"context"
	"io"
)

// Blobs keeps media content-addressed: uploads and generated images, each
// stored once under the SHA-256 hex digest of its bytes. Files keeps them in
// a directory (the data dir's media/ or a directory every replica mounts);
// the PostgreSQL store keeps them in a table (docs/deploy.md says which a
// server uses). Implementations are safe for concurrent use.
type Blobs interface {
	// Put stores data and returns its digest. Storing content that is
	// already present changes nothing.
	Put(ctx context.Context, data []byte, ext string) (hash string, err error)
	// Open opens the stored item for reading. A missing one is an error
	// matching fs.ErrNotExist; a bad hash or extension is ErrBadName.
	Open(ctx context.Context, hash, ext string) (Blob, error)
	// Remove deletes the stored item; removing a missing one is not an
	// error.
	Remove(ctx context.Context, hash, ext string) error
}

// Blob is an opened stored item: read or seek it, then Close it.
type Blob = io.ReadSeekCloser

var _ Blobs = (*Files)(nil)

// CheckName reports ErrBadName unless hash is 64 lowercase hex digits and
// ext is empty or a dot followed by 1 to 8 lowercase letters or digits.
func CheckName(hash, ext string) error {
	if !validHash(hash) || !validExt(ext) {
		return badName(hash, ext)
	}
	return nil
}
