package subsync

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// Errors of Cipher.Open. Each is answered with result 101: the body was
// not encrypted with this platform's key as the protocol says.
var (
	ErrBase64    = errors.New("subsync: body is not Base64")
	ErrBlockSize = errors.New("subsync: ciphertext is not a whole number of 8-byte DES blocks")
	ErrPadding   = errors.New("subsync: bad padding after decryption (wrong key, mode, IV or padding)")
	ErrDigest    = errors.New("subsync: MD5 does not match the body (wrong key, or the body was altered)")
)

// Mode is the DES block mode.
type Mode uint8

const (
	ModeCBC Mode = iota // cipher block chaining with an IV (default)
	ModeECB             // each block alone
)

// Padding fills the last DES block.
type Padding uint8

const (
	PaddingPKCS5 Padding = iota // n bytes of value n, 1–8 (PKCS#5 / PKCS#7 at 8 bytes; default)
	PaddingZero                 // 0–7 zero bytes; removed as trailing zeros (the plaintext is XML, which never ends in NUL)
)

// ParseMode reads "cbc" or "ecb"; ParsePadding "pkcs5" or "zero".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "cbc", "":
		return ModeCBC, nil
	case "ecb":
		return ModeECB, nil
	}
	return 0, fmt.Errorf("subsync: DES mode %q: want cbc or ecb", s)
}

func ParsePadding(s string) (Padding, error) {
	switch s {
	case "pkcs5", "":
		return PaddingPKCS5, nil
	case "zero":
		return PaddingZero, nil
	}
	return 0, fmt.Errorf("subsync: padding %q: want pkcs5 or zero", s)
}

// Cipher seals and opens message bodies the way the sync protocol wraps
// them:
//
//	Base64( DES( MD5hex(body) + body ) )
//
// where MD5hex is the 32 hexadecimal digits of the body's MD5 (written in
// upper case; either case, or the 16 raw digest bytes, is accepted when
// opening), DES uses the platform's 8-byte key in the configured mode and
// padding, and Base64 is the standard alphabet with padding. See
// docs/subscription-sync.md for why these are the defaults.
//
// A Cipher is immutable and safe for concurrent use.
type Cipher struct {
	block   cipher.Block
	mode    Mode
	padding Padding
	iv      [des.BlockSize]byte
}

// NewCipher makes a Cipher. iv is used in CBC mode; empty means the key
// itself.
func NewCipher(key, iv []byte, mode Mode, padding Padding) (*Cipher, error) {
	if len(key) != des.BlockSize {
		return nil, fmt.Errorf("subsync: DES key of %d bytes, want 8", len(key))
	}
	b, err := des.NewCipher(key)
	if err != nil {
		return nil, err
	}
	c := &Cipher{block: b, mode: mode, padding: padding}
	switch {
	case len(iv) == 0:
		copy(c.iv[:], key)
	case len(iv) == des.BlockSize:
		copy(c.iv[:], iv)
	default:
		return nil, fmt.Errorf("subsync: DES IV of %d bytes, want 8", len(iv))
	}
	return c, nil
}

// Seal returns Base64(DES(MD5hex(body) + body)).
func (c *Cipher) Seal(body []byte) string {
	sum := md5.Sum(body)
	plain := make([]byte, 0, 2*md5.Size+len(body)+des.BlockSize)
	plain = hex.AppendEncode(plain, sum[:])
	plain = bytes.ToUpper(plain)
	plain = append(plain, body...)
	plain = c.pad(plain)
	c.crypt(plain, true)
	return base64.StdEncoding.EncodeToString(plain)
}

// Open reverses Seal and checks the digest: it returns the body, or
// ErrBase64, ErrBlockSize, ErrPadding or ErrDigest. ASCII white space in
// b64 is ignored, and a space counts as '+' (a '+' that form decoding
// turned into a space because the sender did not URL-encode it).
func (c *Cipher) Open(b64 []byte) ([]byte, error) {
	clean := make([]byte, 0, len(b64))
	for _, ch := range b64 {
		switch ch {
		case ' ':
			clean = append(clean, '+')
		case '\r', '\n', '\t':
		default:
			clean = append(clean, ch)
		}
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(raw, clean)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBase64, err)
	}
	raw = raw[:n]
	if len(raw) == 0 || len(raw)%des.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBlockSize, len(raw))
	}
	c.crypt(raw, false)
	plain, err := c.unpad(raw)
	if err != nil {
		return nil, err
	}
	return splitDigest(plain)
}

// splitDigest separates and checks the digest: 32 hex digits, or failing
// that 16 raw bytes.
func splitDigest(plain []byte) ([]byte, error) {
	if len(plain) >= 2*md5.Size {
		var got [md5.Size]byte
		if _, err := hex.Decode(got[:], plain[:2*md5.Size]); err == nil {
			body := plain[2*md5.Size:]
			sum := md5.Sum(body)
			if subtle.ConstantTimeCompare(got[:], sum[:]) == 1 {
				return body, nil
			}
			return nil, ErrDigest
		}
	}
	if len(plain) >= md5.Size {
		body := plain[md5.Size:]
		sum := md5.Sum(body)
		if subtle.ConstantTimeCompare(plain[:md5.Size], sum[:]) == 1 {
			return body, nil
		}
	}
	return nil, ErrDigest
}

func (c *Cipher) pad(b []byte) []byte {
	n := des.BlockSize - len(b)%des.BlockSize
	if c.padding == PaddingZero {
		if n == des.BlockSize {
			return b
		}
		return append(b, make([]byte, n)...)
	}
	for range n {
		b = append(b, byte(n))
	}
	return b
}

func (c *Cipher) unpad(b []byte) ([]byte, error) {
	if c.padding == PaddingZero {
		return bytes.TrimRight(b, "\x00"), nil
	}
	n := int(b[len(b)-1])
	if n < 1 || n > des.BlockSize {
		return nil, ErrPadding
	}
	for _, x := range b[len(b)-n:] {
		if int(x) != n {
			return nil, ErrPadding
		}
	}
	return b[:len(b)-n], nil
}

// crypt encrypts or decrypts b in place; len(b) is a multiple of 8.
func (c *Cipher) crypt(b []byte, encrypt bool) {
	if c.mode == ModeCBC {
		iv := c.iv // the mode keeps its own copy
		if encrypt {
			cipher.NewCBCEncrypter(c.block, iv[:]).CryptBlocks(b, b)
		} else {
			cipher.NewCBCDecrypter(c.block, iv[:]).CryptBlocks(b, b)
		}
		return
	}
	for i := 0; i < len(b); i += des.BlockSize {
		if encrypt {
			c.block.Encrypt(b[i:i+des.BlockSize], b[i:i+des.BlockSize])
		} else {
			c.block.Decrypt(b[i:i+des.BlockSize], b[i:i+des.BlockSize])
		}
	}
}
