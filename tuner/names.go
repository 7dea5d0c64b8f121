package tuner

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Labels a trial's run carries (store.Run.Labels, filterable as
// labels.<key>).
const (
	// LabelExperiment is the tuning experiment's id.
	LabelExperiment = "sluice/tuning-experiment"
	// LabelTrial is the trial's name.
	LabelTrial = "sluice/trial"
)

// TrialName is the name of an experiment's trial number seq, Katib's shape
// (<experiment>-<8 letters and digits>), derived from the experiment's id
// so that a trial created again after a crash has the same name.
func TrialName(experimentName, experimentID string, seq int) string {
	h := sha256.Sum256([]byte("sluice-trial-name\x00" + experimentID + "\x00" + strconv.Itoa(seq)))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	for i := range b {
		b[i] = alphabet[int(h[i])%len(alphabet)]
	}
	return experimentName + "-" + string(b)
}

// RunID is the id of a trial's run: a UUID derived from the experiment's id
// and the trial's name, so that submitting the run again after a crash finds
// it instead of starting a second one.
func RunID(experimentID, trial string) string {
	h := sha256.Sum256([]byte("sluice-trial-run\x00" + experimentID + "\x00" + trial))
	h[6] = h[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// seedFrom turns random bytes into a non-zero seed.
func seedFrom(b [8]byte) uint64 {
	s := binary.LittleEndian.Uint64(b[:])
	if s == 0 {
		s = 1
	}
	return s
}
