package prompts

import (
	"encoding/binary"
	"io/fs"
	"path"
	"time"
)

// Duration is how long a prompt plays in a language; false when there is
// no such prompt or its file is not a WAV file this package can read.
// Callers bound their wait for the end of a playback with it.
func Duration(name, lang string) (time.Duration, bool) {
	data, err := fs.ReadFile(FS(), path.Join(lang, name+".wav"))
	if err != nil || len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return 0, false
	}
	var byteRate uint32
	for off := 12; off+8 <= len(data); {
		id, size := string(data[off:off+4]), int(binary.LittleEndian.Uint32(data[off+4:off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+12 > len(data) {
				return 0, false
			}
			byteRate = binary.LittleEndian.Uint32(data[body+8 : body+12])
		case "data":
			if byteRate == 0 {
				return 0, false
			}
			size = min(size, len(data)-body)
			return time.Duration(int64(size) * int64(time.Second) / int64(byteRate)), true
		}
		off = body + size + size%2
	}
	return 0, false
}
