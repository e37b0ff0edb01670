#!/usr/bin/env bash
# Generates the prompts of phrases.tsv as 8 kHz mono 16-bit WAV files in
# sounds/<lang>/<name>.wav with espeak-ng (Mandarin voice for zh, English
# for en) and sox; a text "[tone F Hz, D ms]" is not spoken but made by sox,
# a sine of F Hz lasting D ms with 10 ms fades (the beep before a message). The WAVs are committed; after editing the table, run it
# with the names you changed (generate.sh demo/welcome ...) so the others
# stay byte for byte as they are; with no names it regenerates everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v espeak-ng >/dev/null && command -v sox >/dev/null || {
	echo "generate.sh: needs espeak-ng and sox (deploy/dev/deps.sh installs them)" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
only=" $* "
[[ $# -eq 0 ]] && rm -rf sounds
n=0
while IFS=$'\t' read -r name zh en; do
	[[ -z $name || $name == \#* ]] && continue
	[[ $# -gt 0 && $only != *" $name "* ]] && continue
	for lang in zh en; do
		if [[ $lang == zh ]]; then text=$zh voice=cmn; else text=$en voice=en-us; fi
		out="sounds/$lang/$name.wav"
		mkdir -p "$(dirname "$out")"
		if [[ $text =~ ^\[tone\ ([0-9]+)\ Hz,\ ([0-9]+)\ ms\]$ ]]; then
			ms=${BASH_REMATCH[2]}
			secs=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
			# Peaks at -6 dBFS; the 10 ms fades keep it from clicking.
			sox -n -r 8000 -c 1 -b 16 "$out" synth "$secs" sine "${BASH_REMATCH[1]}" fade t 0.01 "$secs" 0.01 norm -6
			n=$((n + 1))
			continue
		fi
		espeak-ng -v "$voice" -s 165 -w "$tmp/raw.wav" -- "$text"
		# 8 kHz mono 16-bit, telephone band, peaks at -3 dBFS.
		sox "$tmp/raw.wav" -r 8000 -c 1 -b 16 "$out" gain -6 highpass 300 lowpass 3400 norm -3
		n=$((n + 1))
	done
done <phrases.tsv
echo "generate.sh: wrote $n prompts under sounds/" >&2
