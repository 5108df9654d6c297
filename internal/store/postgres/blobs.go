package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ai4artsed/ai4artsed/internal/media"
)

// blobChunk is how much of a blob one read fetches: a range request or a
// slow client never makes the server hold a whole image per reader.
const blobChunk = 256 << 10

const (
	sqlPutBlob = `INSERT INTO media_blobs (hash, size, data) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO NOTHING`
	sqlBlobSize  = `SELECT size FROM media_blobs WHERE hash = $1`
	sqlBlobChunk = `SELECT substring(data FROM $2 FOR $3) FROM media_blobs WHERE hash = $1`
	// sqlDeleteBlob looks again, in the statement, whether a row names the
	// hash: an upload of the same image since the caller looked keeps it.
	sqlDeleteBlob = `DELETE FROM media_blobs WHERE hash = $1
		AND NOT EXISTS (SELECT 1 FROM media WHERE hash = $1)
		AND NOT EXISTS (SELECT 1 FROM uploads WHERE hash = $1)`
	// sqlDeleteOrphanBlobs deletes the blobs of hashes no row names any
	// more; the retention transactions run it after deleting rows.
	sqlDeleteOrphanBlobs = `DELETE FROM media_blobs b WHERE b.hash = ANY($1::text[])
		AND NOT EXISTS (SELECT 1 FROM media m WHERE m.hash = b.hash)
		AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.hash = b.hash)`
)

// Blobs keeps media bytes in the table media_blobs of the store's database
// (media.Blobs), so every server sharing the database reads every upload
// and image. The extension is checked but not stored: the hash alone names
// the bytes. Reads fetch 256 KiB at a time.
type Blobs struct {
	pool *pgxpool.Pool
}

var _ media.Blobs = (*Blobs)(nil)

// Blobs returns the media store in db's database. DeleteOlderThan and
// DeleteWorkshopData delete the blobs they orphan in their own transaction.
func (db *DB) Blobs() *Blobs { return &Blobs{pool: db.pool} }

// Put implements media.Blobs.
func (b *Blobs) Put(ctx context.Context, data []byte, ext string) (string, error) {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if err := media.CheckName(hash, ext); err != nil {
		return "", err
	}
	if data == nil {
		data = []byte{} // NOT NULL: an empty image is still stored
	}
	if _, err := b.pool.Exec(ctx, sqlPutBlob, hash, int64(len(data)), data); err != nil {
		return "", fmt.Errorf("postgres: put media %s: %w", hash, err)
	}
	return hash, nil
}

// Open implements media.Blobs. The reads of the returned Blob are bound by
// ctx; a blob removed while it is read reports fs.ErrNotExist.
func (b *Blobs) Open(ctx context.Context, hash, ext string) (media.Blob, error) {
	if err := media.CheckName(hash, ext); err != nil {
		return nil, err
	}
	var size int64
	err := b.pool.QueryRow(ctx, sqlBlobSize, hash).Scan(&size)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fs.ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: open media %s: %w", hash, err)
	}
	return &blobReader{ctx: ctx, pool: b.pool, hash: hash, size: size}, nil
}

// Remove implements media.Blobs. An item a media or upload row names is
// kept.
func (b *Blobs) Remove(ctx context.Context, hash, ext string) error {
	if err := media.CheckName(hash, ext); err != nil {
		return err
	}
	if _, err := b.pool.Exec(ctx, sqlDeleteBlob, hash); err != nil {
		return fmt.Errorf("postgres: remove media %s: %w", hash, err)
	}
	return nil
}

// blobReader reads a blob a chunk at a time.
type blobReader struct {
	ctx  context.Context // from Open: io.Reader has no context of its own
	pool *pgxpool.Pool
	hash string
	size int64
	off  int64

	buf    []byte // the chunk last fetched
	bufOff int64  // where buf starts in the blob
}

// Read implements io.Reader.
func (r *blobReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.off < r.bufOff || r.off >= r.bufOff+int64(len(r.buf)) {
		if err := r.fetch(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off-r.bufOff:])
	r.off += int64(n)
	return n, nil
}

// fetch reads the chunk that starts at r.off.
func (r *blobReader) fetch() error {
	n := min(int64(blobChunk), r.size-r.off)
	var chunk []byte
	err := r.pool.QueryRow(r.ctx, sqlBlobChunk, r.hash, r.off+1, n).Scan(&chunk) // substring counts from 1
	if errors.Is(err, pgx.ErrNoRows) {
		err = fs.ErrNotExist
	}
	if err == nil && int64(len(chunk)) != n {
		err = fmt.Errorf("read %d bytes, want %d", len(chunk), n)
	}
	if err != nil {
		return fmt.Errorf("postgres: read media %s at %d: %w", r.hash, r.off, err)
	}
	r.buf, r.bufOff = chunk, r.off
	return nil
}

// Seek implements io.Seeker.
func (r *blobReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("postgres: seek media %s: bad whence %d", r.hash, whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("postgres: seek media %s: negative position %d", r.hash, offset)
	}
	r.off = offset
	return offset, nil
}

// Close implements io.Closer; the reader holds no connection between reads.
func (r *blobReader) Close() error {
	r.buf = nil
	return nil
}
