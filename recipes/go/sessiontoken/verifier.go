// Package sessiontoken verifies the session tokens the WeChat login kit signs (contracts/token.ts): an EdDSA
// (Ed25519) compact JWS, header {alg:"EdDSA", typ:"JWT", kid}, claims iss, sub, unionid?, iat, exp, aid, sv, aud?.
//
// Copy this folder into your module. It needs the Go standard library only (Go >= 1.19): no `go get`. A JWT library
// would add little here: the alg is pinned to one, the key is picked by kid from your JWKS, and every claim of the
// contract is checked below by hand anyway, in the order and with the reasons of the kit's Node verifier
// (verifier/verify.ts). The kit's tests run this file against the Node verifier on generated tokens and on the
// login function's own (test/verifier/recipes.test.ts).
package sessiontoken

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Claims are the verified claims. Times are seconds since the epoch, as in the token.
type Claims struct {
	Iss, Sub, UnionID, AID, Aud string
	Iat, Exp                    float64
	SV                          int64
}

// CurrentSession is the user's account as it is now: accountId, sessionVersion (missing counts as 1) and whether
// status is 'banned', from your users collection or a cache of it.
type CurrentSession struct {
	AID    string
	SV     int64
	Banned bool
}

// Config says what a token must be. Issuers and JWKS are required.
type Config struct {
	Issuers []string // your AppID(s): the iss a token must carry
	JWKS    []byte   // your jwks.json (what `npm run keys` writes)
	// The login function's AUTH_TOKEN_AUDIENCE. Set: aud must be one of these. Empty: a token with aud is refused,
	// since it was meant for another backend.
	Audiences []string
	// Revocation, recommended: return the user's current session, or nil when there is no account. The verifier
	// compares aid and sv for equality itself. An error is yours (answer 5xx), not the token's.
	CurrentSession func(ctx context.Context, openid string) (*CurrentSession, error)
	ClockSkew      time.Duration    // at most 60 s; zero means 60 s
	Now            func() time.Time // for tests
}

// RejectedError means: answer 401. Reason is one of the Node verifier's: malformed, algorithm, unknown_key,
// signature, expired, issuer, audience, claims, revoked.
type RejectedError struct{ Reason, Message string }

func (e *RejectedError) Error() string {
	return "session token refused: " + e.Reason + ": " + e.Message
}

