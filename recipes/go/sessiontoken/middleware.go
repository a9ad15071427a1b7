package sessiontoken

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"regexp"
)

type claimsKey struct{}

// FromContext returns the claims Middleware verified for this request.
func FromContext(ctx context.Context) (*Claims, bool) {
	claims, ok := ctx.Value(claimsKey{}).(*Claims)
	return claims, ok
}

// The scheme, spaces, the credentials: anything else after "Bearer " reaches Verify and fails there with the same
// 401 as any bad token.
var bearer = regexp.MustCompile(`^(?i:bearer) +(\S+)$`)

// Middleware answers as the kit's Express middleware does (RFC 6750): 401 with WWW-Authenticate and a JSON body
// {"error":{"code":"UNAUTHORIZED","reason":...}} that the mini-program's requestApi understands (it then logs in
// again once and retries), and 500 when your CurrentSession hook fails, since that is not the caller's fault.
//
//	mux.Handle("/api/", sessiontoken.Middleware(verifier, apiHandler))
func Middleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		match := bearer.FindStringSubmatch(r.Header.Get("Authorization"))
		if match == nil {
			refuse(w, `Bearer realm="api"`, "missing_token", "a Bearer token is required")
			return
		}
		claims, err := v.Verify(r.Context(), match[1])
		var rejected *RejectedError
		if errors.As(err, &rejected) {
			refuse(w, `Bearer realm="api", error="invalid_token"`, rejected.Reason, rejected.Message)
			return
		}
		if err != nil {
			log.Printf("sessiontoken: CurrentSession failed: %v", err)
			answer(w, http.StatusInternalServerError, "INTERNAL", "session_lookup", "cannot verify tokens right now")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, claims)))
	})
}

func refuse(w http.ResponseWriter, challenge, reason, message string) {
	w.Header().Set("WWW-Authenticate", challenge)
	answer(w, http.StatusUnauthorized, "UNAUTHORIZED", reason, message)
}

func answer(w http.ResponseWriter, status int, code, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"error": map[string]string{"code": code, "reason": reason, "message": message}}
	_ = json.NewEncoder(w).Encode(body)
}
