package cluster

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// The ACD's call-backs (acd.SharedCallbacks): a caller of this instance
// turned into a request that keeps its place (ToCallback), a request
// queued again (a retry, or one this instance takes over), and the
// centre's call-back rows, for an instance that takes back or adopts
// requests. A call-back adopted from another instance keeps its
// cluster ID ("a:..." at instance b): the ACD knows it, and reports it, by
// that ID (see acdRouter.key).

var _ acd.SharedCallbacks = (*acdRouter)(nil)

func (a *acdRouter) ToCallback(ctx context.Context, callID, number string) error {
	return refused(a.c.ToCallback(ctx, a.key(callID), number))
}

func (a *acdRouter) EnqueueCallback(ctx context.Context, cl acd.SharedCaller, number string) error {
	skills := map[string]int{}
	for _, s := range cl.Skills {
		skills[s] = queue.MinSkillLevel
	}
	details, err := json.Marshal(screenPop{Number: number, Language: cl.Language})
	if err != nil {
		return err
	}
	return refused(a.c.Enqueue(ctx, Caller{CallID: a.key(cl.CallID), Queue: cl.Queue, Priority: cl.Priority, Arrived: cl.Arrived,
		Skills: skills, Callback: true, Number: number, Details: details}))
}

func (a *acdRouter) CallbackRows(ctx context.Context) (map[string]string, error) {
	rows, err := a.c.CallbackRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for id, owner := range rows {
		out[a.local(id)] = owner
	}
	return out, nil
}

// CallbackRows are the centre's call-back requests, waiting, ringing an
// agent or being dialled: each call ID with the instance that owns it.
func (c *Cluster) CallbackRows(ctx context.Context) (map[string]string, error) {
	rows, err := c.db.Query(ctx, `SELECT call_id, instance FROM cluster_callers WHERE callback`)
	if err != nil {
		return nil, err
	}
	type row struct{ id, owner string }
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.owner)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, x := range list {
		out[x.id] = x.owner
	}
	return out, nil
}
