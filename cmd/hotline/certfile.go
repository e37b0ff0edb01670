package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// certFiles serves the certificate of http.tls and loads it again when its
// files change, so that a renewed certificate (certbot, cert-manager) is
// used from the next handshake on, without a restart. A renewal that
// cannot be loaded (the key not yet written) keeps the last good pair.
type certFiles struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime [2]time.Time // of the files the certificate was loaded from
}

// loadCertFiles loads the pair once, to report a mistake at start.
func loadCertFiles(certFile, keyFile string) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile}
	if _, err := c.get(); err != nil {
		return nil, err
	}
	return c, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (c *certFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.get() }

func (c *certFiles) get() (*tls.Certificate, error) {
	var mod [2]time.Time
	for i, f := range []string{c.certFile, c.keyFile} {
		if st, err := os.Stat(f); err == nil {
			mod[i] = st.ModTime()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert != nil && mod == c.modTime {
		return c.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		if c.cert != nil {
			return c.cert, nil // a renewal half written: the last good pair
		}
		return nil, fmt.Errorf("http.tls: cannot load the certificate %s and its key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.modTime = &cert, mod
	return c.cert, nil
}
