// Package apidoc loads Asterisk's published ARI description (Swagger 1.2) and
// checks JSON bodies, events and routes against it; it must not depend on the
// emulator.
//
// The description is the set of api-docs/*.json files Asterisk ships (the
// project keeps those of Asterisk 22.10.1 in ../shared/ari-api-docs relative
// to the module root). [Load] merges every API declaration in a directory
// into one [Doc]: all models share one namespace, so a type declared in one
// file (Channel, in channels.json) can be used by another (events.json).
//
// A Doc answers three kinds of question:
//
//   - Routing: [Doc.Match] resolves a method and a path (without the /ari
//     prefix) to the declared [Operation], the way Asterisk's own router does:
//     at each segment a literal child beats a {param} child, and a path that
//     resolves to a node without the method is "method not allowed" rather
//     than "no route". [Doc.CheckParams] rejects parameter names an operation
//     does not declare.
//   - Bodies: [Doc.ValidateModel] checks a JSON document against a model or a
//     type expression such as "List[Channel]", and [Doc.ValidateResponse]
//     checks a whole HTTP answer (status, content type, body) against an
//     operation.
//   - Events: [Doc.ValidateEvent] checks a WebSocket event against the
//     concrete event type named by its "type" field, and [Doc.EventTypes]
//     lists every such type.
//
// Validation is strict, like Asterisk's own ari_model_validators.c: unknown
// fields are errors, int and long must be JSON integers, Date values must be
// strings in Asterisk's layout [DateLayout], and string properties with a
// LIST of allowable values must hold one of them. Every problem found is
// reported (joined with errors.Join), each prefixed with a JSON path such as
// "StasisStart.channel.caller.number", and each wraps one of the sentinel
// errors of this package so callers can test for kinds with errors.Is.
//
// Tests get a Doc with [LoadForTest], which finds the directory with [Find],
// loads it once per process and skips (or, when the CI environment variable
// is set, fails) when the files are not there.
package apidoc
