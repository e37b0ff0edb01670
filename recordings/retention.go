package recordings

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// DefaultRetention is how long recordings are kept when the configuration
// says nothing: 180 days.
const DefaultRetention = 180 * 24 * time.Hour

// Retention says how long recordings are kept before the retention job
// deletes their audio: a recording of retention class C is kept
// Classes[C]; otherwise one of hotline H is kept Hotlines[H]; otherwise
// Default. The time runs from the conversation's start. A recording's
// expiry is fixed when it is enqueued, from the retention in force then.
type Retention struct {
	Default  time.Duration            // zero: DefaultRetention
	Hotlines map[string]time.Duration // by dialled number
	Classes  map[string]time.Duration // by retention class, like "complaint"
}

// For is how long a recording of hotline and class is kept.
func (r Retention) For(hotline, class string) time.Duration {
	if d, ok := r.Classes[class]; ok && class != "" {
		return d
	}
	if d, ok := r.Hotlines[hotline]; ok {
		return d
	}
	if r.Default > 0 {
		return r.Default
	}
	return DefaultRetention
}

// Check reports every retention that is not positive, as one ErrBadConfig.
func (r Retention) Check() error {
	var problems []string
	if r.Default < 0 {
		problems = append(problems, fmt.Sprintf("retention.default: %s is negative", r.Default))
	}
	add := func(field string, m map[string]time.Duration) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if m[k] <= 0 {
				problems = append(problems, fmt.Sprintf("retention.%s[%q]: %s is not a positive duration (like 4320h for 180 days)", field, k, m[k]))
			}
		}
	}
	add("hotlines", r.Hotlines)
	add("classes", r.Classes)
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrBadConfig, strings.Join(problems, "; "))
	}
	return nil
}
