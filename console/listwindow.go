package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// listWindow reads a list's period and length from its query: from and to
// (a date in loc, or an RFC 3339 time; from before to) and limit (1 to
// 500); each left out is zero.
func listWindow(q url.Values, loc *time.Location) (from, to time.Time, limit int, err error) {
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.ParseInLocation(time.DateOnly, v, loc); err != nil {
				return from, to, 0, httpErrorf(http.StatusBadRequest, "%s: %q is neither a date (2026-12-06) nor an RFC 3339 time", p.name, v)
			}
		}
		*p.to = t
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, 0, httpErrorf(http.StatusBadRequest, "from %s is not before to %s", q.Get("from"), q.Get("to"))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return from, to, 0, httpErrorf(http.StatusBadRequest, "limit: %q is not a number from 1 to 500", v)
		}
		limit = n
	}
	return from, to, limit, nil
}
