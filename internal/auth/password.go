// Package auth holds the teacher side's credentials: argon2id password
// hashes, session and device secrets, and the login rate limiter. It keeps
// no state of its own beyond what its values hold.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Errors of password checks, checked with errors.Is.
var (
	// ErrWrongPassword: the password does not match the hash.
	ErrWrongPassword = errors.New("auth: wrong password")
	// ErrBadHash: a stored hash is not one this package wrote.
	ErrBadHash = errors.New("auth: malformed password hash")
	// ErrWeakPassword: a new password is too short or too long.
	ErrWeakPassword = errors.New("auth: password must be 10 to 256 characters")
)

// Params are argon2id's cost parameters.
type Params struct {
	// Time is the number of passes over the memory.
	Time uint32
	// MemoryKiB is the memory used per hash, in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultParams returns the server's cost: 64 MiB, 3 passes, 2 lanes
// (RFC 9106 section 4 suggests 64 MiB and 3 passes for memory-constrained
// use); its time per hash is measured by BenchmarkHash.
func DefaultParams() Params { return Params{Time: 3, MemoryKiB: 64 * 1024, Threads: 2} }

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen and MaxPasswordLen bound a new password, in bytes.
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// CheckNew reports ErrWeakPassword for a password that is too short or
// too long to be set.
func CheckNew(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return ErrWeakPassword
	}
	return nil
}

// Hash returns the PHC-style encoding of an argon2id hash of password with
// a random salt: $argon2id$v=19$m=...,t=...,p=...$salt$key.
func Hash(password string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks password against an encoded hash with the parameters the
// hash names, comparing in constant time. It returns nil, ErrWrongPassword
// or ErrBadHash.
func Verify(encoded, password string) error {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrWrongPassword
	}
	return nil
}

// maxMemoryKiB bounds what a stored hash may ask Verify to allocate.
const maxMemoryKiB = 1 << 20

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Threads == 0 || p.MemoryKiB == 0 || p.MemoryKiB > maxMemoryKiB {
		return Params{}, nil, nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return Params{}, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}
