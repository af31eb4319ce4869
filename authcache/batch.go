package authcache

// WriteBatch gathers store writes made on one goroutine (an event loop)
// so that they join the writer's queue together (Engine.Submit): the
// queue's lock, which every goroutine that writes takes, is taken once per
// batch instead of once per record. Memory is updated when a write is
// added (PutRouteIn); only the store record waits for Submit. The zero
// value is ready to use; it is not safe for concurrent use.
type WriteBatch struct {
	ops     []op
	refused []refusedOp
}

// Len is the number of writes waiting in b.
func (b *WriteBatch) Len() int { return len(b.ops) }

// Persist adds mutations to b, as Engine.Persist would queue them: done
// (which must not block) runs on the writer goroutine once they are
// committed, or on Submit's goroutine with the error when they could not
// be queued: it is always called once. Keys must not be under KeyPrefix
// (ErrReservedKey; done is then not called). The writer owns Key and
// Value from now on: do not modify them.
func (b *WriteBatch) Persist(done func(error), ms ...Mutation) error {
	if err := checkMutations(ms); err != nil {
		return err
	}
	b.ops = append(b.ops, *rawOp(done, ms))
	return nil
}

// Submit hands b's writes to the writer's queue, in the order they were
// added, and empties b. A write that cannot be queued (a full queue, the
// store below its free-space reserve for one with a done, a closed
// engine) is dropped as Persist would refuse it, and its done is called
// with the error; the first such error is returned. Memory already holds
// what b's route writes carry. Runs on b's goroutine.
func (e *Engine) Submit(b *WriteBatch) error {
	if len(b.ops) == 0 {
		return nil
	}
	err := e.w.enqueueAll(b.ops, &b.refused)
	clear(b.ops) // drop references to keys and callbacks
	b.ops = b.ops[:0]
	return err
}
