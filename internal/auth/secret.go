package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// NewToken returns 32 random bytes, URL-safe base64: a session cookie's
// secret or a device id.
func NewToken() string {
	return base64.RawURLEncoding.EncodeToString(RandomBytes(32))
}

// RandomBytes returns n bytes from crypto/rand, which never fails.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// SessionID is the stored id of a session cookie's secret: its SHA-256,
// hex. The store never holds the secret itself.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Signer signs and checks values with HMAC-SHA256 under a server secret.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer with key (at least 32 bytes for full strength).
func NewSigner(key []byte) *Signer { return &Signer{key: append([]byte(nil), key...)} }

// Sign returns value.signature.
func (s *Signer) Sign(value string) string {
	return value + "." + base64.RawURLEncoding.EncodeToString(s.mac(value))
}

// Open returns the value of a signed string, or false when the signature
// does not match (compared in constant time).
func (s *Signer) Open(signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '.')
	if i <= 0 {
		return "", false
	}
	sig, err := base64.RawURLEncoding.DecodeString(signed[i+1:])
	if err != nil || !hmac.Equal(sig, s.mac(signed[:i])) {
		return "", false
	}
	return signed[:i], true
}

func (s *Signer) mac(value string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(value))
	return m.Sum(nil)
}

// Digest returns a short keyed digest of value (16 hex digits): it tells
// equal values apart without keeping them, such as an address.
func (s *Signer) Digest(value string) string {
	return hex.EncodeToString(s.mac(value)[:8])
}
