package thhe_test

import (
	"testing"

	"github.com/dataembassy/embassy/thhe"
	"github.com/dataembassy/embassy/thhe/releaselogtest"
)

func TestMemReleaseLog(t *testing.T) {
	releaselogtest.Run(t, func(t *testing.T) (thhe.ReleaseLog, func(*testing.T) thhe.ReleaseLog) {
		log := thhe.NewMemReleaseLog()
		// An in-memory log lasts as long as the object: its restart is itself.
		return log, func(*testing.T) thhe.ReleaseLog { return log }
	})
}
