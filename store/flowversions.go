package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// flowVersionsLock is the first key of the advisory lock taken per flow
// while numbering its versions ("flowver" in ASCII); the second is the
// hash of the flow's name.
const flowVersionsLock int32 = 0x666c6f77

// FlowVersions numbers the versions of call flows by their contents in
// the flow_versions table: contents a flow had before get the version they
// had, new contents the flow's next version. It is the callflow
// VersionStore of serve, so that versions survive restarts and agree
// between the instances sharing the database. Safe for concurrent use.
type FlowVersions struct {
	db *pgxpool.Pool
}

// NewFlowVersions returns the flow versions kept in db, which must have
// the schema (Migrate).
func NewFlowVersions(db *pgxpool.Pool) *FlowVersions { return &FlowVersions{db: db} }

// Version returns the version of flow whose file's bytes have the SHA-256
// sum, numbering them if they are new.
func (v *FlowVersions) Version(ctx context.Context, flow string, sum [32]byte) (int, error) {
	if flow == "" {
		return 0, fmt.Errorf("numbering a flow version: %w", ErrNoFlowName)
	}
	var version int
	known := func(tx pgx.Tx) (bool, error) {
		err := tx.QueryRow(ctx, `SELECT version FROM flow_versions WHERE flow = $1 AND sha256 = $2`, flow, sum[:]).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	err := pgx.BeginFunc(ctx, v.db, func(tx pgx.Tx) error {
		if ok, err := known(tx); ok || err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, flowVersionsLock, flow); err != nil {
			return err
		}
		// Under the lock: another instance may have numbered these
		// contents since the first look.
		if ok, err := known(tx); ok || err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
			INSERT INTO flow_versions (flow, version, sha256)
			SELECT $1, COALESCE(MAX(version), 0) + 1, $2 FROM flow_versions WHERE flow = $1
			RETURNING version`, flow, sum[:]).Scan(&version)
	})
	if err != nil {
		return 0, fmt.Errorf("numbering a version of flow %s: %w", flow, err)
	}
	return version, nil
}
