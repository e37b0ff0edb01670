// Package followup is the follow-up visits of the service standards
// (电话回访, §1): after a complaint is resolved (and, as configured, after
// a repair booking or a sampled call) the centre calls the customer back
// and asks about the product's state and the service, either automatically
// (Hotline dials at allowed hours and runs the follow-up flow) or in
// preview (the task is offered to an agent who calls from the softphone).
//
// It owns the tasks, their attempts and results, the policy (allowed
// hours, per-number limits, retries), the automated dialler's side of ARI
// (originating the customer's channel and watching how it ends; the
// engine runs the follow-up flow on it), and what a result does to the
// complaint (satisfied: followed up and closed; not satisfied: followed
// up and reopened), through package complaints' workflow. PostgreSQL keeps
// the tasks (package store implements [Store]), so any number of
// instances share the work and a restart loses none. It must not touch the
// console, the queues or the call flows' engine.
package followup
