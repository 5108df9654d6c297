package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/media"
)

// blobStore is where moveLegacyMedia puts files: the media table.
type blobStore interface {
	Put(ctx context.Context, data []byte, ext string) (string, error)
	Remove(ctx context.Context, hash, ext string) error
}

// moveLegacyMedia moves the media files a server on PostgreSQL kept in its
// data dir before its media moved into the database (docs/deploy.md) into
// dst, and deletes them from disk. A file no media or upload row names is
// not kept (dst.Remove deletes it again), as the retention sweep would
// have removed it. Files whose content does not match their name are left
// alone and reported. Without a media/ dir it does nothing.
func moveLegacyMedia(ctx context.Context, dir string, dst blobStore, log *slog.Logger) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	moved, kept := 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		hash, ext, ok := legacyName(dir, path)
		if !ok {
			kept++
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hash {
			log.Warn("media file does not match its name; left in place", "path", path)
			kept++
			return nil
		}
		if _, err := dst.Put(ctx, data, ext); err != nil {
			return err
		}
		if err := dst.Remove(ctx, hash, ext); err != nil { // only if no row names it
			return err
		}
		moved++
		return os.Remove(path)
	})
	if err != nil {
		return fmt.Errorf("move media files of %s into the database: %w", dir, err)
	}
	if moved > 0 || kept > 0 {
		log.Info("media files of the data dir moved into the database", "moved", moved, "left", kept, "dir", dir)
	}
	return nil
}

// legacyName reads the hash and extension from a media file's path
// (dir/ab/cdef...ext, as media.Files names them).
func legacyName(dir, path string) (hash, ext string, ok bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return "", "", false
	}
	sub, base, found := strings.Cut(filepath.ToSlash(rel), "/")
	if !found || len(sub) != 2 {
		return "", "", false
	}
	name, ext := base, ""
	if i := strings.IndexByte(base, '.'); i >= 0 {
		name, ext = base[:i], base[i:]
	}
	hash = sub + name
	return hash, ext, media.CheckName(hash, ext) == nil
}