func reject(reason, format string, args ...any) error {
	return &RejectedError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

const (
	maxLifetime = 86400 // the longest AUTH_TOKEN_TTL_S the login function allows
	maxSkew     = 60 * time.Second
	maxLength   = 4096 // a real token is about 400 characters
)

var (
	compactJWS = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
	accountID  = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
)

// Verifier is safe for concurrent use. To reload a JWKS (key rotation), build a new one and swap it in.
type Verifier struct {
	cfg  Config
	keys map[string]ed25519.PublicKey
}

// New checks the configuration and reads the Ed25519 keys of the JWKS, by kid.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Issuers) == 0 {
		return nil, errors.New("sessiontoken: Issuers must name your AppID(s)")
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = maxSkew
	}
	if cfg.ClockSkew < 0 || cfg.ClockSkew > maxSkew {
		return nil, errors.New("sessiontoken: ClockSkew must be 0 to 60 s")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid, Use, Alg string }
	}
	if err := json.Unmarshal(cfg.JWKS, &set); err != nil {
		return nil, fmt.Errorf("sessiontoken: JWKS: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		// Only Ed25519 signing keys with a kid: a token names its key by kid, and nothing else may verify it.
		if k.Kty == "OKP" && k.Crv == "Ed25519" && k.Kid != "" && (k.Use == "" || k.Use == "sig") &&
			(k.Alg == "" || k.Alg == "EdDSA") && err == nil && len(x) == ed25519.PublicKeySize {
			keys[k.Kid] = ed25519.PublicKey(x)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("sessiontoken: the JWKS holds no Ed25519 key with a kid")
	}
	return &Verifier{cfg: cfg, keys: keys}, nil
}

// Verify returns the claims of a token that passes every check, a *RejectedError (401), or the CurrentSession
// hook's own error.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	// 1. Canonical compact form only: one token has one spelling, so a deny-list or cache keyed on it holds.
	parts, ok := canonicalParts(token)
	if !ok {
		return nil, reject("malformed", "not a canonical compact JWS")
	}

	// 2. The header: alg pinned (never `none`, never HS256 keyed with the public key), typ JWT, a known kid.
	var header map[string]any
	if decodeJSON(parts[0], &header) != nil || header == nil {
		return nil, reject("malformed", "invalid header")
	}
	if _, ok := header["crit"]; ok { // extensions this verifier does not know must not be ignored (RFC 7515 4.1.11)
		return nil, reject("malformed", "unsupported crit header")
	}
	if alg, ok := header["alg"].(string); !ok || alg == "" {
		return nil, reject("malformed", "missing alg")
	} else if alg != "EdDSA" {
		return nil, reject("algorithm", "alg must be EdDSA")
	}
	kid, _ := header["kid"].(string)
	key, ok := v.keys[kid]
	if !ok { // no kid at all is refused too: the key is chosen by kid, never by "the only one there is"
		return nil, reject("unknown_key", "no key for this kid")
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ed25519.Verify(key, []byte(parts[0]+"."+parts[1]), sig) { // also refuses S >= L (malleable signatures)
		return nil, reject("signature", "signature verification failed")
	}
	var payload map[string]any
	if decodeJSON(parts[1], &payload) != nil || payload == nil {
		return nil, reject("malformed", "payload is not a JSON object")
	}
	// typ as RFC 7515 4.1.9 compares it (case-insensitive, "application/" optional), like the Node verifier.
	if typ, ok := header["typ"].(string); !ok || strings.TrimPrefix(strings.ToLower(typ), "application/") != "jwt" {
		return nil, reject("algorithm", "typ must be JWT")
	}

	// 3. The claims, in the Node verifier's order, so that both report the same reason. Each required one
	// present: a missing sv must not silently become 0.
	aud, hasAud := payload["aud"]
	if _, ok := payload["iss"]; !ok {
		return nil, reject("issuer", "missing claim iss")
	}
	if len(v.cfg.Audiences) > 0 && !hasAud {
		return nil, reject("audience", "missing claim aud")
	}
	for _, name := range []string{"aid", "sv", "exp", "iat", "sub"} {
		if _, ok := payload[name]; !ok {
			return nil, reject("malformed", "missing claim %s", name)
		}
	}
	iss, _ := payload["iss"].(string)
	if !contains(v.cfg.Issuers, iss) {
		return nil, reject("issuer", "unexpected issuer")
	}
	if len(v.cfg.Audiences) > 0 && !namesAudience(aud, v.cfg.Audiences) {
		return nil, reject("audience", "token meant for another audience")
	}
	now := float64(v.cfg.Now().Unix())
	skew := v.cfg.ClockSkew.Seconds()
	iat, okIat := number(payload["iat"])
	exp, okExp := number(payload["exp"])
	if !okIat || !okExp {
		return nil, reject("malformed", "iat and exp must be numbers")
	}
	if nbf, present := payload["nbf"]; present { // the login never sets nbf; honour it when present, as RFC 7519 says
		if n, ok := number(nbf); !ok || n > now+skew {
			return nil, reject("malformed", "nbf invalid or in the future")
		}
	}
	if exp <= now-skew {
		return nil, reject("expired", "token expired")
	}
	sub, _ := payload["sub"].(string)
	if sub == "" {
		return nil, reject("malformed", "sub must be a non-empty string")
	}
	sv, ok := number(payload["sv"])
	// An integer >= 1, read as JavaScript reads it (1.0 is 1; beyond 2^53 - 1 it is not exact any more).
	if !ok || sv != math.Trunc(sv) || sv < 1 || sv > 1<<53-1 {
		return nil, reject("malformed", "sv must be an integer >= 1")
	}
	aid, _ := payload["aid"].(string)
	if !accountID.MatchString(aid) {
		return nil, reject("malformed", "aid must be an account id")
	}
	if s, ok := aud.(string); hasAud && (!ok || s == "") { // one audience, a string: the login writes no other
		return nil, reject("malformed", "invalid claim aud")
	}
	unionid, hasUnion := payload["unionid"]
	if u, ok := unionid.(string); hasUnion && (!ok || u == "") {
		return nil, reject("malformed", "unionid must be a non-empty string")
	}
	if iat > now+skew {
		return nil, reject("claims", "token issued in the future")
	}
	if exp-iat > maxLifetime {
		return nil, reject("claims", "token lifetime longer than the login function issues")
	}
	if hasAud && len(v.cfg.Audiences) == 0 { // you expect none: it is meant for another backend
		return nil, reject("audience", "token meant for another audience")
	}
	claims := &Claims{Iss: iss, Sub: sub, AID: aid, SV: int64(sv), Iat: iat, Exp: exp}
	claims.UnionID, _ = unionid.(string)
	claims.Aud, _ = aud.(string)

	// 4. Revocation: the same account (aid) AND the same session version (sv), by equality. Never `sv >=`: after
	// 注销 a new account of the same OPENID starts at sv 1 again; logout and bans increment sv.
	if v.cfg.CurrentSession != nil {
		current, err := v.cfg.CurrentSession(ctx, sub)
		if err != nil {
			return nil, err
		}
		if current == nil || current.Banned || current.AID != aid || current.SV != claims.SV {
			return nil, reject("revoked", "session revoked")
		}
	}
	return claims, nil
}

// canonicalParts splits a compact JWS whose every part is the exact base64url encoding of its bytes: no padding,
// no `+/`, no whitespace (Go's decoder would skip \r and \n), no spare bits set in a part's last character.
func canonicalParts(token string) ([]string, bool) {
	if len(token) > maxLength || !compactJWS.MatchString(token) {
		return nil, false
	}
	parts := strings.Split(token, ".")
	for _, part := range parts {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		if err != nil || base64.RawURLEncoding.EncodeToString(raw) != part {
			return nil, false
		}
	}
	return parts, true
}

// decodeJSON reads one JSON value and nothing after it, keeping numbers as written (see number).
func decodeJSON(part string, into any) error {
	raw, _ := base64.RawURLEncoding.DecodeString(part)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// number reads a JSON number as a float64, as JavaScript does (1e400 is +Inf there, not an error).
func number(value any) (float64, bool) {
	n, ok := value.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}

// namesAudience: aud is one of yours, or a list that holds one (RFC 7519 4.1.3; refused later all the same, since
// the login function writes a single string).
func namesAudience(aud any, audiences []string) bool {
	if list, ok := aud.([]any); ok {
		for _, item := range list {
			if s, ok := item.(string); ok && contains(audiences, s) {
				return true
			}
		}
		return false
	}
	s, ok := aud.(string)
	return ok && contains(audiences, s)
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}
