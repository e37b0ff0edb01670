package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// errNoMetricsHere answers GET /metrics on the main handler when no
// metrics token is set: the metrics are then only on MetricsHandler.
var errNoMetricsHere = httpErrorf(http.StatusNotFound,
	"the metrics are not served on this address without a token: scrape the metrics listener, or set a metrics token and send it as a bearer token")

// errMetricsToken answers GET /metrics without the right bearer token.
var errMetricsToken = httpErrorf(http.StatusUnauthorized, "the metrics need the metrics bearer token")

// metrics handles GET /metrics for a scraper. tokenRequired says whether
// the request must carry the metrics token even when none is set (the
// main handler, open to the console's users), in which case the metrics
// are not served there at all.
func (s *Server) metrics(tokenRequired bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case s.metricsToken == nil && tokenRequired:
			s.fail(w, r, errNoMetricsHere)
			return
		case s.metricsToken != nil && !s.scraper(r):
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline-metrics"`)
			s.fail(w, r, errMetricsToken)
			return
		}
		s.metricsSrc.ServeHTTP(w, r)
	})
}

// scraper says whether r carries the metrics token, comparing in constant
// time.
func (s *Server) scraper(r *http.Request) bool {
	tok := bearerToken(r)
	if tok == "" {
		return false
	}
	h := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(h[:], s.metricsToken) == 1
}
