package config

import "errors"

// ErrNoARIPassword means HOTLINE_ARI_PASSWORD is not set.
var ErrNoARIPassword = errors.New(EnvARIPassword + " is not set")
