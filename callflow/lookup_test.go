package callflow

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"testing"
)

func TestLookupNewRequest(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	l := f.Node("order-status/fetch").Lookup
	tests := []struct {
		name       string
		vars       map[string]string
		wantURL    string
		wantBody   string
		wantHeader string
	}{
		{
			name:       "plain values",
			vars:       map[string]string{"order_no": "12345678", "caller": "13800000001", "dialled": "4008001234", "lang": "zh"},
			wantURL:    "https://crm.example.com/api/orders/12345678?caller=13800000001",
			wantBody:   `{"order": "12345678", "lang": "zh"}`,
			wantHeader: "4008001234",
		},
		{
			name:       "values escaped where they go",
			vars:       map[string]string{"order_no": `1 2&x=/"3`, "caller": "+86 138", "dialled": "400\r\nX-Evil: 1", "lang": "en"},
			wantURL:    "https://crm.example.com/api/orders/1%202%26x%3D%2F%223?caller=%2B86%20138",
			wantBody:   `{"order": "1 2\u0026x=/\"3", "lang": "en"}`,
			wantHeader: "400X-Evil: 1",
		},
		{
			name:     "unset values are empty",
			vars:     map[string]string{},
			wantURL:  "https://crm.example.com/api/orders/?caller=",
			wantBody: `{"order": "", "lang": ""}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := l.NewRequest(t.Context(), tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(req.Body)
			got := []string{req.Method, req.URL.String(), string(body), req.Header.Get("X-Hotline"), req.Header.Get("Content-Type")}
			want := []string{"POST", tt.wantURL, tt.wantBody, tt.wantHeader, "application/json"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestLookupNewRequestGET(t *testing.T) {
	l := &Lookup{Method: http.MethodGet, URL: "http://crm/x/${a}", Headers: map[string]string{}}
	req, err := l.NewRequest(t.Context(), map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "GET" || req.URL.String() != "http://crm/x/b" || req.Body != nil || req.Header.Get("Content-Type") != "" {
		t.Errorf("got %s %s body %v content-type %q; want GET http://crm/x/b without a body", req.Method, req.URL, req.Body, req.Header.Get("Content-Type"))
	}
}

func TestLookupExtract(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	l := f.Node("order-status/fetch").Lookup // status, delivery.date, refund.amount, customer.tier, parcels.count
	full := `{"status": "shipped", "delivery": {"date": "2026-10-20"}, "refund": {"amount": 1000.50}, "customer": {"tier": null}, "parcels": {"count": 2}}`
	tests := []struct {
		name    string
		body    string
		want    map[string]string
		wantErr string
	}{
		{"every field", full, map[string]string{
			"order_status": "shipped", "delivery_date": "2026-10-20", "refund": "1000.50", "member": "", "parcels": "2",
		}, ""},
		{"a boolean", `{"status": true, "delivery": {"date": "d"}, "refund": {"amount": 0}, "customer": {"tier": "gold"}, "parcels": {"count": 1}}`,
			map[string]string{"order_status": "true", "delivery_date": "d", "refund": "0", "member": "gold", "parcels": "1"}, ""},
		{"a missing field", `{"status": "x"}`, nil, "the lookup's response does not hold what the flow expects: it has no delivery.date"},
		{"an object where a value should be", `{"status": {"code": 1}}`, nil, "the lookup's response does not hold what the flow expects: status is not a single value"},
		{"not JSON", `<html>`, nil, "the lookup's response does not hold what the flow expects: it is not JSON: invalid character '<' looking for beginning of value"},
		{"empty", ``, nil, "the lookup's response does not hold what the flow expects: it is not JSON: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Extract([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrLookupResponse) {
					t.Fatalf("error: got %v, want %q matching ErrLookupResponse", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJSONAt(t *testing.T) {
	doc := map[string]any{"items": []any{map[string]any{"name": "a"}, "b"}, "0": "zero"}
	tests := []struct {
		path   string
		want   any
		wantOK bool
	}{
		{"items.0.name", "a", true},
		{"items.1", "b", true},
		{"items.2", nil, false},
		{"items.-1", nil, false},
		{"items.x", nil, false},
		{"0", "zero", true},
		{"items.1.deeper", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := jsonAt(doc, tt.path)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestLookupRedacted: the URL kept in the call's records has every
// sensitive value replaced, in the path and the query, and any password
// hidden; the others are as requested.
func TestLookupRedacted(t *testing.T) {
	l := &Lookup{Method: http.MethodGet, URL: "https://svc:secret@crm.example.com/cards/${card}/check?pin=${pin}&order=${order}&again=${card}"}
	vars := map[string]string{"card": "4111111111111111", "pin": "1234", "order": "A 7"}
	sensitive := func(name string) bool { return name == "card" || name == "pin" }
	got := l.Redacted(vars, sensitive)
	want := "https://svc:xxxxx@crm.example.com/cards/***/check?pin=***&order=A%207&again=***"
	if got != want {
		t.Errorf("Redacted = %q\nwant        %q", got, want)
	}
	req, err := l.NewRequest(t.Context(), vars)
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.Path != "/cards/4111111111111111/check" || req.URL.Query().Get("pin") != "1234" {
		t.Errorf("the request itself is %s, want the values in clear", req.URL)
	}
	if got := l.Redacted(vars, func(string) bool { return false }); got != "https://svc:xxxxx@crm.example.com/cards/4111111111111111/check?pin=1234&order=A%207&again=4111111111111111" {
		t.Errorf("with nothing sensitive, Redacted = %q", got)
	}
}
