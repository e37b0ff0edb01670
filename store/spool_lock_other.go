//go:build !unix

package store

import "os"

// lockFile does nothing where there is no flock: one Writer per spool
// directory is then up to the operator.
func lockFile(*os.File) error { return nil }
