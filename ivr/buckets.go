package ivr

// nodeBuckets are hotline.ivr.node.duration's bucket bounds, in seconds: a
// node lasts from milliseconds (a condition, a set) through seconds (a
// prompt, a menu's wait for digits) to minutes (a queue, a transfer). The
// SDK's default bounds (0, 5, 10, 25, … 10000) are milliseconds', and put
// nearly every node in the first two buckets.
var nodeBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
