# daemon/: the per-guest supervisor that holds a running guest's context.
