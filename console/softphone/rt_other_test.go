//go:build unix && !linux

package softphone_test

func realtime() bool   { return false }
func fifoThreads() int { return 0 }
