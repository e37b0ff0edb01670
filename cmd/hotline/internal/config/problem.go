package config

import "github.com/hotline-ivr/hotline/internal/strictyaml"

// Problem is one thing wrong with a configuration file: FILE:LINE:
// field.path: what is wrong (hint).
type Problem = strictyaml.Problem

// Problems is every problem found in one file, in line order. It is the error
// Parse and Load return for a file that is not valid.
type Problems = strictyaml.Problems
