package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBadName reports a hash that is not 64 lowercase hex digits or an
// extension that is not a dot followed by 1 to 8 lowercase letters or digits.
var ErrBadName = errors.New("media: bad hash or extension")

// Files keeps content-addressed files: the file with SHA-256 hex digest
// abcdef... and extension ext lives at Dir/ab/cdef...ext.
type Files struct {
	// Dir is the root directory.
	Dir string
}

// NewFiles returns a Files rooted at dir, creating dir if needed.
func NewFiles(dir string) (*Files, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("media: create %s: %w", dir, err)
	}
	return &Files{Dir: dir}, nil
}

// Path returns where the file with hash and ext is stored. It rejects
// anything but 64 lowercase hex digits and a short lowercase extension, so
// no input can name a path outside Dir.
func (f *Files) Path(hash, ext string) (string, error) {
	if err := CheckName(hash, ext); err != nil {
		return "", err
	}
	return filepath.Join(f.Dir, hash[:2], hash[2:]+ext), nil
}

// Put stores data under its SHA-256 hex digest and returns the digest. The
// bytes go to a temporary file in the target directory, are synced, and are
// renamed into place, so the final name never holds a partial file. Storing
// content that is already present changes nothing.
func (f *Files) Put(ctx context.Context, data []byte, ext string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("media: put: %w", err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	dst, err := f.Path(hash, ext)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(dst); err == nil && fi.Mode().IsRegular() {
		return hash, nil
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("media: put %s: %w", hash, err)
	}
	if err := writeAtomic(dir, dst, data); err != nil {
		return "", fmt.Errorf("media: put %s: %w", hash, err)
	}
	return hash, nil
}

// writeAtomic writes data to a temporary file in dir, syncs it and renames it
// to dst, then syncs dir so the rename survives a crash.
func writeAtomic(dir, dst string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open opens the stored file for reading. A missing file is an error
// matching fs.ErrNotExist. The Blob is an *os.File.
func (f *Files) Open(ctx context.Context, hash, ext string) (Blob, error) {
	p, err := f.Path(hash, ext)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("media: open %s%s: %w", hash, ext, err)
	}
	return file, nil
}

// Remove deletes the stored file; removing a missing file is not an error.
func (f *Files) Remove(ctx context.Context, hash, ext string) error {
	p, err := f.Path(hash, ext)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: remove %s%s: %w", hash, ext, err)
	}
	return nil
}

func badName(hash, ext string) error {
	return fmt.Errorf("%w: %q, %q", ErrBadName, hash, ext)
}

func validHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func validExt(ext string) bool {
	if ext == "" {
		return true
	}
	if len(ext) < 2 || len(ext) > 9 || ext[0] != '.' {
		return false
	}
	for i := 1; i < len(ext); i++ {
		c := ext[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
