package sessiontoken

// The net/http middleware: what a client sees for no token, a bad one, a good one, and a failing session lookup.
// (The verifier itself is checked against the Node verifier by the kit's test/verifier/recipes.test.ts.)

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func newTestVerifier(t *testing.T, lookup func(context.Context, string) (*CurrentSession, error)) (*Verifier, string) {
	t.Helper()
	public, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]string{
		"kty": "OKP", "crv": "Ed25519", "x": enc(public), "kid": "k1", "alg": "EdDSA", "use": "sig"}}})
	now := time.Unix(1_900_000_000, 0)
	clock := func() time.Time { return now }
	v, err := New(Config{Issuers: []string{"wx1"}, JWKS: jwks, CurrentSession: lookup, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	header, _ := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "JWT", "kid": "k1"})
	payload, _ := json.Marshal(map[string]any{"iss": "wx1", "sub": "o-alice", "aid": "Abcdefghijklmnopqrstu_",
		"sv": 1, "iat": now.Unix(), "exp": now.Unix() + 3600})
	input := enc(header) + "." + enc(payload)
	return v, input + "." + enc(ed25519.Sign(private, []byte(input)))
}

func serve(v *Verifier, authorization string) (*httptest.ResponseRecorder, *Claims) {
	var seen *Claims
	handler := Middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = FromContext(r.Context())
	}))
	request := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	if authorization != "" {
		request.Header.Set("Authorization", authorization)
	}
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, request)
	return recorder, seen
}

func reasonOf(t *testing.T, r *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct{ Error struct{ Code, Reason string } }
	if err := json.Unmarshal(r.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", r.Body.String(), err)
	}
	return body.Error.Code + "/" + body.Error.Reason
}

func TestMiddleware(t *testing.T) {
	current := &CurrentSession{AID: "Abcdefghijklmnopqrstu_", SV: 1}
	v, token := newTestVerifier(t, func(context.Context, string) (*CurrentSession, error) { return current, nil })

	for _, authorization := range []string{"Bearer " + token, "bearer  " + token} {
		r, claims := serve(v, authorization)
		if r.Code != http.StatusOK || claims == nil || claims.Sub != "o-alice" || claims.SV != 1 {
			t.Errorf("%q: status %d, claims %+v", authorization, r.Code, claims)
		}
	}

	r, _ := serve(v, "")
	challenge := r.Header().Get("WWW-Authenticate")
	if r.Code != 401 || challenge != `Bearer realm="api"` || reasonOf(t, r) != "UNAUTHORIZED/missing_token" {
		t.Errorf("no token: %d %q %s", r.Code, r.Header().Get("WWW-Authenticate"), r.Body)
	}
	changed := byte('A') // one character inside the signature, whose bits all count
	if token[len(token)-10] == 'A' {
		changed = 'B'
	}
	for authorization, reason := range map[string]string{
		"Bearer " + token + "=": "malformed", // another spelling of the same token
		"Bearer " + token[:len(token)-10] + string(changed) + token[len(token)-9:]: "signature",
		"Basic " + token: "missing_token",
	} {
		r, claims := serve(v, authorization)
		if r.Code != 401 || claims != nil || reasonOf(t, r) != "UNAUTHORIZED/"+reason {
			t.Errorf("%q: %d %s", authorization, r.Code, r.Body)
		}
		if reason != "missing_token" && r.Header().Get("WWW-Authenticate") != `Bearer realm="api", error="invalid_token"` {
			t.Errorf("%q: WWW-Authenticate %q", authorization, r.Header().Get("WWW-Authenticate"))
		}
	}

	current = &CurrentSession{AID: "Abcdefghijklmnopqrstu_", SV: 2} // a logout since: the token is revoked
	if r, _ := serve(v, "Bearer "+token); r.Code != 401 || reasonOf(t, r) != "UNAUTHORIZED/revoked" {
		t.Errorf("revoked: %d %s", r.Code, r.Body)
	}

	failing, token := newTestVerifier(t, func(context.Context, string) (*CurrentSession, error) {
		return nil, errors.New("database down")
	})
	if r, _ := serve(failing, "Bearer "+token); r.Code != 500 || reasonOf(t, r) != "INTERNAL/session_lookup" {
		t.Errorf("lookup failure: %d %s", r.Code, r.Body)
	}
}
