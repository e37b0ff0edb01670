package callflow

import (
	"encoding/json"
)

// dump renders a value for a test failure message.
func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
