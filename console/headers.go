package console

import "net/http"

// securityHeaders are set on every response, errors and 404s included.
// The API serves JSON and event streams only, so its content policy
// allows nothing to load and nobody to frame it; the browser
// application's page and files replace that policy with pagePolicy
// (app.go), which allows exactly what they use.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "no-referrer",
}

// hstsHeader asks browsers to use HTTPS only, on answers sent over TLS.
const hstsHeader = "max-age=31536000"

// withSecurityHeaders sets securityHeaders on every response of next.
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range securityHeaders {
			h.Set(k, v)
		}
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", hstsHeader)
		}
		next.ServeHTTP(w, r)
	})
}
