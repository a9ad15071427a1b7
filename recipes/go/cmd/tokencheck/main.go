// tokencheck is the kit's test driver for the sessiontoken package (test/verifier/recipes.test.ts), not part of the
// recipe: one JSON case per line on stdin, one verdict per line on stdout, so one process checks a whole batch.
//
//	{"token":"...","jwks":{...},"issuers":["wx..."],"audiences":[],"now":1900000000,
//	 "sessions":{"o-alice":{"aid":"...","sv":1,"banned":false}}}   sessions absent: no revocation hook
//	-> {"verdict":"accepted","claims":{...}} | {"verdict":"refused","reason":"expired"}
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

	"example.com/wxlogin/sessiontoken"
)

type session struct {
	AID    string `json:"aid"`
	SV     int64  `json:"sv"`
	Banned bool   `json:"banned"`
}

type testCase struct {
	Token     string              `json:"token"`
	JWKS      json.RawMessage     `json:"jwks"`
	Issuers   []string            `json:"issuers"`
	Audiences []string            `json:"audiences"`
	Now       int64               `json:"now"`
	Sessions  map[string]*session `json:"sessions"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var c testCase
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fail(err)
		}
		cfg := sessiontoken.Config{
			Issuers: c.Issuers, JWKS: c.JWKS, Audiences: c.Audiences,
			Now: func() time.Time { return time.Unix(c.Now, 0) },
		}
		if c.Sessions != nil {
			cfg.CurrentSession = func(_ context.Context, openid string) (*sessiontoken.CurrentSession, error) {
				s := c.Sessions[openid]
				if s == nil {
					return nil, nil
				}
				return &sessiontoken.CurrentSession{AID: s.AID, SV: s.SV, Banned: s.Banned}, nil
			}
		}
		v, err := sessiontoken.New(cfg)
		if err != nil {
			fail(err)
		}
		claims, err := v.Verify(context.Background(), c.Token)
		var rejected *sessiontoken.RejectedError
		switch {
		case err == nil:
			_ = out.Encode(map[string]any{"verdict": "accepted", "claims": map[string]any{
				"iss": claims.Iss, "sub": claims.Sub, "unionid": claims.UnionID, "aid": claims.AID, "sv": claims.SV,
				"iat": claims.Iat, "exp": claims.Exp, "aud": claims.Aud}})
		case errors.As(err, &rejected):
			_ = out.Encode(map[string]any{"verdict": "refused", "reason": rejected.Reason})
		default:
			fail(err)
		}
	}
	if err := in.Err(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	os.Stderr.WriteString("tokencheck: " + err.Error() + "\n")
	os.Exit(2)
}
