package sp

import "time"

// SetLoadClock makes Run read the time since the run started from now
// instead of the wall clock (see LoadConfig.clock).
func SetLoadClock(cfg *LoadConfig, now func() time.Duration) { cfg.clock = now }
